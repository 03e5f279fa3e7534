//===- KvOwnership.cpp - staggered round-robin KV cache ownership ---------===//
#include "helix/Sharding/KvOwnership.h"

#include <algorithm>

namespace helix::sharding {

int64_t kvOwner(int64_t position, int64_t kvBlock, int64_t kvp) {
  return (position / kvBlock) % kvp;
}

int64_t kvLocalSlot(int64_t position, int64_t kvBlock, int64_t kvp) {
  // One "round" deals one block to every rank; each rank keeps one block of
  // slots per completed round.
  return (position / (kvBlock * kvp)) * kvBlock + position % kvBlock;
}

int64_t kvLocalLength(int64_t sequenceLength, int64_t kvBlock, int64_t kvp,
                      int64_t kvpIndex) {
  int64_t round = kvBlock * kvp;
  int64_t partial = sequenceLength % round - kvpIndex * kvBlock;
  return (sequenceLength / round) * kvBlock +
         std::clamp<int64_t>(partial, 0, kvBlock);
}

int64_t kvGlobalPosition(int64_t localSlot, int64_t kvBlock, int64_t kvp,
                         int64_t kvpIndex) {
  return (localSlot / kvBlock) * kvBlock * kvp + kvpIndex * kvBlock +
         localSlot % kvBlock;
}

int64_t kvLocalCapacity(int64_t maxContext, int64_t kvBlock, int64_t kvp) {
  return kvLocalLength(maxContext, kvBlock, kvp, /*kvpIndex=*/0);
}

} // namespace helix::sharding
