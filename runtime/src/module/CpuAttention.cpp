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
  size_t count = static_cast<size_t>(spec.layers * rows * slots * tokenWidth);
  bf16Cache = c.kvDtype() == HELIX_KV_DTYPE_BF16;
  if (bf16Cache)
    cacheBf16.assign(count, 0);
  else
    cache.assign(count, 0.0f);
  int64_t weights = static_cast<int64_t>(c.manifest().weights.size());
  for (int64_t id = 0; id < weights; ++id)
    weightSize[c.weight(id).dtype()] += c.weight(id).bytes();
  return true;
}

void CpuDevice::store(int64_t offset, const float *values, int64_t count) {
  if (bf16Cache)
    k::toBf16(values, count, cacheBf16.data() + offset);
  else
    std::copy_n(values, count, cache.data() + offset);
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
    int64_t base = rowStart(layer, row);
    int64_t first = base + slot * tokenStride;
    int64_t second =
        spec.latent ? first + aWidth : base + slots * aWidth + slot * bWidth;
    store(first, a.data() + s * aWidth, aWidth);
    store(second, b.data() + s * bWidth, bWidth);
  }
}

/// `secondPerSlot`: values per slot of the first region (KV: the values
/// start after all slots' keys); 0 for latent caches.
bool CpuDevice::sequenceViews(RankContext &c, int64_t layer,
                              const I64x1 &positions, int64_t rank,
                              int64_t rowOffset, int64_t secondPerSlot,
                              SequenceViews &views) {
  const CacheSpec &spec = *c.manifest().cache;
  int64_t batch = positions.size(0);
  if (bf16Cache) {
    views.firstBf16.resize(batch);
    views.secondBf16.resize(batch);
  } else {
    views.first.resize(batch);
    views.second.resize(batch);
  }
  views.length.resize(batch);
  for (int64_t s = 0; s < batch; ++s) {
    int64_t row = c.cacheRowOf(rowOffset + s);
    if (!checkRow(c, row))
      return false;
    int64_t first = rowStart(layer, row);
    int64_t second = first + slots * secondPerSlot;
    if (bf16Cache) {
      views.firstBf16[s] = cacheBf16.data() + first;
      views.secondBf16[s] = cacheBf16.data() + second;
    } else {
      views.first[s] = cache.data() + first;
      views.second[s] = cache.data() + second;
    }
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
  k::gqaPartialAttention(q.data(), views.firstRows(), views.secondRows(),
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
  k::mlaPartialAttention(q.data(), views.firstRows(), views.length.data(), kvB,
                         q.size(0), heads, nope, spec.ropeDim, vDim,
                         spec.kvLoraRank, scale, out.data());
}

} // namespace helix_rt
