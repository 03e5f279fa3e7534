//===- Layout.h - Helix layout, checks and per-rank ownership ---*- C++ -*-===//
//
// Plain C++ (no MLIR): the sharding algebra shared by the sharding passes,
// the planner and the runtime. One Helix layout uses the same N ranks twice
// per layer, with two different grids:
//
//   attention grid  N = kvp x tpa   rank r = kvpIndex * tpa + tpaIndex
//   FFN grid        N = ep  x tpf   rank r = epIndex  * tpf + tpfIndex
//
// Ranks that share a tpa index form one KVP group (the all-to-all group);
// ranks that share an ep index form one expert group (TP inside the group,
// all-reduce); ranks that share a tpf index across expert groups form the
// all-gather group. Dense FFNs, W_O and shared experts run TP over all N
// ranks, where rank r takes block r.
//
// Every ownership query below expects a layout accepted by validateLayout and
// 0 <= rank < worldSize(); results for other inputs are unspecified.
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_SHARDING_LAYOUT_H
#define HELIX_SHARDING_LAYOUT_H

#include "helix/Sharding/Range.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace helix::sharding {

struct Layout {
  int64_t kvp = 1;          // KV-cache (sequence) parallelism in attention
  int64_t tpa = 1;          // head (tensor) parallelism in attention
  int64_t tpf = 1;          // tensor parallelism inside one expert group
  int64_t ep = 1;           // expert parallelism (number of expert groups)
  int64_t microbatches = 1; // HOP-B micro-batches
  int64_t kvBlock = 16;     // tokens appended to one KVP rank in a row

  /// N, the number of ranks: kvp * tpa (equal to tpf * ep when valid).
  int64_t worldSize() const;
  /// "kvp=8 tpa=8 tpf=64 ep=1 microbatches=1 kv-block=16"
  std::string str() const;
};

/// The model sizes the layout is checked against.
struct ModelShape {
  int64_t numHeads = 0;          // query heads
  int64_t numKvHeads = 0;        // KV heads (GQA); ignored for MLA
  bool mla = false;              // one latent cache shared by all heads
  int64_t denseFfnWidth = 0;     // intermediate_size, 0 if no dense layer
  int64_t numExperts = 0;        // routed experts, 0 for dense models
  int64_t expertWidth = 0;       // moe_intermediate_size
  int64_t sharedExpertWidth = 0; // n_shared_experts * moe_intermediate_size
};

/// nullopt when `layout` can run `model`; otherwise one message naming the
/// first rule broken, with the numbers. Rules, in checking order: every
/// factor >= 1; model sizes sane (heads >= 1, GQA heads a multiple of the KV
/// heads, widths >= 0); kvp*tpa == tpf*ep; GQA: tpa <= KV heads and divides
/// them; MLA: tpa == 1; query heads divisible by N; dense FFN width divisible
/// by N; experts divisible by ep; expert width divisible by tpf; shared-expert
/// width divisible by N; ep == 1 for a model without experts.
std::optional<std::string> validateLayout(const Layout &layout,
                                          const ModelShape &model);

struct AttentionCoord {
  int64_t kvp = 0, tpa = 0;
};
AttentionCoord attentionCoord(const Layout &layout, int64_t rank);

struct FfnCoord {
  int64_t ep = 0, tpf = 0;
};
FfnCoord ffnCoord(const Layout &layout, int64_t rank);

/// Query heads of the rank's TPA shard (Hq/tpa heads), used by its local
/// attention; the same on every KVP peer.
Range queryHeadsOfRank(const Layout &layout, int64_t numHeads, int64_t rank);
/// KV heads of the rank's TPA shard (pass 1 for MLA's latent cache).
Range kvHeadsOfRank(const Layout &layout, int64_t numKvHeads, int64_t rank);

/// Index of the Hq/N head block the rank merges after the all-to-all:
/// tpaIndex * kvp + kvpIndex, i.e. KVP peer i takes slice i of its TPA shard.
int64_t headBlockAfterAllToAll(const Layout &layout, int64_t rank);
/// The Hq/N query heads the rank merges and projects with its W_O rows.
Range queryHeadsAfterAllToAll(const Layout &layout, int64_t numHeads,
                              int64_t rank);

/// Ranks with the rank's tpa index (its all-to-all group), by kvp index.
std::vector<int64_t> kvpGroup(const Layout &layout, int64_t rank);
/// Ranks of the rank's expert group (same ep index), by tpf index.
std::vector<int64_t> epGroupRanks(const Layout &layout, int64_t rank);
/// Ranks with the rank's tpf index across expert groups (its all-gather
/// group), by ep index.
std::vector<int64_t> tpfGroup(const Layout &layout, int64_t rank);

/// Routed experts owned by the rank's expert group.
Range expertsOfRank(const Layout &layout, int64_t numExperts, int64_t rank);
/// Column block `index` of `parts` of a gate/up projection of `width`
/// columns (the same rows of down). Dense FFN and shared experts: parts = N,
/// index = rank; routed experts: parts = tpf, index = tpfIndex.
Range ffnColumnsOfRank(int64_t width, int64_t parts, int64_t index);

} // namespace helix::sharding

#endif // HELIX_SHARDING_LAYOUT_H
