//===- Schedule.cpp - The HOP-B timeline of one decode step ---------------===//
#include "helix/Planner/Schedule.h"

#include <algorithm>

namespace helix::planner {

double stepSeconds(const std::vector<std::vector<PhaseTime>> &program) {
  if (program.empty())
    return 0;
  size_t phases = program.front().size();
  std::vector<double> ready(program.size(), 0.0);
  double computeFree = 0, commFree = 0;
  for (size_t p = 0; p < phases; ++p) {
    for (size_t m = 0; m < program.size(); ++m) {
      const PhaseTime &t = program[m][p];
      double end = ready[m];
      if (t.compute > 0) { // a pure collective phase leaves compute free
        end = std::max(computeFree, ready[m]) + t.compute;
        computeFree = end;
      }
      if (t.comm > 0) {
        commFree = std::max(end, commFree) + t.comm;
        ready[m] = commFree;
      } else {
        ready[m] = end;
      }
    }
  }
  return std::max(computeFree, *std::max_element(ready.begin(), ready.end()));
}

} // namespace helix::planner
