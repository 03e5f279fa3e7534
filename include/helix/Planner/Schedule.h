//===- Schedule.h - The HOP-B timeline of one decode step ------*- C++ -*-===//
//
// Models the schedule the compiler emits (issue 3): one compute stream and
// one communication stream per GPU, both in program order. Program order is
// layer by layer, phase by phase, micro-batch by micro-batch; micro-batch m's
// next phase waits for its own collective only. So m's collective overlaps
// the compute of m+1, m+2, ... and of the next phase and layer. With one
// micro-batch this is the plain lock-step schedule.
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_PLANNER_SCHEDULE_H
#define HELIX_PLANNER_SCHEDULE_H

#include <vector>

namespace helix::planner {

struct PhaseTime {
  double compute = 0;
  double comm = 0; // collective issued when this phase's compute ends
};

/// `program[m]` lists micro-batch m's phases for the whole step; all
/// micro-batches have the same number of phases. Returns the step time.
double stepSeconds(const std::vector<std::vector<PhaseTime>> &program);

} // namespace helix::planner

#endif // HELIX_PLANNER_SCHEDULE_H
