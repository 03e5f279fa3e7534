//===- AbiCompute.cpp - compute entry points the compiled step calls ------===//
//
// `_mlir_ciface_helix_rt_*`: the C-interface symbols that
// `helix-lower-to-runtime` declares (docs/abi.md). Each resolves ids against
// the rank context, checks shapes, and runs a kernel. Errors are recorded in
// the context (which aborts the world) and the step returns normally.
//
//===----------------------------------------------------------------------===//
#include "Device.h"
#include "helix_rt/abi.h"
#include "MemRef.h"
#include "RankContext.h"

#include <algorithm>
#include "helix_rt/kernels.h"

#include <cmath>
#include <limits>

using namespace helix_rt;
namespace k = helix_rt::kernels;

namespace {

RankContext *context(int64_t ctx) { return reinterpret_cast<RankContext *>(ctx); }

/// The rank's block of a weight, or null (and a failure) when it is missing
/// or its local shape does not match `rows` x `cols` (-1: any).
const float *weightData(RankContext *c, int64_t id, int64_t rows,
                        int64_t cols) {
  const LocalWeight &w = c->weight(id);
  const std::string &name = c->manifest().weights.at(id).name;
  if (!w.owned) {
    c->fail("internal error: weight '" + name + "' is not loaded on rank " +
            std::to_string(c->rank()));
    return nullptr;
  }
  bool ok = (rows < 0 || w.shape[0] == rows) &&
            (cols < 0 || (w.shape.size() > 1 ? w.shape[1] : 1) == cols);
  if (!ok) {
    c->fail("internal error: weight '" + name + "' has a local shape that "
            "does not match the compiled step");
    return nullptr;
  }
  return w.data.data();
}

/// Cached tokens of one sequence this rank attends to at `position`.
int64_t localLength(const CacheSpec &cache, int64_t position, int64_t rank) {
  return abi::kvLength(position + 1, cache.block, cache.tokenShards, rank);
}

int64_t localSlot(const CacheSpec &cache, int64_t position) {
  return abi::kvSlot(position, cache.block, cache.tokenShards);
}

bool checkRow(RankContext *c, int64_t row) {
  if (row < c->cacheRows())
    return true;
  c->fail("batch row " + std::to_string(row) + " exceeds the cache's " +
          std::to_string(c->cacheRows()) + " rows");
  return false;
}

/// Appends one token per sequence where this rank owns it: (key, value)
/// into the row's key and value regions, or (latent, rope key) side by side.
void append(RankContext *c, int64_t layer, const F32x2 *a, const F32x2 *b,
            const I64x1 *positions, const I64x1 *owner, int64_t rank,
            int64_t rowOffset) {
  const CacheSpec &cache = *c->manifest().cache;
  int64_t aWidth = a->size(1), bWidth = b->size(1);
  int64_t tokenStride = cache.latent ? aWidth + bWidth : aWidth;
  for (int64_t s = 0; s < a->size(0); ++s) {
    if (rank >= 0 && owner->data()[s] != rank)
      continue;
    int64_t row = rowOffset + s;
    int64_t position = positions->data()[s];
    int64_t slot = localSlot(cache, position);
    if (!checkRow(c, row))
      return;
    if (position < 0 || slot >= c->cacheSlots()) {
      c->fail("context over capacity: position " + std::to_string(position) +
              " does not fit the KV cache (capacity " +
              std::to_string(c->cacheSlots()) + " tokens per rank)");
      return;
    }
    float *base = c->rowBase(layer, row);
    float *first = base + slot * tokenStride;
    float *second = cache.latent ? first + aWidth
                                 : base + c->cacheSlots() * aWidth + slot * bWidth;
    std::copy_n(a->data() + s * aWidth, aWidth, first);
    std::copy_n(b->data() + s * bWidth, bWidth, second);
  }
}

/// Per-sequence token pointers and lengths for a partial attention.
struct SequenceViews {
  std::vector<const float *> first, second;
  std::vector<int64_t> length;
};

/// `secondPerSlot`: floats per slot of the first region (KV: the values
/// start after all slots' keys); 0 for latent caches.
bool sequenceViews(RankContext *c, int64_t layer, const I64x1 *positions,
                   int64_t rank, int64_t rowOffset, int64_t secondPerSlot,
                   SequenceViews &views) {
  const CacheSpec &cache = *c->manifest().cache;
  int64_t batch = positions->size(0);
  views.first.resize(batch);
  views.second.resize(batch);
  views.length.resize(batch);
  for (int64_t s = 0; s < batch; ++s) {
    int64_t row = rowOffset + s;
    if (!checkRow(c, row))
      return false;
    views.first[s] = c->rowBase(layer, row);
    views.second[s] = views.first[s] + c->cacheSlots() * secondPerSlot;
    views.length[s] = localLength(cache, positions->data()[s], rank);
    if (views.length[s] > c->cacheSlots()) {
      c->fail("context over capacity: position " +
              std::to_string(positions->data()[s]) + " exceeds the KV cache");
      return false;
    }
  }
  return true;
}

/// merge_linear / merge_value_projection on the host: the merge into
/// scratch, then the GEMM's own entry point.
template <typename Gemm>
void mergeThen(RankContext *c, const F32x4 *in, Gemm gemm) {
  int64_t batch = in->size(1), heads = in->size(2), width = in->size(3) - 1;
  Scratch merged(nullptr, batch * heads * width);
  k::lseMerge(in->data(), in->size(0), batch, heads, width, merged.data());
  F32x2 view{merged.data(),
             merged.data(),
             0,
             {batch, heads * width},
             {heads * width, 1}};
  gemm(&view);
}

} // namespace

extern "C" {

void _mlir_ciface_helix_rt_merge_value_projection(int64_t ctx, int64_t kvb,
                                                  int64_t nope, int64_t vDim,
                                                  F32x4 *in, F32x2 *out);

void _mlir_ciface_helix_rt_embed(int64_t ctx, int64_t w, I64x1 *tokens,
                                 F32x2 *out) {
  RankContext *c = context(ctx);
  if (c->failed())
    return;
  if (Device *device = c->device())
    return device->embed(*c, w, *tokens, *out);
  int64_t vocab = c->manifest().model.vocabSize;
  const float *table = weightData(c, w, vocab, out->size(1));
  if (!table)
    return;
  for (int64_t b = 0; b < tokens->size(0); ++b)
    if (tokens->data()[b] < 0 || tokens->data()[b] >= vocab)
      return c->fail("token id " + std::to_string(tokens->data()[b]) +
                     " is outside the vocabulary of " + std::to_string(vocab));
  k::embed(table, out->size(1), tokens->data(), tokens->size(0), out->data());
}

/// The rank's buffer of manifest weight `id`, flattened: compiled loops in
/// the module (RMSNorm) read weights through it.
void _mlir_ciface_helix_rt_weight_1d(F32x1 *result, int64_t ctx, int64_t id) {
  RankContext *c = context(ctx);
  const LocalWeight &w = c->weight(id);
  float *data = const_cast<float *>(w.data.data());
  *result = F32x1{data, data, 0, {static_cast<int64_t>(w.data.size())}, {1}};
  if (!w.owned)
    c->fail("internal error: weight '" + c->manifest().weights.at(id).name +
            "' is not loaded on rank " + std::to_string(c->rank()));
}

void _mlir_ciface_helix_rt_linear(int64_t ctx, int64_t w, F32x2 *in,
                                  F32x2 *out) {
  RankContext *c = context(ctx);
  if (c->failed())
    return;
  if (Device *device = c->device())
    return device->linear(*c, w, *in, *out);
  if (const float *weight = weightData(c, w, out->size(1), in->size(1)))
    k::linear(in->data(), weight, in->size(0), in->size(1), out->size(1),
              out->data());
}

void _mlir_ciface_helix_rt_rope(int64_t ctx, int64_t rope, int64_t heads,
                                int64_t headDim, int64_t rotaryDim, F32x2 *in,
                                I64x1 *positions, F32x2 *out) {
  RankContext *c = context(ctx);
  if (c->failed())
    return;
  if (Device *device = c->device())
    return device->rope(*c, rope, heads, headDim, rotaryDim, *in, *positions,
                        *out);
  k::rope(in->data(), positions->data(), in->size(0), heads, headDim, rotaryDim,
          c->manifest().ropes.at(rope), out->data());
}

void _mlir_ciface_helix_rt_kv_append(int64_t ctx, int64_t layer, F32x2 *key,
                                     F32x2 *value, I64x1 *positions,
                                     I64x1 *owner, int64_t rank,
                                     int64_t rowOffset) {
  RankContext *c = context(ctx);
  if (c->failed())
    return;
  if (Device *device = c->device())
    return device->append(*c, layer, *key, *value, *positions, *owner, rank,
                          rowOffset);
  append(c, layer, key, value, positions, owner, rank, rowOffset);
}

void _mlir_ciface_helix_rt_latent_append(int64_t ctx, int64_t layer,
                                         F32x2 *latent, F32x2 *keyRope,
                                         I64x1 *positions, I64x1 *owner,
                                         int64_t rank, int64_t rowOffset) {
  RankContext *c = context(ctx);
  if (c->failed())
    return;
  if (Device *device = c->device())
    return device->append(*c, layer, *latent, *keyRope, *positions, *owner,
                          rank, rowOffset);
  append(c, layer, latent, keyRope, positions, owner, rank, rowOffset);
}

void _mlir_ciface_helix_rt_gqa_partial_attention(int64_t ctx, int64_t layer,
                                                 F32x2 *q, I64x1 *positions,
                                                 int64_t rank, int64_t rowOffset,
                                                 int64_t heads, float scale,
                                                 F32x4 *out) {
  RankContext *c = context(ctx);
  if (c->failed())
    return;
  if (Device *device = c->device())
    return device->gqaPartialAttention(*c, layer, *q, *positions, rank,
                                       rowOffset, heads, scale, *out);
  const CacheSpec &cache = *c->manifest().cache;
  SequenceViews views;
  if (!sequenceViews(c, layer, positions, rank, rowOffset,
                     cache.kvHeads * cache.headDim, views))
    return;
  k::gqaPartialAttention(q->data(), views.first.data(), views.second.data(),
                         views.length.data(), q->size(0), heads, cache.kvHeads,
                         cache.headDim, scale, out->data());
}

void _mlir_ciface_helix_rt_gqa_attention(int64_t ctx, int64_t layer, F32x2 *q,
                                         I64x1 *positions, int64_t rowOffset,
                                         int64_t heads, float scale,
                                         F32x2 *out) {
  RankContext *c = context(ctx);
  if (c->failed())
    return;
  int64_t batch = q->size(0), headDim = c->manifest().cache->headDim;
  Scratch packed(c->device(), batch * heads * (headDim + 1));
  if (!packed.data())
    return c->fail("out of memory: attention scratch");
  F32x4 partial{packed.data(), packed.data(), 0, {1, batch, heads, headDim + 1},
                {batch * heads * (headDim + 1), heads * (headDim + 1),
                 headDim + 1, 1}};
  _mlir_ciface_helix_rt_gqa_partial_attention(ctx, layer, q, positions, -1,
                                              rowOffset, heads, scale, &partial);
  if (c->failed())
    return;
  if (Device *device = c->device())
    return device->lseMerge(*c, partial, *out);
  k::lseMerge(packed.data(), 1, batch, heads, headDim, out->data());
}

void _mlir_ciface_helix_rt_mla_partial_attention(
    int64_t ctx, int64_t layer, int64_t kvb, F32x2 *q, I64x1 *positions,
    int64_t rank, int64_t rowOffset, int64_t heads, int64_t nope, int64_t vDim,
    float scale, F32x4 *out) {
  RankContext *c = context(ctx);
  if (c->failed())
    return;
  if (Device *device = c->device())
    return device->mlaPartialAttention(*c, layer, kvb, *q, *positions, rank,
                                       rowOffset, heads, nope, vDim, scale,
                                       *out);
  const CacheSpec &cache = *c->manifest().cache;
  const float *kvB =
      weightData(c, kvb, heads * (nope + vDim), cache.kvLoraRank);
  SequenceViews views;
  if (!kvB || !sequenceViews(c, layer, positions, rank, rowOffset, 0, views))
    return;
  k::mlaPartialAttention(q->data(), views.first.data(), views.length.data(),
                         kvB, q->size(0), heads, nope, cache.ropeDim, vDim,
                         cache.kvLoraRank, scale, out->data());
}

void _mlir_ciface_helix_rt_mla_attention(int64_t ctx, int64_t layer,
                                         int64_t kvb, F32x2 *q,
                                         I64x1 *positions, int64_t rowOffset,
                                         int64_t heads, int64_t nope,
                                         int64_t vDim, float scale,
                                         F32x2 *out) {
  RankContext *c = context(ctx);
  if (c->failed())
    return;
  int64_t batch = q->size(0), rank = c->manifest().cache->kvLoraRank;
  Scratch packed(c->device(), batch * heads * (rank + 1));
  if (!packed.data())
    return c->fail("out of memory: attention scratch");
  F32x4 partial{packed.data(), packed.data(), 0, {1, batch, heads, rank + 1},
                {batch * heads * (rank + 1), heads * (rank + 1), rank + 1, 1}};
  _mlir_ciface_helix_rt_mla_partial_attention(ctx, layer, kvb, q, positions, -1,
                                              rowOffset, heads, nope, vDim,
                                              scale, &partial);
  // One shard: the merge only normalizes; W_UV follows (fused on a device).
  _mlir_ciface_helix_rt_merge_value_projection(ctx, kvb, nope, vDim, &partial,
                                               out);
}

void _mlir_ciface_helix_rt_mla_value_projection(int64_t ctx, int64_t kvb,
                                                int64_t nope, int64_t vDim,
                                                F32x2 *in, F32x2 *out) {
  RankContext *c = context(ctx);
  if (c->failed())
    return;
  if (Device *device = c->device())
    return device->mlaValueProjection(*c, kvb, nope, vDim, *in, *out);
  int64_t heads = out->size(1) / vDim, rank = in->size(1) / heads;
  if (const float *kvB = weightData(c, kvb, heads * (nope + vDim), rank))
    k::mlaValueProjection(in->data(), kvB, in->size(0), heads, nope, vDim, rank,
                          out->data());
}

void _mlir_ciface_helix_rt_merge_linear(int64_t ctx, int64_t w, F32x4 *in,
                                        F32x2 *out) {
  RankContext *c = context(ctx);
  if (c->failed())
    return;
  if (Device *device = c->device())
    return device->mergeLinear(*c, w, *in, *out);
  mergeThen(c, in, [&](F32x2 *merged) {
    _mlir_ciface_helix_rt_linear(ctx, w, merged, out);
  });
}

void _mlir_ciface_helix_rt_merge_value_projection(int64_t ctx, int64_t kvb,
                                                  int64_t nope, int64_t vDim,
                                                  F32x4 *in, F32x2 *out) {
  RankContext *c = context(ctx);
  if (c->failed())
    return;
  if (Device *device = c->device())
    return device->mergeValueProjection(*c, kvb, nope, vDim, *in, *out);
  mergeThen(c, in, [&](F32x2 *merged) {
    _mlir_ciface_helix_rt_mla_value_projection(ctx, kvb, nope, vDim, merged,
                                               out);
  });
}

void _mlir_ciface_helix_rt_swiglu(int64_t ctx, int64_t gate, int64_t up,
                                  int64_t down, F32x2 *in, F32x2 *out) {
  RankContext *c = context(ctx);
  if (c->failed())
    return;
  if (Device *device = c->device())
    return device->swiglu(*c, gate, up, down, *in, *out);
  int64_t hidden = in->size(1);
  int64_t width = c->weight(gate).shape.empty() ? 0 : c->weight(gate).shape[0];
  const float *g = weightData(c, gate, width, hidden);
  const float *u = weightData(c, up, width, hidden);
  const float *d = weightData(c, down, hidden, width);
  if (g && u && d)
    k::swiglu(in->data(), g, u, d, in->size(0), hidden, width, out->data());
}

void _mlir_ciface_helix_rt_moe_route(int64_t ctx, int64_t gate, int64_t bias,
                                     int64_t topK, int64_t groups,
                                     int64_t topkGroup, int64_t norm,
                                     float scaling, F32x2 *in, I64x2 *ids,
                                     F32x2 *weights) {
  RankContext *c = context(ctx);
  if (c->failed())
    return;
  if (Device *device = c->device())
    return device->moeRoute(*c, gate, bias, topK, groups, topkGroup, norm != 0,
                            scaling, *in, *ids, *weights);
  int64_t experts = c->manifest().weights.at(gate).shape[0];
  const float *g = weightData(c, gate, experts, in->size(1));
  const float *b = weightData(c, bias, experts, -1);
  if (g && b)
    k::moeRoute(in->data(), g, b, in->size(0), in->size(1), experts, topK,
                groups, topkGroup, norm != 0, scaling, ids->data(),
                weights->data());
}

void _mlir_ciface_helix_rt_moe_experts(int64_t ctx, int64_t moe, F32x2 *in,
                                       I64x2 *ids, F32x2 *weights, F32x2 *out) {
  RankContext *c = context(ctx);
  if (c->failed())
    return;
  if (Device *device = c->device())
    return device->moeExperts(*c, moe, *in, *ids, *weights, *out);
  const MoeSpec &spec = c->manifest().moes.at(moe);
  int64_t hidden = in->size(1), batch = in->size(0);
  std::vector<const float *> gate, up, down;
  int64_t first = -1, width = 0;
  for (int64_t e = 0; e < spec.numExperts; ++e) {
    const std::vector<int64_t> &w = spec.experts[e];
    if (!c->weight(w[0]).owned)
      continue;
    if (first < 0)
      first = e;
    // EP groups own contiguous expert ranges; the kernel relies on it.
    if (e != first + static_cast<int64_t>(gate.size()))
      return c->fail("internal error: rank " + std::to_string(c->rank()) +
                     " owns a non-contiguous set of experts");
    width = c->weight(w[0]).shape[0];
    gate.push_back(c->weight(w[0]).data.data());
    up.push_back(c->weight(w[1]).data.data());
    down.push_back(c->weight(w[2]).data.data());
  }
  k::moeExperts(in->data(), ids->data(), weights->data(), batch, hidden,
                ids->size(1), first < 0 ? 0 : first,
                static_cast<int64_t>(gate.size()), width, gate.data(), up.data(),
                down.data(), out->data());
  if (!spec.shared)
    return;
  const std::vector<int64_t> &s = *spec.shared;
  int64_t sharedWidth =
      c->weight(s[0]).shape.empty() ? 0 : c->weight(s[0]).shape[0];
  const float *g = weightData(c, s[0], sharedWidth, hidden);
  const float *u = weightData(c, s[1], sharedWidth, hidden);
  const float *d = weightData(c, s[2], hidden, sharedWidth);
  if (!g || !u || !d)
    return;
  std::vector<float> shared(static_cast<size_t>(batch * hidden));
  k::swiglu(in->data(), g, u, d, batch, hidden, sharedWidth, shared.data());
  k::add(out->data(), shared.data(), batch * hidden, out->data());
}

} // extern "C"
