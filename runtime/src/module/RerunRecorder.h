//===- RerunRecorder.h - recorded steps on the CPU device, for tests -*- C++ -*-===//
//
// HELIX_TEST_RECORD_STEPS=1 gives the CPU device this StepRecorder, so the
// recorded-step path (ModuleApi's recordedStep and the StepGraphs plan) runs
// without a GPU, in every layout and on real modules (test/e2e/
// recorded-steps.test). "Recording" keeps the step's call on the
// recording's own buffers; a replay makes that call again after the driver
// has written the new inputs into them, as a CUDA graph replays its work.
// It saves nothing on a CPU: it is a test hook, off by default.
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_RT_MODULE_RERUNRECORDER_H
#define HELIX_RT_MODULE_RERUNRECORDER_H

#include "Device.h"
#include "RankContext.h"

#include <functional>

namespace helix_rt {

class RerunRecorder final : public StepRecorder {
public:
  bool recordable(RankContext &) const override { return true; }
  // The CPU device keeps no state a recording points to.
  uint64_t generation() const override { return 0; }
  void setLengthBound(int64_t) override {}
  void *record(RankContext &, const std::function<void()> &step) override {
    return new std::function<void()>(step);
  }
  bool replay(RankContext &c, void *recording) override {
    (*static_cast<std::function<void()> *>(recording))();
    return !c.failed();
  }
  void destroy(void *recording) override {
    delete static_cast<std::function<void()> *>(recording);
  }
};

} // namespace helix_rt

#endif // HELIX_RT_MODULE_RERUNRECORDER_H
