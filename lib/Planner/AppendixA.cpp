//===- AppendixA.cpp - The Helix paper's closed-form per-layer roofline ---===//
#include "helix/Planner/AppendixA.h"

namespace helix::planner {

static double ceilDiv(int64_t a, int64_t b) { return double((a + b - 1) / b); }

double appendixAKvSeconds(const AppendixAModel &m, int64_t tpa, int64_t kvp) {
  double elements = double(m.batch) * 2.0 * ceilDiv(m.kvHeads, tpa) *
                    m.headDim * (double(m.context) / kvp);
  return elements * m.bytesPerElement / m.bandwidth;
}

double appendixAWeightSeconds(const AppendixAModel &m, int64_t tpa,
                              int64_t tpf) {
  double h = double(m.hidden());
  double elements = 2.0 * h * (double(m.queryHeads) / tpa) * m.headDim +
                    2.0 * h * ceilDiv(m.kvHeads, tpa) * m.headDim +
                    3.0 * h * double(m.ffn) / tpf;
  return elements * m.bytesPerElement / m.bandwidth;
}

} // namespace helix::planner
