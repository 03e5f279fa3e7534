//===- Sampling.h - temperature, top-k, top-p over gathered logits -*- C++ -*-===//
#ifndef HELIX_TOOLS_RUNCORE_SAMPLING_H
#define HELIX_TOOLS_RUNCORE_SAMPLING_H

#include <cstdint>
#include <string>

namespace helix::run {

struct Sampling {
  double temperature = 0; // 0: greedy (the step's own argmax)
  double topP = 1;        // nucleus: the smallest set with this much mass
  int64_t topK = 0;       // 0: no limit
  uint64_t seed = 0;
  bool greedy() const { return temperature == 0; }
};

/// "" when the values are usable, else the one-line reason (T < 0,
/// P outside (0, 1], K < 0).
std::string checkSampling(const Sampling &sampling);

/// Draws sequence `sequence`'s `index`-th new token from its full logits:
/// temperature, then top-k, then top-p, then one uniform draw that depends
/// only on (seed, sequence, index). Every rank holds the same gathered
/// logits, so every rank (and every layout and backend, up to the logits'
/// rounding) draws the same token without talking to the others.
int64_t sampleToken(const float *logits, int64_t vocab, const Sampling &sampling,
                    int64_t sequence, int64_t index);

} // namespace helix::run

#endif // HELIX_TOOLS_RUNCORE_SAMPLING_H
