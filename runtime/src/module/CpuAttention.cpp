//===- CpuAttention.cpp - the host KV cache and attention over it ---------===//
//
// One block per (layer, sequence row) of `slots` tokens; where a token goes
// is the staggered KV rule of helix_rt/abi.h.
//
//===----------------------------------------------------------------------===//
#include "CpuDevice.h"
#include "RankContext.h"
#include "helix_rt/abi.h"
#include "helix_rt/kernels.h"

#include <algorithm>

namespace helix_rt {

namespace k = kernels;

bool CpuDevice::upload(RankContext &c, int64_t rows, int64_t slots,
                       std::string &) {
  const CacheSpec &spec = *c.manifest().cache;
  this->rows = rows;
  this->slots = slots;
  tokenWidth = spec.tokenWidth();
  // RankContext checked that the cache's size fits an int64_t.
  cache.assign(static_cast<size_t>(spec.layers * rows * slots * tokenWidth),
               0.0f);
  int64_t count = static_cast<int64_t>(c.manifest().weights.size());
  for (int64_t id = 0; id < count; ++id)
    weightSize[c.weight(id).dtype()] += c.weight(id).bytes();
  return true;
}

float *CpuDevice::rowBase(int64_t layer, int64_t row) {
  return cache.data() + (layer * rows + row) * slots * tokenWidth;
}

bool CpuDevice::checkRow(RankContext &c, int64_t row) {
  if (row < rows)
    return true;
  c.fail("batch row " + std::to_string(row) + " exceeds the cache's " +
         std::to_string(rows) + " rows");
  return false;
}

/// Appends one token per sequence where this rank owns it: (key, value)
/// into the row's key and value regions, or (latent, rope key) side by side.
void CpuDevice::append(RankContext &c, int64_t layer, const F32x2 &a,
                       const F32x2 &b, const I64x1 &positions,
                       const I64x1 &owner, int64_t rank, int64_t rowOffset) {
  const CacheSpec &spec = *c.manifest().cache;
  int64_t aWidth = a.size(1), bWidth = b.size(1);
  int64_t tokenStride = spec.latent ? aWidth + bWidth : aWidth;
  for (int64_t s = 0; s < a.size(0); ++s) {
    if (rank >= 0 && owner.data()[s] != rank)
      continue;
    int64_t row = c.cacheRowOf(rowOffset + s);
    int64_t position = positions.data()[s];
    int64_t slot = abi::kvSlot(position, spec.block, spec.tokenShards);
    if (!checkRow(c, row))
      return;
    if (position < 0 || slot >= slots)
      return c.fail("context over capacity: position " +
                    std::to_string(position) +
                    " does not fit the KV cache (capacity " +
                    std::to_string(slots) + " tokens per rank)");
    float *base = rowBase(layer, row);
    float *first = base + slot * tokenStride;
    float *second =
        spec.latent ? first + aWidth : base + slots * aWidth + slot * bWidth;
    std::copy_n(a.data() + s * aWidth, aWidth, first);
    std::copy_n(b.data() + s * bWidth, bWidth, second);
  }
}

/// `secondPerSlot`: floats per slot of the first region (KV: the values
/// start after all slots' keys); 0 for latent caches.
bool CpuDevice::sequenceViews(RankContext &c, int64_t layer,
                              const I64x1 &positions, int64_t rank,
                              int64_t rowOffset, int64_t secondPerSlot,
                              SequenceViews &views) {
  const CacheSpec &spec = *c.manifest().cache;
  int64_t batch = positions.size(0);
  views.first.resize(batch);
  views.second.resize(batch);
  views.length.resize(batch);
  for (int64_t s = 0; s < batch; ++s) {
    int64_t row = c.cacheRowOf(rowOffset + s);
    if (!checkRow(c, row))
      return false;
    views.first[s] = rowBase(layer, row);
    views.second[s] = views.first[s] + slots * secondPerSlot;
    // The cached tokens of the sequence this rank attends to at its
    // position (the current one included).
    views.length[s] = abi::kvLength(positions.data()[s] + 1, spec.block,
                                    spec.tokenShards, rank);
    if (views.length[s] > slots) {
      c.fail("context over capacity: position " +
             std::to_string(positions.data()[s]) + " exceeds the KV cache");
      return false;
    }
  }
  return true;
}

void CpuDevice::gqaPartialAttention(RankContext &c, int64_t layer,
                                    const F32x2 &q, const I64x1 &positions,
                                    int64_t rank, int64_t rowOffset,
                                    int64_t heads, float scale,
                                    const F32x4 &out) {
  const CacheSpec &spec = *c.manifest().cache;
  SequenceViews views;
  if (!sequenceViews(c, layer, positions, rank, rowOffset,
                     spec.kvHeads * spec.headDim, views))
    return;
  k::gqaPartialAttention(q.data(), views.first.data(), views.second.data(),
                         views.length.data(), q.size(0), heads, spec.kvHeads,
                         spec.headDim, scale, out.data());
}

void CpuDevice::mlaPartialAttention(RankContext &c, int64_t layer, int64_t kvb,
                                    const F32x2 &q, const I64x1 &positions,
                                    int64_t rank, int64_t rowOffset,
                                    int64_t heads, int64_t nope, int64_t vDim,
                                    float scale, const F32x4 &out) {
  const CacheSpec &spec = *c.manifest().cache;
  k::Weights kvB = weightData(c, kvb, heads * (nope + vDim), spec.kvLoraRank);
  SequenceViews views;
  if (!kvB.data ||
      !sequenceViews(c, layer, positions, rank, rowOffset, 0, views))
    return;
  k::mlaPartialAttention(q.data(), views.first.data(), views.length.data(), kvB,
                         q.size(0), heads, nope, spec.ropeDim, vDim,
                         spec.kvLoraRank, scale, out.data());
}

} // namespace helix_rt
