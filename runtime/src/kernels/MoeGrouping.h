//===- MoeGrouping.h - Routed MoE rows grouped by local expert --*- C++ -*-===//
//
// A stable counting sort of a step's (row, slot) pairs by local expert, in
// phases whose per-item steps are the functions below. The CUDA kernels
// (runtime/src/cuda/MoeExperts.cu) run each step on one thread per item;
// groupRoutedRowsOnHost runs the same steps in loops, so the host tests
// check the algorithm the GPU runs. Nothing here reads back to the host:
// every size comes from (batch, topK, local experts).
//
// Slot s = b * topK + j is row b's j-th choice. Slots of a local expert get
// consecutive positions, in slot order, so an expert's rows are one run.
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_RT_KERNELS_MOEGROUPING_H
#define HELIX_RT_KERNELS_MOEGROUPING_H

#include <cstdint>
#include <vector>

#if defined(__CUDACC__)
#define HELIX_HD __host__ __device__ inline
#else
#define HELIX_HD inline
#endif

namespace helix_rt::moe {

/// Slots per tile; the CUDA grouping kernels run one block of this many
/// threads per tile.
constexpr int32_t kGroupTile = 256;

HELIX_HD int64_t groupTiles(int64_t slots) {
  return (slots + kGroupTile - 1) / kGroupTile;
}

/// Where the grouping writes (device or host memory). `tileBase` is
/// scratch; the rest is the result: expert e's slots are the positions
/// [offsets[e], offsets[e + 1]), position p holds row slotRow[p] with
/// routing weight slotWeight[p], and slotOf maps a slot to its position
/// (-1: another rank's expert).
struct RoutedGroups {
  int32_t *tileBase;  // [tiles, experts]: tile counts, then first positions
  int32_t *offsets;   // [experts + 1]
  int32_t *slotRow;   // [slots]
  float *slotWeight;  // [slots]
  int32_t *slotOf;    // [slots]
};

/// The local index of expert `id` among [first, first + experts), or -1.
HELIX_HD int32_t localExpert(int64_t id, int64_t first, int64_t experts) {
  return id >= first && id - first < experts ? int32_t(id - first) : -1;
}

/// Step 1, per (tile, expert): how many of the tile's `len` slots go to e.
HELIX_HD int32_t countInTile(const int32_t *tileExperts, int32_t len,
                             int32_t e) {
  int32_t n = 0;
  for (int32_t k = 0; k < len; ++k)
    n += tileExperts[k] == e;
  return n;
}

/// Step 2a, per expert: the tile counts of e become exclusive prefix sums
/// over the tiles; returns e's total.
HELIX_HD int32_t scanTiles(int32_t *tileBase, int64_t tiles, int64_t experts,
                           int64_t e) {
  int32_t running = 0;
  for (int64_t t = 0; t < tiles; ++t) {
    const int32_t count = tileBase[t * experts + e];
    tileBase[t * experts + e] = running;
    running += count;
  }
  return running;
}

/// Step 2b, one thread: offsets[0..experts) hold the totals; they become
/// the exclusive prefix sum, and offsets[experts] the number of local slots.
HELIX_HD void scanExperts(int32_t *offsets, int64_t experts) {
  int32_t running = 0;
  for (int64_t e = 0; e < experts; ++e) {
    const int32_t total = offsets[e];
    offsets[e] = running;
    running += total;
  }
  offsets[experts] = running;
}

/// Step 2c, per expert: each tile's first position of e.
HELIX_HD void addExpertBase(int32_t *tileBase, int64_t tiles, int64_t experts,
                            int64_t e, int32_t base) {
  for (int64_t t = 0; t < tiles; ++t)
    tileBase[t * experts + e] += base;
}

/// Step 3, per slot of a tile: slot `start + k` goes to the position after
/// the tile's earlier slots of the same expert (stable).
HELIX_HD void placeSlot(const int32_t *tileExperts, int32_t k, int64_t start,
                        const int32_t *tileBaseRow, const float *weights,
                        int64_t topK, const RoutedGroups &g) {
  const int64_t slot = start + k;
  const int32_t e = tileExperts[k];
  if (e < 0) {
    g.slotOf[slot] = -1;
    return;
  }
  int32_t rank = 0;
  for (int32_t i = 0; i < k; ++i)
    rank += tileExperts[i] == e;
  const int32_t pos = tileBaseRow[e] + rank;
  g.slotRow[pos] = int32_t(slot / topK);
  g.slotWeight[pos] = weights[slot];
  g.slotOf[slot] = pos;
}

/// The routed result of row b, element i: the row's local slots' expert
/// outputs y [positions, n] weighted, added in slot order (deterministic).
HELIX_HD float combineRow(const int32_t *slotOf, const float *slotWeight,
                          const float *y, int64_t n, int64_t topK, int64_t b,
                          int64_t i) {
  float sum = 0.0f;
  for (int64_t j = 0; j < topK; ++j) {
    const int32_t pos = slotOf[b * topK + j];
    if (pos >= 0)
      sum += slotWeight[pos] * y[int64_t(pos) * n + i];
  }
  return sum;
}

/// The grouping on the host: the steps above in the order the CUDA kernels
/// run them. `g`'s arrays are sized as RoutedGroups says.
inline void groupRoutedRowsOnHost(const int64_t *ids, const float *weights,
                                  int64_t batch, int64_t topK, int64_t first,
                                  int64_t experts, const RoutedGroups &g) {
  const int64_t slots = batch * topK, tiles = groupTiles(slots);
  std::vector<int32_t> tile(kGroupTile);
  auto load = [&](int64_t t) {
    const int64_t start = t * kGroupTile;
    const int32_t len =
        int32_t(slots - start < kGroupTile ? slots - start : kGroupTile);
    for (int32_t k = 0; k < kGroupTile; ++k)
      tile[k] = k < len ? localExpert(ids[start + k], first, experts) : -1;
    return len;
  };
  for (int64_t t = 0; t < tiles; ++t) {
    const int32_t len = load(t);
    for (int64_t e = 0; e < experts; ++e)
      g.tileBase[t * experts + e] = countInTile(tile.data(), len, int32_t(e));
  }
  for (int64_t e = 0; e < experts; ++e)
    g.offsets[e] = scanTiles(g.tileBase, tiles, experts, e);
  scanExperts(g.offsets, experts);
  for (int64_t e = 0; e < experts; ++e)
    addExpertBase(g.tileBase, tiles, experts, e, g.offsets[e]);
  for (int64_t t = 0; t < tiles; ++t) {
    const int32_t len = load(t);
    for (int32_t k = 0; k < len; ++k)
      placeSlot(tile.data(), k, t * kGroupTile, g.tileBase + t * experts,
                weights, topK, g);
  }
}

} // namespace helix_rt::moe

#undef HELIX_HD

#endif // HELIX_RT_KERNELS_MOEGROUPING_H
