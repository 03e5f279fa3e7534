//===- Moe.cpp - DeepSeek-V3 routing and routed SwiGLU experts ------------===//
#include "KernelUtil.h"
#include "helix_rt/kernels.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace helix_rt::kernels {

namespace {

/// Indices of the `count` largest values, largest first; ties go to the
/// lower index (torch.topk leaves ties unspecified).
void topIndices(const float *values, int64_t size, int64_t count,
                std::vector<int64_t> &order) {
  order.resize(static_cast<size_t>(size));
  std::iota(order.begin(), order.end(), 0);
  std::partial_sort(order.begin(), order.begin() + count, order.end(),
                    [&](int64_t a, int64_t b) {
                      return values[a] > values[b] ||
                             (values[a] == values[b] && a < b);
                    });
  order.resize(static_cast<size_t>(count));
}

} // namespace

/// The experts of a row come back in descending order of their (group-
/// masked, biased) choice value; weights[b, k] belongs to ids[b, k].
void moeRoute(const float *x, Weights gateWeight, const float *bias,
              int64_t batch, int64_t hidden, int64_t experts, int64_t topK,
              int64_t groups, int64_t topkGroup, bool normTopkProb,
              float scaling, int64_t *ids, float *weights) {
  // Router logits in fp32, like F.linear on float32 inputs in HF.
  std::vector<float> logits(static_cast<size_t>(batch * experts));
  detail::linearRows(x, hidden, gateWeight, batch, hidden, experts,
                     logits.data(), experts);
  const int64_t groupSize = experts / groups;
  const int64_t perGroup = std::min<int64_t>(2, groupSize);
  std::vector<float> scores(static_cast<size_t>(experts));
  std::vector<float> choice(static_cast<size_t>(experts));
  std::vector<float> groupScore(static_cast<size_t>(groups));
  std::vector<int64_t> order;
  std::vector<char> keep(static_cast<size_t>(groups));
  for (int64_t b = 0; b < batch; ++b) {
    const float *l = logits.data() + b * experts;
    for (int64_t e = 0; e < experts; ++e) {
      scores[e] = 1.0f / (1.0f + std::exp(-l[e]));
      choice[e] = scores[e] + bias[e];
    }
    // Group score: sum of the two best biased scores of the group.
    for (int64_t g = 0; g < groups; ++g) {
      topIndices(choice.data() + g * groupSize, groupSize, perGroup, order);
      float sum = 0.0f;
      for (int64_t i : order)
        sum += choice[g * groupSize + i];
      groupScore[g] = sum;
    }
    topIndices(groupScore.data(), groups, topkGroup, order);
    std::fill(keep.begin(), keep.end(), 0);
    for (int64_t g : order)
      keep[g] = 1;
    // masked_fill(~mask, 0.0): dropped groups compete with value 0, not
    // -inf, exactly as in Hugging Face.
    for (int64_t e = 0; e < experts; ++e)
      if (!keep[e / groupSize])
        choice[e] = 0.0f;
    topIndices(choice.data(), experts, topK, order);
    float sum = 0.0f;
    for (int64_t k = 0; k < topK; ++k)
      sum += scores[order[k]];
    const float denominator = normTopkProb ? sum + 1e-20f : 1.0f;
    for (int64_t k = 0; k < topK; ++k) {
      ids[b * topK + k] = order[k];
      float w = scores[order[k]];
      if (normTopkProb)
        w /= denominator;
      weights[b * topK + k] = w * scaling;
    }
  }
}

void moeExperts(const float *x, const int64_t *ids, const float *weights,
                int64_t batch, int64_t hidden, int64_t topK,
                int64_t firstExpert, int64_t numLocal, int64_t width,
                const Weights *gate, const Weights *up, const Weights *down,
                float *out) {
  std::fill(out, out + batch * hidden, 0.0f);
  // Rows routed to each local expert, with their routing weights, so that
  // an expert's matrices are read once for all the rows that use it.
  std::vector<std::vector<int64_t>> rows(static_cast<size_t>(numLocal));
  std::vector<std::vector<float>> rowWeights(static_cast<size_t>(numLocal));
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t k = 0; k < topK; ++k) {
      const int64_t local = ids[b * topK + k] - firstExpert;
      if (local < 0 || local >= numLocal)
        continue; // Another rank's expert.
      rows[local].push_back(b);
      rowWeights[local].push_back(weights[b * topK + k]);
    }
  std::vector<float> xs, ys;
  for (int64_t e = 0; e < numLocal; ++e) {
    const int64_t n = static_cast<int64_t>(rows[e].size());
    if (n == 0)
      continue;
    xs.resize(static_cast<size_t>(n * hidden));
    ys.resize(static_cast<size_t>(n * hidden));
    for (int64_t i = 0; i < n; ++i)
      std::copy(x + rows[e][i] * hidden, x + (rows[e][i] + 1) * hidden,
                xs.begin() + i * hidden);
    detail::swigluRows(xs.data(), hidden, gate[e], up[e], down[e], n, hidden,
                       width, ys.data());
    for (int64_t i = 0; i < n; ++i)
      detail::axpy(rowWeights[e][i], ys.data() + i * hidden,
                   out + rows[e][i] * hidden, hidden);
  }
}

} // namespace helix_rt::kernels
