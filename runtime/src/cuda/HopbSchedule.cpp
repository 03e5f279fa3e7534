//===- HopbSchedule.cpp - HOP-B on two streams with events ----------------===//
#include "HopbSchedule.h"

#include <algorithm>

namespace helix_rt::cuda::plan {

int32_t hopbEventCount(int32_t microbatches) { return 2 * microbatches; }
int32_t computeDoneEvent(int32_t microbatch) { return 2 * microbatch; }
int32_t commDoneEvent(int32_t microbatch) { return 2 * microbatch + 1; }

std::vector<Step> hopbSchedule(int32_t segments, int32_t microbatches) {
  std::vector<Step> steps;
  if (segments < 1 || microbatches < 1)
    return steps;
  for (int32_t s = 0; s < segments; ++s)
    for (int32_t m = 0; m < microbatches; ++m) {
      if (s > 0)
        steps.push_back(
            {StepKind::Wait, Stream::Compute, s, m, commDoneEvent(m)});
      steps.push_back({StepKind::Compute, Stream::Compute, s, m, -1});
      steps.push_back(
          {StepKind::Record, Stream::Compute, s, m, computeDoneEvent(m)});
      steps.push_back(
          {StepKind::Wait, Stream::Comm, s, m, computeDoneEvent(m)});
      steps.push_back({StepKind::Collective, Stream::Comm, s, m, -1});
      steps.push_back({StepKind::Record, Stream::Comm, s, m, commDoneEvent(m)});
    }
  return steps;
}

Timeline simulate(const std::vector<Step> &steps, int32_t microbatches,
                  double computeTime, double commTime) {
  Timeline t;
  struct Recorded {
    bool valid = false;
    int32_t segment = -1, microbatch = -1;
    Stream stream = Stream::Compute;
    double time = 0;
  };
  std::vector<Recorded> events(size_t(hopbEventCount(microbatches)));
  double clock[2] = {0, 0};
  auto fail = [&](const Step &s, const std::string &why) {
    t.error = "segment " + std::to_string(s.segment) + " micro-batch " +
              std::to_string(s.microbatch) + ": " + why;
    return t;
  };
  for (const Step &s : steps) {
    double &now = clock[int(s.stream)];
    switch (s.kind) {
    case StepKind::Compute:
      now += computeTime;
      t.computeBusy += computeTime;
      break;
    case StepKind::Collective:
      now += commTime;
      t.makespan = std::max(t.makespan, now);
      break;
    case StepKind::Record:
      if (s.event < 0 || size_t(s.event) >= events.size())
        return fail(s, "record of an unknown event");
      events[size_t(s.event)] = {true, s.segment, s.microbatch, s.stream, now};
      break;
    case StepKind::Wait: {
      if (s.event < 0 || size_t(s.event) >= events.size())
        return fail(s, "wait on an unknown event");
      const Recorded &r = events[size_t(s.event)];
      // The record this wait needs: the same segment's compute for the
      // comm stream, the previous segment's collective for compute.
      const bool onComm = s.stream == Stream::Comm;
      const int32_t wantSegment = onComm ? s.segment : s.segment - 1;
      const Stream wantStream = onComm ? Stream::Compute : Stream::Comm;
      if (!r.valid || r.segment != wantSegment ||
          r.microbatch != s.microbatch || r.stream != wantStream)
        return fail(s, "wait binds to the wrong record");
      now = std::max(now, r.time);
      break;
    }
    }
  }
  t.makespan = std::max(t.makespan, clock[int(Stream::Compute)]);
  t.ok = true;
  return t;
}

} // namespace helix_rt::cuda::plan
