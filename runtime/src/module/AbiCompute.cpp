//===- AbiCompute.cpp - compute entry points the compiled step calls ------===//
//
// `_mlir_ciface_helix_rt_*`: the C-interface symbols that
// `helix-lower-to-runtime` declares (docs/abi.md). Each forwards to the
// rank's device (RankContext::device: the CPU one unless the caller gave
// another), which checks shapes and runs a kernel. Errors are recorded in
// the context (which aborts the world) and the step returns normally; after
// one, every entry point returns at once.
//
//===----------------------------------------------------------------------===//
#include "Device.h"
#include "MemRef.h"
#include "RankContext.h"

using namespace helix_rt;

namespace {

RankContext *context(int64_t ctx) {
  return reinterpret_cast<RankContext *>(ctx);
}

/// The rank's context, or null once a call has failed.
RankContext *live(int64_t ctx) {
  RankContext *c = context(ctx);
  return c->failed() ? nullptr : c;
}

} // namespace

extern "C" {

void _mlir_ciface_helix_rt_merge_value_projection(int64_t ctx, int64_t kvb,
                                                  int64_t nope, int64_t vDim,
                                                  F32x4 *in, F32x2 *out);

void _mlir_ciface_helix_rt_embed(int64_t ctx, int64_t w, I64x1 *tokens,
                                 F32x2 *out) {
  if (RankContext *c = live(ctx))
    c->device()->embed(*c, w, *tokens, *out);
}

void _mlir_ciface_helix_rt_linear(int64_t ctx, int64_t w, F32x2 *in,
                                  F32x2 *out) {
  if (RankContext *c = live(ctx))
    c->device()->linear(*c, w, *in, *out);
}

void _mlir_ciface_helix_rt_logits(int64_t ctx, int64_t w, F32x2 *in,
                                  F32x2 *out, int64_t rowOffset) {
  if (RankContext *c = live(ctx))
    c->device()->logits(*c, w, *in, *out, rowOffset);
}

void _mlir_ciface_helix_rt_rope(int64_t ctx, int64_t rope, int64_t heads,
                                int64_t headDim, int64_t rotaryDim, F32x2 *in,
                                I64x1 *positions, F32x2 *out) {
  if (RankContext *c = live(ctx))
    c->device()->rope(*c, rope, heads, headDim, rotaryDim, *in, *positions,
                      *out);
}

void _mlir_ciface_helix_rt_kv_append(int64_t ctx, int64_t layer, F32x2 *key,
                                     F32x2 *value, I64x1 *positions,
                                     I64x1 *owner, int64_t rank,
                                     int64_t rowOffset) {
  if (RankContext *c = live(ctx))
    c->device()->append(*c, layer, *key, *value, *positions, *owner, rank,
                        rowOffset);
}

void _mlir_ciface_helix_rt_latent_append(int64_t ctx, int64_t layer,
                                         F32x2 *latent, F32x2 *keyRope,
                                         I64x1 *positions, I64x1 *owner,
                                         int64_t rank, int64_t rowOffset) {
  if (RankContext *c = live(ctx))
    c->device()->append(*c, layer, *latent, *keyRope, *positions, *owner, rank,
                        rowOffset);
}

void _mlir_ciface_helix_rt_gqa_partial_attention(
    int64_t ctx, int64_t layer, F32x2 *q, I64x1 *positions, int64_t rank,
    int64_t rowOffset, int64_t heads, float scale, F32x4 *out) {
  if (RankContext *c = live(ctx))
    c->device()->gqaPartialAttention(*c, layer, *q, *positions, rank, rowOffset,
                                     heads, scale, *out);
}

/// Unsharded attention: the partial attention of one shard, then the merge
/// (which only normalizes).
void _mlir_ciface_helix_rt_gqa_attention(int64_t ctx, int64_t layer, F32x2 *q,
                                         I64x1 *positions, int64_t rowOffset,
                                         int64_t heads, float scale,
                                         F32x2 *out) {
  RankContext *c = live(ctx);
  if (!c)
    return;
  int64_t batch = q->size(0), headDim = c->manifest().cache->headDim;
  Scratch packed(*c->device(), batch * heads * (headDim + 1));
  if (!packed.data())
    return c->fail("out of memory: attention scratch");
  F32x4 partial{
      packed.data(),
      packed.data(),
      0,
      {1, batch, heads, headDim + 1},
      {batch * heads * (headDim + 1), heads * (headDim + 1), headDim + 1, 1}};
  _mlir_ciface_helix_rt_gqa_partial_attention(
      ctx, layer, q, positions, -1, rowOffset, heads, scale, &partial);
  if (!c->failed())
    c->device()->lseMerge(*c, partial, *out);
}

void _mlir_ciface_helix_rt_mla_partial_attention(
    int64_t ctx, int64_t layer, int64_t kvb, F32x2 *q, I64x1 *positions,
    int64_t rank, int64_t rowOffset, int64_t heads, int64_t nope, int64_t vDim,
    float scale, F32x4 *out) {
  if (RankContext *c = live(ctx))
    c->device()->mlaPartialAttention(*c, layer, kvb, *q, *positions, rank,
                                     rowOffset, heads, nope, vDim, scale, *out);
}

void _mlir_ciface_helix_rt_mla_attention(int64_t ctx, int64_t layer,
                                         int64_t kvb, F32x2 *q,
                                         I64x1 *positions, int64_t rowOffset,
                                         int64_t heads, int64_t nope,
                                         int64_t vDim, float scale,
                                         F32x2 *out) {
  RankContext *c = live(ctx);
  if (!c)
    return;
  int64_t batch = q->size(0), rank = c->manifest().cache->kvLoraRank;
  Scratch packed(*c->device(), batch * heads * (rank + 1));
  if (!packed.data())
    return c->fail("out of memory: attention scratch");
  F32x4 partial{packed.data(),
                packed.data(),
                0,
                {1, batch, heads, rank + 1},
                {batch * heads * (rank + 1), heads * (rank + 1), rank + 1, 1}};
  _mlir_ciface_helix_rt_mla_partial_attention(ctx, layer, kvb, q, positions, -1,
                                              rowOffset, heads, nope, vDim,
                                              scale, &partial);
  // One shard: the merge only normalizes; W_UV follows (fused on a GPU).
  _mlir_ciface_helix_rt_merge_value_projection(ctx, kvb, nope, vDim, &partial,
                                               out);
}

void _mlir_ciface_helix_rt_mla_value_projection(int64_t ctx, int64_t kvb,
                                                int64_t nope, int64_t vDim,
                                                F32x2 *in, F32x2 *out) {
  if (RankContext *c = live(ctx))
    c->device()->mlaValueProjection(*c, kvb, nope, vDim, *in, *out);
}

void _mlir_ciface_helix_rt_merge_linear(int64_t ctx, int64_t w, F32x4 *in,
                                        F32x2 *out) {
  if (RankContext *c = live(ctx))
    c->device()->mergeLinear(*c, w, *in, *out);
}

void _mlir_ciface_helix_rt_merge_value_projection(int64_t ctx, int64_t kvb,
                                                  int64_t nope, int64_t vDim,
                                                  F32x4 *in, F32x2 *out) {
  if (RankContext *c = live(ctx))
    c->device()->mergeValueProjection(*c, kvb, nope, vDim, *in, *out);
}

void _mlir_ciface_helix_rt_swiglu(int64_t ctx, int64_t gate, int64_t up,
                                  int64_t down, F32x2 *in, F32x2 *out) {
  if (RankContext *c = live(ctx))
    c->device()->swiglu(*c, gate, up, down, *in, *out);
}

void _mlir_ciface_helix_rt_moe_route(int64_t ctx, int64_t gate, int64_t bias,
                                     int64_t topK, int64_t groups,
                                     int64_t topkGroup, int64_t norm,
                                     float scaling, F32x2 *in, I64x2 *ids,
                                     F32x2 *weights) {
  if (RankContext *c = live(ctx))
    c->device()->moeRoute(*c, gate, bias, topK, groups, topkGroup, norm != 0,
                          scaling, *in, *ids, *weights);
}

void _mlir_ciface_helix_rt_moe_experts(int64_t ctx, int64_t moe, F32x2 *in,
                                       I64x2 *ids, F32x2 *weights, F32x2 *out) {
  if (RankContext *c = live(ctx))
    c->device()->moeExperts(*c, moe, *in, *ids, *weights, *out);
}

} // extern "C"
