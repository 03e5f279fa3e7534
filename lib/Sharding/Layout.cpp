//===- Layout.cpp - Helix layout, its checks and per-rank ownership -------===//
#include "helix/Sharding/Layout.h"

namespace helix::sharding {

int64_t Layout::worldSize() const { return kvp * tpa; }

std::string Layout::str() const {
  return "kvp=" + std::to_string(kvp) + " tpa=" + std::to_string(tpa) +
         " tpf=" + std::to_string(tpf) + " ep=" + std::to_string(ep) +
         " microbatches=" + std::to_string(microbatches) +
         " kv-block=" + std::to_string(kvBlock);
}

AttentionCoord attentionCoord(const Layout &layout, int64_t rank) {
  return {rank / layout.tpa, rank % layout.tpa};
}

FfnCoord ffnCoord(const Layout &layout, int64_t rank) {
  return {rank / layout.tpf, rank % layout.tpf};
}

Range queryHeadsOfRank(const Layout &layout, int64_t numHeads, int64_t rank) {
  return blockOf(numHeads, layout.tpa, attentionCoord(layout, rank).tpa);
}

Range kvHeadsOfRank(const Layout &layout, int64_t numKvHeads, int64_t rank) {
  return blockOf(numKvHeads, layout.tpa, attentionCoord(layout, rank).tpa);
}

int64_t headBlockAfterAllToAll(const Layout &layout, int64_t rank) {
  AttentionCoord coord = attentionCoord(layout, rank);
  return coord.tpa * layout.kvp + coord.kvp;
}

Range queryHeadsAfterAllToAll(const Layout &layout, int64_t numHeads,
                              int64_t rank) {
  return blockOf(numHeads, layout.worldSize(),
                 headBlockAfterAllToAll(layout, rank));
}

/// `count` ranks start, start + stride, ...: one line of a 2-D rank grid.
static std::vector<int64_t> ranksAlong(int64_t count, int64_t start,
                                       int64_t stride) {
  std::vector<int64_t> group;
  for (int64_t i = 0; i < count; ++i)
    group.push_back(start + i * stride);
  return group;
}

std::vector<int64_t> kvpGroup(const Layout &layout, int64_t rank) {
  return ranksAlong(layout.kvp, attentionCoord(layout, rank).tpa, layout.tpa);
}

std::vector<int64_t> epGroupRanks(const Layout &layout, int64_t rank) {
  return ranksAlong(layout.tpf, ffnCoord(layout, rank).ep * layout.tpf, 1);
}

std::vector<int64_t> tpfGroup(const Layout &layout, int64_t rank) {
  return ranksAlong(layout.ep, ffnCoord(layout, rank).tpf, layout.tpf);
}

Range expertsOfRank(const Layout &layout, int64_t numExperts, int64_t rank) {
  return blockOf(numExperts, layout.ep, ffnCoord(layout, rank).ep);
}

Range ffnColumnsOfRank(int64_t width, int64_t parts, int64_t index) {
  return blockOf(width, parts, index);
}

} // namespace helix::sharding
