//===- Elementwise.cpp - Embedding, RMSNorm, add, argmax, shard sums ------===//
//
// These kernels may run in place (out == x / out == a), so their pointers
// are not restrict-qualified; the compiler's runtime alias checks keep the
// loops vectorized.
//
//===----------------------------------------------------------------------===//
#include "helix_rt/kernels.h"

#include <cmath>
#include <cstring>

namespace helix_rt::kernels {

void embed(Weights table, int64_t hidden, const int64_t *tokens, int64_t batch,
           float *out) {
  for (int64_t b = 0; b < batch; ++b)
    toFloat(table.at(tokens[b] * hidden), hidden, out + b * hidden);
}

void rmsNorm(const float *x, const float *weight, int64_t batch, int64_t n,
             float eps, float *out) {
  for (int64_t b = 0; b < batch; ++b) {
    const float *row = x + b * n;
    // Sum of squares in double lanes: exact enough for any hidden size and
    // still vectorized.
    constexpr int Lanes = 4;
    double acc[Lanes] = {};
    int64_t i = 0;
    for (; i + Lanes <= n; i += Lanes)
      for (int l = 0; l < Lanes; ++l)
        acc[l] += static_cast<double>(row[i + l]) * row[i + l];
    double sum = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for (; i < n; ++i)
      sum += static_cast<double>(row[i]) * row[i];
    // Hugging Face: variance in fp32, then x * rsqrt(variance + eps) * w.
    float variance = static_cast<float>(sum / static_cast<double>(n));
    float inv = 1.0f / std::sqrt(variance + eps);
    float *o = out + b * n;
    for (int64_t j = 0; j < n; ++j)
      o[j] = row[j] * inv * weight[j];
  }
}

void add(const float *a, const float *b, int64_t count, float *out) {
  for (int64_t i = 0; i < count; ++i)
    out[i] = a[i] + b[i];
}

void argmax(const float *logits, int64_t batch, int64_t vocab, int64_t *out) {
  for (int64_t b = 0; b < batch; ++b) {
    const float *row = logits + b * vocab;
    int64_t best = 0;
    float bestValue = row[0];
    bool nan = std::isnan(row[0]);
    // Strictly greater: ties keep the lowest index (torch.argmax).
    for (int64_t i = 1; i < vocab; ++i) {
      if (row[i] > bestValue) {
        bestValue = row[i];
        best = i;
      }
      nan |= std::isnan(row[i]);
    }
    out[b] = nan ? -1 : best;
  }
}

void sumShards(const float *in, int64_t shards, int64_t batch, int64_t n,
               float *out) {
  const int64_t count = batch * n;
  if (shards == 0) {
    std::memset(out, 0, static_cast<size_t>(count) * sizeof(float));
    return;
  }
  if (out != in)
    std::memmove(out, in, static_cast<size_t>(count) * sizeof(float));
  // Shard order is fixed (0, 1, ...), so every rank sums identically.
  for (int64_t s = 1; s < shards; ++s) {
    const float *part = in + s * count;
    for (int64_t i = 0; i < count; ++i)
      out[i] += part[i];
  }
}

} // namespace helix_rt::kernels
