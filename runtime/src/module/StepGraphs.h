//===- StepGraphs.h - when to record a decode step and replay it -*- C++ -*-===//
//
// A device that can record the work of a step and replay it (CUDA graphs:
// one launch instead of hundreds, no host code between kernels) runs the
// same recording for every step of the same shape. What it records must
// not depend on the step's data: the row count is part of the shape, and
// attention sizes its split grid from a length bound (lengthBucket) rather
// than each step's exact longest sequence, so one recording serves a range
// of context lengths. This is the plan, with no device in it, so it is
// tested on the host (unittests/Runtime/Module/StepGraphsTest.cpp);
// ModuleApi's deviceStep follows it and docs/gpu.md says how.
//
// A step of a shape is recorded only after one eager step of that shape
// left the device's persistent state as it was (its generation): lazily
// made tables and grown workspaces exist by then, so recording allocates
// nothing that outlives it. A new generation makes every recording stale.
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_RT_MODULE_STEPGRAPHS_H
#define HELIX_RT_MODULE_STEPGRAPHS_H

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <utility>

namespace helix_rt {

/// The bound recordings size attention for, for a step whose longest
/// sequence (position + 1) is `length`: 256 up to 256 tokens, then the next
/// multiple of an eighth of the power of two below, so a bound is at most
/// 1/8 above the length and a decode crosses into a new bucket every
/// length/8 steps or so.
int64_t lengthBucket(int64_t length);

/// What a recording is taken for: the rows of the step and the bucket.
struct StepShape {
  int64_t rows = 0;
  int64_t lengthBound = 0;
  bool operator<(const StepShape &o) const {
    return std::pair(rows, lengthBound) < std::pair(o.rows, o.lengthBound);
  }
  bool operator==(const StepShape &o) const {
    return rows == o.rows && lengthBound == o.lengthBound;
  }
};

/// A recorded step and the device buffers its inputs and outputs live in
/// (the recording points to them, so they live as long as it does).
struct Recording {
  void *graph = nullptr;
  void *buffers[4] = {nullptr, nullptr, nullptr, nullptr};
};

class StepGraphs {
public:
  enum class Action { Eager, Record, Replay };

  /// Keeps at most `capacity` recordings (least recently used go first);
  /// `release` frees one (its graph and buffers).
  StepGraphs(size_t capacity, std::function<void(Recording &)> release);
  ~StepGraphs();
  StepGraphs(const StepGraphs &) = delete;
  StepGraphs &operator=(const StepGraphs &) = delete;

  /// What to do for a step of `shape` while the device is at
  /// `generation`; for Replay, `found` is the recording.
  Action plan(const StepShape &shape, uint64_t generation,
              const Recording **found = nullptr);
  /// An eager step of `shape` ran; the device went from `before` to
  /// `after` (equal: the shape may be recorded next time).
  void ranEagerly(const StepShape &shape, uint64_t before, uint64_t after);
  /// A recording of `shape` made at `generation`; kept (and owned) from
  /// now. Returns the kept copy (valid until the next call that changes
  /// the plan).
  const Recording &recorded(const StepShape &shape, const Recording &recording,
                            uint64_t generation);
  /// Releases every recording.
  void clear();

  size_t size() const { return recordings.size(); }
  int64_t recordedCount() const { return records; }
  int64_t replayedCount() const { return replays; }

private:
  struct Entry {
    StepShape shape;
    Recording recording;
  };
  size_t capacity;
  std::function<void(Recording &)> release;
  std::list<Entry> recordings; // most recently used first
  uint64_t recordingsGeneration = 0;
  std::map<StepShape, uint64_t> warm; // shape -> generation it left
  int64_t records = 0, replays = 0;
};

} // namespace helix_rt

#endif // HELIX_RT_MODULE_STEPGRAPHS_H
