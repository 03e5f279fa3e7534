//===- HopbSchedule.h - HOP-B on two streams with events --------*- C++ -*-===//
//
// The order in which the host enqueues one decode step on the compute and
// communication streams (pure C++, unit tested without a device). A step is
// `segments` compute segments each followed by a collective (docs/sharding.md
// "HOP-B schedule"). For each segment and micro-batch m, in host order:
//
//   compute: wait commDone[m]   (the previous segment's collective of m)
//   compute: run segment s of m
//   compute: record computeDone[m]
//   comm:    wait computeDone[m]
//   comm:    collective s of m
//   comm:    record commDone[m]
//
// so micro-batch m's collective runs on the comm stream while m+1's compute
// runs on the compute stream. Two events per micro-batch suffice: a wait
// binds to the latest record issued before it (CUDA semantics), which is
// always the one it needs; simulate() checks exactly that. NcclComm's
// start/wait enqueue the comm-side and compute-side halves of this pattern.
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_RT_CUDA_HOPBSCHEDULE_H
#define HELIX_RT_CUDA_HOPBSCHEDULE_H

#include <cstdint>
#include <string>
#include <vector>

namespace helix_rt::cuda::plan {

enum class Stream : uint8_t { Compute, Comm };
enum class StepKind : uint8_t { Compute, Collective, Record, Wait };

struct Step {
  StepKind kind;
  Stream stream;
  int32_t segment, microbatch;
  int32_t event; // Record/Wait: the event index; -1 otherwise
};

/// Events: computeDone(m) = 2m, commDone(m) = 2m + 1.
int32_t hopbEventCount(int32_t microbatches);
int32_t computeDoneEvent(int32_t microbatch);
int32_t commDoneEvent(int32_t microbatch);

/// The host-order schedule of one step (empty if an argument is < 1).
std::vector<Step> hopbSchedule(int32_t segments, int32_t microbatches);

/// Replays a schedule on two in-order streams with CUDA event semantics,
/// each compute taking computeTime and each collective commTime. Checks
/// that every wait binds to the record it must (comm waits on the same
/// segment's compute of the same micro-batch; compute waits on the previous
/// segment's collective of the same micro-batch, or nothing in segment 0).
struct Timeline {
  bool ok = false;
  std::string error;
  double makespan = 0;    // when the last collective ends
  double computeBusy = 0; // total compute time
};
Timeline simulate(const std::vector<Step> &steps, int32_t microbatches,
                  double computeTime, double commTime);

} // namespace helix_rt::cuda::plan

#endif // HELIX_RT_CUDA_HOPBSCHEDULE_H
