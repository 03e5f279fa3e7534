//===- abi.h - the contract between compiled modules and runtime -*- C++ -*-===//
//
// Owned by the runtime and included by the compiler (lib/Conversion), so
// every fact both sides must agree on is written once (docs/abi.md): the
// ABI version, the entry points a compiled step may call, the grid codes and
// the staggered KV slot rule. The manifest's schema is in
// helix_rt/manifest.h. Header-only, no dependencies; the KV rule also
// compiles for CUDA kernels.
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_RT_ABI_H
#define HELIX_RT_ABI_H

#include <cstdint>
#include <string>

#ifdef __CUDACC__
#define HELIX_HOST_DEVICE __host__ __device__
#else
#define HELIX_HOST_DEVICE
#endif

namespace helix_rt::abi {

/// The manifest's `abi_version`; bump it on any change to the table below,
/// an entry point's arguments or the manifest's schema.
inline constexpr int64_t kVersion = 4;

/// Every `helix_rt_<name>` a compiled step may call; the runtime defines
/// `_mlir_ciface_helix_rt_<name>` for each (unittests/Runtime/Module checks
/// that every one resolves). Arguments: docs/abi.md.
#define HELIX_RT_ENTRY_POINTS(X)                                              \
  /* buffers (target=cuda) and copies */                                     \
  X(alloc) X(free)                                                            \
  X(copy_f32_1d) X(copy_f32_2d) X(copy_f32_3d) X(copy_f32_4d)                 \
  X(copy_i64_1d) X(copy_i64_2d)                                               \
  /* elementwise and reductions */                                           \
  X(add) X(rms_norm) X(lse_merge) X(sum_shards) X(argmax) X(kv_owner)         \
  /* weights, projections, attention, FFN */                                 \
  X(embed) X(linear) X(logits) X(rope) X(kv_append) X(latent_append)         \
  X(gqa_partial_attention) X(gqa_attention) X(mla_partial_attention)          \
  X(mla_attention) X(mla_value_projection) X(merge_linear)                    \
  X(merge_value_projection) X(swiglu) X(moe_route) X(moe_experts)             \
  /* grids and collectives */                                                \
  X(grid_coord) X(all_reduce) X(all_to_all) X(all_gather)                     \
  X(all_gather_columns) X(start_all_reduce) X(start_all_to_all)               \
  X(start_all_gather) X(start_all_gather_columns) X(wait)

enum class Entry {
#define HELIX_RT_ENTRY_ENUM(name) name,
  HELIX_RT_ENTRY_POINTS(HELIX_RT_ENTRY_ENUM)
#undef HELIX_RT_ENTRY_ENUM
};

/// "helix_rt_<name>": the symbol the module declares (the runtime defines it
/// with MLIR's `_mlir_ciface_` prefix).
inline const char *symbol(Entry entry) {
  switch (entry) {
#define HELIX_RT_ENTRY_SYMBOL(name)                                           \
  case Entry::name:                                                           \
    return "helix_rt_" #name;
    HELIX_RT_ENTRY_POINTS(HELIX_RT_ENTRY_SYMBOL)
#undef HELIX_RT_ENTRY_SYMBOL
  }
  return nullptr;
}

/// The strided copy for an element type (f32, or i64 when `integer`) and
/// rank; false when the runtime has none.
inline bool copyEntry(bool integer, int64_t rank, Entry &out) {
  static constexpr Entry f32[] = {Entry::copy_f32_1d, Entry::copy_f32_2d,
                                  Entry::copy_f32_3d, Entry::copy_f32_4d};
  static constexpr Entry i64[] = {Entry::copy_i64_1d, Entry::copy_i64_2d};
  int64_t count = integer ? 2 : 4;
  if (rank < 1 || rank > count)
    return false;
  out = (integer ? i64 : f32)[rank - 1];
  return true;
}

/// The collectives and their blocking and started entry points.
enum class Collective { AllReduce, AllToAll, AllGather, AllGatherColumns };

inline Entry blockingEntry(Collective c) {
  switch (c) {
  case Collective::AllReduce:
    return Entry::all_reduce;
  case Collective::AllToAll:
    return Entry::all_to_all;
  case Collective::AllGather:
    return Entry::all_gather;
  case Collective::AllGatherColumns:
    return Entry::all_gather_columns;
  }
  return Entry::wait;
}

inline Entry startEntry(Collective c) {
  switch (c) {
  case Collective::AllReduce:
    return Entry::start_all_reduce;
  case Collective::AllToAll:
    return Entry::start_all_to_all;
  case Collective::AllGather:
    return Entry::start_all_gather;
  case Collective::AllGatherColumns:
    return Entry::start_all_gather_columns;
  }
  return Entry::wait;
}

/// The two grids of a Helix layout, by the code `grid_coord` takes and the
/// name the IR and the manifest use.
enum Grid : int64_t { AttentionGrid = 0, FfnGrid = 1 };
inline constexpr char kAttentionGridName[] = "helix_attention"; // kvp x tpa
inline constexpr char kFfnGridName[] = "helix_ffn";             // ep x tpf

inline const char *gridName(int64_t code) {
  return code == AttentionGrid ? kAttentionGridName
         : code == FfnGrid     ? kFfnGridName
                               : nullptr;
}

/// The grid's code, or -1 for a name that is not a Helix grid.
inline int64_t gridCode(const std::string &name) {
  if (name == kAttentionGridName)
    return AttentionGrid;
  return name == kFfnGridName ? int64_t{FfnGrid} : int64_t{-1};
}

//===----------------------------------------------------------------------===//
// The staggered KV rule (docs/sharding.md): KV entries are dealt to the
// `shards` KVP ranks in blocks of `block` consecutive global positions (block
// b goes to rank b % shards); each rank stores its tokens contiguously, in
// position order. RoPE keeps the global position. Arguments: block >= 1,
// shards >= 1, positions, slots and lengths >= 0.
//===----------------------------------------------------------------------===//

/// KVP rank that stores the KV of `position`.
HELIX_HOST_DEVICE inline int64_t kvOwner(int64_t position, int64_t block,
                                         int64_t shards) {
  return (position / block) % shards;
}

/// Local slot of a global position on its owner: one "round" deals one
/// block to every rank, and each rank keeps one block per completed round.
HELIX_HOST_DEVICE inline int64_t kvSlot(int64_t position, int64_t block,
                                        int64_t shards) {
  if (shards <= 1)
    return position;
  return (position / (block * shards)) * block + position % block;
}

/// Global position in `slot` of KVP rank `rank` (inverse of kvSlot).
HELIX_HOST_DEVICE inline int64_t kvPosition(int64_t slot, int64_t block,
                                            int64_t shards, int64_t rank) {
  return (slot / block) * block * shards + rank * block + slot % block;
}

/// Tokens at positions [0, length) that KVP rank `rank` holds (all of them
/// when unsharded or rank < 0).
HELIX_HOST_DEVICE inline int64_t kvLength(int64_t length, int64_t block,
                                          int64_t shards, int64_t rank) {
  if (rank < 0 || shards <= 1)
    return length;
  int64_t round = block * shards;
  int64_t full = length / round, rest = length % round;
  int64_t mine = rest - rank * block;
  int64_t part = mine < block ? mine : block;
  return full * block + (part > 0 ? part : 0);
}

/// Slots a rank needs for `maxContext` positions (rank 0 holds the most).
HELIX_HOST_DEVICE inline int64_t kvCapacity(int64_t maxContext, int64_t block,
                                            int64_t shards) {
  return kvLength(maxContext, block, shards, 0);
}

} // namespace helix_rt::abi

#endif // HELIX_RT_ABI_H
