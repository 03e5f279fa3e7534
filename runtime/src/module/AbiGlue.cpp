//===- AbiGlue.cpp - buffers and glue ops of the compiled step ------------===//
//
// The step's strided copies and glue (residual adds, RMSNorm, the LSE merge,
// shard sums, argmax, the KV owner rule), and for target=cuda modules its
// buffers (docs/abi.md): forwards to the rank's device.
//
//===----------------------------------------------------------------------===//
#include "Device.h"
#include "MemRef.h"
#include "RankContext.h"

using namespace helix_rt;

namespace {

using I8x1 = MemRef<int8_t, 1>;

RankContext *context(int64_t ctx) {
  return reinterpret_cast<RankContext *>(ctx);
}

/// The rank's context, or null once a call has failed.
RankContext *live(int64_t ctx) {
  RankContext *c = context(ctx);
  return c->failed() ? nullptr : c;
}

template <typename T, int Rank>
void copyEntry(int64_t ctx, MemRef<T, Rank> *src, MemRef<T, Rank> *dst) {
  RankContext *c = live(ctx);
  if (!c)
    return;
  for (int d = 0; d < Rank; ++d)
    if (src->sizes[d] != dst->sizes[d])
      return c->fail(
          "internal error: copy between buffers of different shapes");
  c->device()->copy(*c, viewOf(*src), viewOf(*dst));
}

} // namespace

extern "C" {

void _mlir_ciface_helix_rt_alloc(I8x1 *result, int64_t ctx, int64_t bytes) {
  RankContext *c = context(ctx);
  void *p = nullptr;
  if (!c->failed()) {
    p = c->device()->alloc(bytes);
    if (!p)
      c->fail("out of memory: a step buffer of " + std::to_string(bytes) +
              " bytes");
  }
  auto *data = static_cast<int8_t *>(p);
  // After a failure every later call returns at once, so no one reads it.
  *result = I8x1{data, data, 0, {p ? bytes : 0}, {1}};
}

void _mlir_ciface_helix_rt_free(int64_t ctx, I8x1 *block) {
  if (block->allocated)
    context(ctx)->device()->free(block->allocated);
}

void _mlir_ciface_helix_rt_copy_f32_1d(int64_t ctx, F32x1 *src, F32x1 *dst) {
  copyEntry(ctx, src, dst);
}
void _mlir_ciface_helix_rt_copy_f32_2d(int64_t ctx, F32x2 *src, F32x2 *dst) {
  copyEntry(ctx, src, dst);
}
void _mlir_ciface_helix_rt_copy_f32_3d(int64_t ctx, F32x3 *src, F32x3 *dst) {
  copyEntry(ctx, src, dst);
}
void _mlir_ciface_helix_rt_copy_f32_4d(int64_t ctx, F32x4 *src, F32x4 *dst) {
  copyEntry(ctx, src, dst);
}
void _mlir_ciface_helix_rt_copy_i64_1d(int64_t ctx, I64x1 *src, I64x1 *dst) {
  copyEntry(ctx, src, dst);
}
void _mlir_ciface_helix_rt_copy_i64_2d(int64_t ctx, I64x2 *src, I64x2 *dst) {
  copyEntry(ctx, src, dst);
}

void _mlir_ciface_helix_rt_add(int64_t ctx, F32x2 *a, F32x2 *b, F32x2 *out) {
  if (RankContext *c = live(ctx))
    c->device()->add(*c, *a, *b, *out);
}

void _mlir_ciface_helix_rt_rms_norm(int64_t ctx, int64_t weight, float eps,
                                    F32x2 *in, F32x2 *out) {
  if (RankContext *c = live(ctx))
    c->device()->rmsNorm(*c, weight, eps, *in, *out);
}

void _mlir_ciface_helix_rt_lse_merge(int64_t ctx, F32x4 *in, F32x2 *out) {
  if (RankContext *c = live(ctx))
    c->device()->lseMerge(*c, *in, *out);
}

void _mlir_ciface_helix_rt_sum_shards(int64_t ctx, F32x3 *in, F32x2 *out) {
  if (RankContext *c = live(ctx))
    c->device()->sumShards(*c, *in, *out);
}

void _mlir_ciface_helix_rt_argmax(int64_t ctx, F32x2 *in, I64x1 *out) {
  if (RankContext *c = live(ctx))
    c->device()->argmax(*c, *in, *out);
}

void _mlir_ciface_helix_rt_kv_owner(int64_t ctx, int64_t block, int64_t shards,
                                    I64x1 *positions, I64x1 *owner) {
  if (RankContext *c = live(ctx))
    c->device()->kvOwner(*c, block, shards, *positions, *owner);
}

} // extern "C"
