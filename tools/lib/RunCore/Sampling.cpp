//===- Sampling.cpp - temperature, top-k, top-p over gathered logits ------===//
#include "RunCore/Sampling.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <vector>

namespace helix::run {
namespace {

uint64_t splitMix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

/// A uniform double in [0, 1) from (seed, sequence, index): counter-based,
/// so no generator state has to stay in step across ranks.
double uniform(uint64_t seed, int64_t sequence, int64_t index) {
  uint64_t bits = splitMix(splitMix(splitMix(seed) ^ uint64_t(sequence)) ^
                           uint64_t(index));
  return double(bits >> 11) * 0x1.0p-53;
}

std::string shortNumber(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

} // namespace

std::string checkSampling(const Sampling &s) {
  if (!(s.temperature >= 0) || !std::isfinite(s.temperature))
    return "--temperature must be >= 0, got " + shortNumber(s.temperature);
  if (!(s.topP > 0 && s.topP <= 1))
    return "--top-p must be in (0, 1], got " + shortNumber(s.topP);
  if (s.topK < 0)
    return "--top-k must be >= 0, got " + std::to_string(s.topK);
  return "";
}

int64_t sampleToken(const float *logits, int64_t vocab, const Sampling &s,
                    int64_t sequence, int64_t index) {
  std::vector<int64_t> order(static_cast<size_t>(vocab));
  std::iota(order.begin(), order.end(), 0);
  // Highest logit first; ties by the lower id, so the order is total.
  auto higher = [&](int64_t a, int64_t b) {
    return logits[a] != logits[b] ? logits[a] > logits[b] : a < b;
  };
  size_t keep = s.topK > 0 ? std::min<size_t>(s.topK, order.size()) : order.size();
  std::partial_sort(order.begin(), order.begin() + keep, order.end(), higher);
  order.resize(keep);
  std::vector<double> weight(keep);
  double top = logits[order[0]], total = 0;
  for (size_t i = 0; i < keep; ++i)
    total += weight[i] = std::exp((double(logits[order[i]]) - top) / s.temperature);
  // Nucleus: the smallest prefix whose probability reaches top-p.
  if (s.topP < 1) {
    double mass = 0;
    size_t n = 0;
    while (n < keep && (n == 0 || mass < s.topP * total))
      mass += weight[n++];
    keep = n;
    total = mass;
  }
  double target = uniform(s.seed, sequence, index) * total, cumulative = 0;
  for (size_t i = 0; i < keep; ++i) {
    cumulative += weight[i];
    if (target < cumulative)
      return order[i];
  }
  return order[keep - 1];
}

} // namespace helix::run
