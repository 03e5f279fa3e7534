//===- KvOwnership.h - staggered round-robin KV cache ownership -*- C++ -*-===//
//
// KV entries are dealt to the KVP ranks in blocks of `kvBlock` consecutive
// global positions: block b goes to rank b % kvp. Each rank stores its tokens
// contiguously, in position order, so rank i's local slot s holds one global
// position and its local length is a prefix count. RoPE keeps using the
// global position.
//
// Preconditions: kvBlock >= 1, kvp >= 1, 0 <= kvpIndex < kvp, positions,
// slots and lengths >= 0.
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_SHARDING_KVOWNERSHIP_H
#define HELIX_SHARDING_KVOWNERSHIP_H

#include <cstdint>

namespace helix::sharding {

/// KVP rank that stores the KV of `position`: (position / kvBlock) % kvp.
int64_t kvOwner(int64_t position, int64_t kvBlock, int64_t kvp);

/// Index of `position` in its owner's contiguous storage.
int64_t kvLocalSlot(int64_t position, int64_t kvBlock, int64_t kvp);

/// Number of positions in [0, sequenceLength) held by KVP rank `kvpIndex`.
int64_t kvLocalLength(int64_t sequenceLength, int64_t kvBlock, int64_t kvp,
                      int64_t kvpIndex);

/// Global position stored in `localSlot` of rank `kvpIndex` (inverse of
/// kvLocalSlot for that rank).
int64_t kvGlobalPosition(int64_t localSlot, int64_t kvBlock, int64_t kvp,
                         int64_t kvpIndex);

/// Slots a rank must allocate to hold `maxContext` tokens (rank 0 is always
/// the fullest, so this is the maximum over ranks).
int64_t kvLocalCapacity(int64_t maxContext, int64_t kvBlock, int64_t kvp);

} // namespace helix::sharding

#endif // HELIX_SHARDING_KVOWNERSHIP_H
