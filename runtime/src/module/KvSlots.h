//===- KvSlots.h - where a rank keeps the tokens it owns -------*- C++ -*-===//
//
// The runtime's side of the staggered KV rule (docs/sharding.md): token at
// global position p is owned by KVP rank (p / block) % shards and stored at
// a contiguous local slot. The compiler states the same rule in
// helix::sharding (KvOwnership.h); unittests/Runtime/Module checks that the
// two agree, since the runtime may not depend on the compiler.
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_RT_MODULE_KVSLOTS_H
#define HELIX_RT_MODULE_KVSLOTS_H

#include <cstdint>

// The CUDA device computes slots in kernels from the same definitions.
#ifdef __CUDACC__
#define HELIX_HOST_DEVICE __host__ __device__
#else
#define HELIX_HOST_DEVICE
#endif

namespace helix_rt {

/// Local slot of a global position on its owner.
HELIX_HOST_DEVICE inline int64_t kvSlot(int64_t position, int64_t block,
                                        int64_t shards) {
  if (shards <= 1)
    return position;
  return (position / (block * shards)) * block + position % block;
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

} // namespace helix_rt

#endif // HELIX_RT_MODULE_KVSLOTS_H
