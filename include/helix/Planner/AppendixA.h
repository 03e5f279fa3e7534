//===- AppendixA.h - The Helix paper's closed-form per-layer roofline -*- C++ -*-===//
//
// Bhatia et al., "Helix Parallelism", arXiv 2507.07120, Appendix A. Kept
// verbatim (W_O counted at TPA, bytes/element b without scale overhead) so
// that the unit tests can check the paper's worked numbers; the planner's
// own model (LayerCost.h) refines it.
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_PLANNER_APPENDIXA_H
#define HELIX_PLANNER_APPENDIXA_H

#include <cstdint>

namespace helix::planner {

struct AppendixAModel {
  int64_t batch = 0;      // B
  int64_t queryHeads = 0; // Q
  int64_t kvHeads = 0;    // K
  int64_t headDim = 0;    // Hsz
  int64_t ffn = 0;        // F
  int64_t context = 0;    // S
  double bytesPerElement = 0;
  double bandwidth = 0;   // bytes/s
  int64_t hidden() const { return queryHeads * headDim; }
};

/// t_KV = B * 2 * ceil(K/TPA) * Hsz * (S/KVP) * b / BW.
double appendixAKvSeconds(const AppendixAModel &m, int64_t tpa, int64_t kvp);
/// t_W = [2*H*(Q/TPA)*Hsz + 2*H*ceil(K/TPA)*Hsz + 3*H*F/TPF] * b / BW.
double appendixAWeightSeconds(const AppendixAModel &m, int64_t tpa,
                              int64_t tpf);

} // namespace helix::planner

#endif // HELIX_PLANNER_APPENDIXA_H
