//===- AbiGlue.cpp - buffers and glue ops of target=cuda steps ------------===//
//
// A `target=cuda` module allocates, copies and runs its glue (residual adds,
// RMSNorm, the LSE merge, shard sums, argmax, the KV owner rule) through
// these entry points instead of compiling them as loops (docs/abi.md). With a
// Device they run there; without one, on the host with the CPU kernels.
//
//===----------------------------------------------------------------------===//
#include "Device.h"
#include "MemRef.h"
#include "RankContext.h"
#include "StridedCopy.h"
#include "helix_rt/kernels.h"

#include <cstdlib>
#include <cstring>

using namespace helix_rt;
namespace k = helix_rt::kernels;

namespace {

using I8x1 = MemRef<int8_t, 1>;

RankContext *context(int64_t ctx) {
  return reinterpret_cast<RankContext *>(ctx);
}

template <typename T, int Rank>
void copyEntry(int64_t ctx, MemRef<T, Rank> *src, MemRef<T, Rank> *dst) {
  RankContext *c = context(ctx);
  if (c->failed())
    return;
  for (int d = 0; d < Rank; ++d)
    if (src->sizes[d] != dst->sizes[d])
      return c->fail(
          "internal error: copy between buffers of different shapes");
  if (Device *device = c->device())
    device->copy(*c, viewOf(*src), viewOf(*dst));
  else
    copyStrided(viewOf(*src), viewOf(*dst));
}

} // namespace

extern "C" {

void _mlir_ciface_helix_rt_alloc(I8x1 *result, int64_t ctx, int64_t bytes) {
  RankContext *c = context(ctx);
  void *p = nullptr;
  if (!c->failed()) {
    Device *device = c->device();
    // 64-byte aligned: vector loads on the host, 16-byte rows on a GPU.
    p = device ? device->alloc(bytes)
               : std::aligned_alloc(
                     64, static_cast<size_t>((bytes + 63) / 64 * 64));
    if (!p && !c->failed())
      c->fail("out of memory: a step buffer of " + std::to_string(bytes) +
              " bytes");
  }
  auto *data = static_cast<int8_t *>(p);
  // After a failure every later call returns at once, so no one reads it.
  *result = I8x1{data, data, 0, {p ? bytes : 0}, {1}};
}

void _mlir_ciface_helix_rt_free(int64_t ctx, I8x1 *block) {
  RankContext *c = context(ctx);
  if (!block->allocated)
    return;
  if (Device *device = c->device())
    device->free(block->allocated);
  else
    std::free(block->allocated);
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
  RankContext *c = context(ctx);
  if (c->failed())
    return;
  if (Device *device = c->device())
    return device->add(*c, *a, *b, *out);
  k::add(a->data(), b->data(), out->count(), out->data());
}

void _mlir_ciface_helix_rt_rms_norm(int64_t ctx, int64_t weight, float eps,
                                    F32x2 *in, F32x2 *out) {
  RankContext *c = context(ctx);
  if (c->failed())
    return;
  if (Device *device = c->device())
    return device->rmsNorm(*c, weight, eps, *in, *out);
  const LocalWeight &w = c->weight(weight);
  if (!w.owned || static_cast<int64_t>(w.data.size()) != in->size(1))
    return c->fail("internal error: RMSNorm weight '" +
                   c->manifest().weights.at(weight).name +
                   "' is missing or does not match the step");
  k::rmsNorm(in->data(), w.data.data(), in->size(0), in->size(1), eps,
             out->data());
}

void _mlir_ciface_helix_rt_lse_merge(int64_t ctx, F32x4 *in, F32x2 *out) {
  RankContext *c = context(ctx);
  if (c->failed())
    return;
  if (Device *device = c->device())
    return device->lseMerge(*c, *in, *out);
  k::lseMerge(in->data(), in->size(0), in->size(1), in->size(2),
              in->size(3) - 1, out->data());
}

void _mlir_ciface_helix_rt_sum_shards(int64_t ctx, F32x3 *in, F32x2 *out) {
  RankContext *c = context(ctx);
  if (c->failed())
    return;
  if (Device *device = c->device())
    return device->sumShards(*c, *in, *out);
  k::sumShards(in->data(), in->size(0), in->size(1), in->size(2), out->data());
}

void _mlir_ciface_helix_rt_argmax(int64_t ctx, F32x2 *in, I64x1 *out) {
  RankContext *c = context(ctx);
  if (c->failed())
    return;
  if (Device *device = c->device())
    return device->argmax(*c, *in, *out);
  k::argmax(in->data(), in->size(0), in->size(1), out->data());
}

void _mlir_ciface_helix_rt_kv_owner(int64_t ctx, int64_t block, int64_t shards,
                                    I64x1 *positions, I64x1 *owner) {
  RankContext *c = context(ctx);
  if (c->failed())
    return;
  if (Device *device = c->device())
    return device->kvOwner(*c, block, shards, *positions, *owner);
  for (int64_t s = 0; s < positions->size(0); ++s)
    owner->data()[s] = (positions->data()[s] / block) % shards;
}

} // extern "C"
