//===- LogSumExp.cpp - exact merge of partial attention outputs -----------===//
#include "helix/Sharding/LogSumExp.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace helix::sharding {

float mergeLogSumExp(const float *partialOut, const float *partialLse,
                     int64_t shards, int64_t dim, float *out) {
  const float negInf = -std::numeric_limits<float>::infinity();
  float maxLse = negInf;
  for (int64_t i = 0; i < shards; ++i)
    maxLse = std::max(maxLse, partialLse[i]);
  if (maxLse == negInf) {
    // No shard saw any KV: the result is defined as 0, not 0/0.
    std::fill(out, out + dim, 0.0f);
    return negInf;
  }

  // exp(LSE_i - max) <= 1, and the shard holding the max contributes 1, so
  // the sum is in [1, shards]: no overflow, no division by zero.
  std::vector<float> weights(shards, 0.0f);
  float sum = 0.0f;
  for (int64_t i = 0; i < shards; ++i) {
    if (partialLse[i] == negInf)
      continue;
    weights[i] = std::exp(partialLse[i] - maxLse);
    sum += weights[i];
  }
  for (float &weight : weights)
    weight /= sum;

  // Column-major over shards so that `out` may alias the first row.
  for (int64_t d = 0; d < dim; ++d) {
    float value = 0.0f;
    for (int64_t i = 0; i < shards; ++i)
      if (weights[i] != 0.0f)
        value += weights[i] * partialOut[i * dim + d];
    out[d] = value;
  }
  return maxLse + std::log(sum);
}

} // namespace helix::sharding
