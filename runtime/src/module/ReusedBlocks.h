//===- ReusedBlocks.h - big host buffers kept from step to step -*- C++ -*-===//
//
// A step allocates the same buffers every step (activations, logits,
// exchange buffers). Blocks of a megabyte and more come from fresh mmaps,
// whose pages fault in on first touch, every step: 9% of a 2-rank prefill
// step on the anchor model was page faults. Freed big blocks wait here, by
// size, for the next request of that size; at most kMaxSpare bytes wait,
// the rest go back to the system, so memory stays bounded by the step's own
// peak plus that.
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_RT_MODULE_REUSEDBLOCKS_H
#define HELIX_RT_MODULE_REUSEDBLOCKS_H

#include <cstddef>
#include <map>
#include <mutex>
#include <unordered_map>

namespace helix_rt {

class ReusedBlocks {
public:
  static constexpr size_t kMinBytes = size_t(1) << 20;
  static constexpr size_t kMaxSpare = size_t(256) << 20;

  ReusedBlocks() = default;
  ReusedBlocks(const ReusedBlocks &) = delete;
  ReusedBlocks &operator=(const ReusedBlocks &) = delete;
  ~ReusedBlocks();

  /// A 64-byte aligned block of `size` bytes (a multiple of 64), or null.
  void *take(size_t size);
  /// Returns a block from take(), or anything else (false: not ours).
  bool give(void *p);
  size_t spareBytes() const;

private:
  mutable std::mutex mutex;
  std::unordered_map<void *, size_t> out; // handed out, with their sizes
  std::multimap<size_t, void *> spare;
  size_t spareSize = 0;
};

} // namespace helix_rt

#endif // HELIX_RT_MODULE_REUSEDBLOCKS_H
