//===- StepGraphs.cpp - when to record a decode step and replay it --------===//
#include "StepGraphs.h"

#include <algorithm>

namespace helix_rt {

namespace {
// Shapes remembered as warm: a decode passes through a bucket after
// another, so old ones are dropped rather than kept forever.
constexpr size_t kWarmShapes = 64;
constexpr int64_t kSmallestBucket = 256;
} // namespace

int64_t lengthBucket(int64_t length) {
  if (length <= kSmallestBucket)
    return kSmallestBucket;
  int64_t power = kSmallestBucket;
  while (power * 2 < length)
    power *= 2;
  int64_t step = power / 8;
  return (length + step - 1) / step * step;
}

StepGraphs::StepGraphs(size_t capacity,
                       std::function<void(Recording &)> release)
    : capacity(std::max<size_t>(capacity, 1)), release(std::move(release)) {}

StepGraphs::~StepGraphs() { clear(); }

void StepGraphs::clear() {
  for (Entry &e : recordings)
    release(e.recording);
  recordings.clear();
}

StepGraphs::Action StepGraphs::plan(const StepShape &shape,
                                    uint64_t generation,
                                    const Recording **found) {
  if (found)
    *found = nullptr;
  // A recording may point to state the device has since replaced.
  if (!recordings.empty() && recordingsGeneration != generation)
    clear();
  for (auto it = recordings.begin(); it != recordings.end(); ++it)
    if (it->shape == shape) {
      recordings.splice(recordings.begin(), recordings, it);
      ++replays;
      if (found)
        *found = &recordings.front().recording;
      return Action::Replay;
    }
  auto w = warm.find(shape);
  return w != warm.end() && w->second == generation ? Action::Record
                                                     : Action::Eager;
}

void StepGraphs::ranEagerly(const StepShape &shape, uint64_t before,
                            uint64_t after) {
  if (before != after) {
    warm.erase(shape);
    return;
  }
  if (warm.size() >= kWarmShapes && !warm.count(shape))
    warm.clear();
  warm[shape] = after;
}

const Recording &StepGraphs::recorded(const StepShape &shape,
                                      const Recording &recording,
                                      uint64_t generation) {
  if (!recordings.empty() && recordingsGeneration != generation)
    clear();
  recordingsGeneration = generation;
  recordings.push_front({shape, recording});
  ++records;
  warm.erase(shape);
  while (recordings.size() > capacity) {
    release(recordings.back().recording);
    recordings.pop_back();
  }
  return recordings.front().recording;
}

} // namespace helix_rt
