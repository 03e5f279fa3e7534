//===- Attention.cpp - Partial GQA attention and the exact LSE merge ------===//
//
// Attention runs over blocks of tokens with an online softmax: a block's
// keys and values are loaded from memory once for all query heads that
// share them (the GQA group, or every MLA head) and reused from cache, the
// per-head running max is updated once per block, and the exponentials of a
// block are one vectorizable loop rather than part of the dot products.
//
//===----------------------------------------------------------------------===//
#include "KernelUtil.h"
#include "helix_rt/kernels.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace helix_rt::kernels {

namespace detail {

namespace {
/// Tokens per block: a block of MLA latents (576 floats each) is ~74 KB,
/// which stays in L2 while every head reads it.
constexpr int64_t kBlock = 32;

/// From this many queries on one stream (a prefill chunk's rows x heads),
/// scores and outputs of a block are two sgemm calls; fewer (a decode row's
/// GQA group) keep the per-query dot products, which need no packing.
constexpr int64_t kGemmQueries = 32;
/// Tokens per block on the sgemm path: long enough for the products to run
/// near the GEMM rate, short enough that a block's scores stay in L2.
constexpr int64_t kGemmBlock = 256;

/// fp32 views of a key/value stream, a block of tokens at a time: the cache
/// itself when it is fp32; for a bf16 cache its tokens widened into scratch
/// (L1/L2-sized) once per block, for every query that reads the block.
class KvBlocks {
public:
  KvBlocks(Weights k, Weights v, int64_t ldkv, int64_t dk, int64_t dv)
      : k(k), v(v), ldkv(ldkv), dk(dk), dv(dv) {}

  /// Tokens [t0, t0 + n): keys at key + t * ldk, values at value + t * ldv.
  void load(int64_t t0, int64_t n) {
    if (k.isF32()) {
      key = k.f32() + t0 * ldkv;
      value = v.f32() + t0 * ldkv;
      ldk = ldv = ldkv;
      return;
    }
    widen(k, t0, n, dk, kBuf);
    key = kBuf.data();
    ldk = dk;
    // MLA's values are the first channels of its keys: widened once.
    if (v.data == k.data) {
      value = key;
      ldv = dk;
      return;
    }
    widen(v, t0, n, dv, vBuf);
    value = vBuf.data();
    ldv = dv;
  }

  const float *key = nullptr, *value = nullptr;
  int64_t ldk = 0, ldv = 0;

private:
  void widen(Weights src, int64_t t0, int64_t n, int64_t width,
             std::vector<float> &buf) const {
    buf.resize(static_cast<size_t>(n * width));
    if (width == ldkv) // the tokens are one run
      return toFloat(src.at(t0 * ldkv), n * width, buf.data());
    for (int64_t t = 0; t < n; ++t)
      toFloat(src.at((t0 + t) * ldkv), width, buf.data() + t * width);
  }

  Weights k, v;
  int64_t ldkv, dk, dv;
  std::vector<float> kBuf, vBuf;
};

/// attendShared for many queries: per block, S = scale Q K^T and O += P V
/// as matrix products, the online softmax in between, row by row.
void attendSharedGemm(const float *const *q, float *const *out,
                      const int64_t *length, int64_t count, int64_t longest,
                      KvBlocks &kv, int64_t dk, int64_t dv, float scale) {
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> qm(static_cast<size_t>(count * dk));
  for (int64_t i = 0; i < count; ++i)
    std::copy_n(q[i], dk, qm.data() + i * dk);
  std::vector<float> om(static_cast<size_t>(count * dv), 0.0f);
  std::vector<float> runMax(static_cast<size_t>(count), -inf);
  std::vector<float> denom(static_cast<size_t>(count), 0.0f);
  std::vector<float> p(static_cast<size_t>(count * kGemmBlock));
  std::vector<int64_t> seen(static_cast<size_t>(count));
  useOneBlasThread();
  for (int64_t t0 = 0; t0 < longest; t0 += kGemmBlock) {
    const int64_t n = std::min(kGemmBlock, longest - t0);
    // Queries that see no token of this block lead (rows come in position
    // order); the products start after them.
    int64_t first = 0;
    while (first < count && length[first] <= t0)
      ++first;
    const int64_t rows = count - first;
    if (rows <= 0)
      break;
    kv.load(t0, n);
    float *pm = p.data() + first * n;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(rows),
                static_cast<int>(n), static_cast<int>(dk), scale,
                qm.data() + first * dk, static_cast<int>(dk), kv.key,
                static_cast<int>(kv.ldk), 0.0f, pm, static_cast<int>(n));
    // Causal within the chunk: tokens past a query's length weigh 0.
    for (int64_t i = first; i < count; ++i)
      seen[i] = std::max<int64_t>(0, std::min(n, length[i] - t0));
    onlineSoftmaxBlock(pm, rows, n, seen.data() + first, runMax.data() + first,
                       denom.data() + first, om.data() + first * dv, dv);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans,
                static_cast<int>(rows), static_cast<int>(dv),
                static_cast<int>(n), 1.0f, pm, static_cast<int>(n), kv.value,
                static_cast<int>(kv.ldv), 1.0f, om.data() + first * dv,
                static_cast<int>(dv));
  }
  for (int64_t i = 0; i < count; ++i) {
    if (length[i] <= 0)
      continue;
    // denom >= 1: the max token contributes exp(0).
    const float inv = 1.0f / denom[i];
    for (int64_t c = 0; c < dv; ++c)
      out[i][c] = om[i * dv + c] * inv;
    out[i][dv] = runMax[i] + std::log(denom[i]);
  }
}
} // namespace

void attendShared(const float *const *q, float *const *out,
                  const int64_t *length, int64_t count, Weights k, Weights v,
                  int64_t ldkv, int64_t dk, int64_t dv, float scale) {
  const float inf = std::numeric_limits<float>::infinity();
  int64_t longest = 0;
  for (int64_t i = 0; i < count; ++i) {
    std::fill(out[i], out[i] + dv, 0.0f);
    out[i][dv] = -inf;
    longest = std::max(longest, length[i]);
  }
  if (longest <= 0)
    return;
  KvBlocks kv(k, v, ldkv, dk, dv);
  if (count >= kGemmQueries)
    return attendSharedGemm(q, out, length, count, longest, kv, dk, dv, scale);

  // Running max and denominator per query; the numerator accumulates in out.
  std::vector<float> runMax(static_cast<size_t>(count), -inf);
  std::vector<float> denom(static_cast<size_t>(count), 0.0f);
  std::vector<float> probs(static_cast<size_t>(kBlock));
  for (int64_t t0 = 0; t0 < longest; t0 += kBlock) {
    kv.load(t0, std::min(kBlock, longest - t0));
    const float *kb = kv.key, *vb = kv.value;
    const int64_t ldk = kv.ldk, ldv = kv.ldv;
    for (int64_t i = 0; i < count; ++i) {
      // A chunk's earlier rows see fewer tokens (causal within the chunk).
      const int64_t n = std::min(kBlock, length[i] - t0);
      if (n <= 0)
        continue;
      const float *qi = q[i];
      float *__restrict p = probs.data();
      float blockMax = -inf;
      int64_t t = 0;
      for (; t + 4 <= n; t += 4) {
        // Four keys against one query row loaded once.
        const float *ks[4] = {kb + t * ldk, kb + (t + 1) * ldk,
                              kb + (t + 2) * ldk, kb + (t + 3) * ldk};
        dotRows<4>(qi, ks, dk, p + t);
      }
      for (; t < n; ++t)
        p[t] = dot(qi, kb + t * ldk, dk);
      for (t = 0; t < n; ++t) {
        p[t] *= scale;
        blockMax = std::max(blockMax, p[t]);
      }
      float *o = out[i];
      float m = runMax[i];
      if (blockMax > m) {
        // Rescale what was accumulated under the old max (exp(-inf) = 0 on
        // the first block, when o and denom are still 0).
        const float factor = std::exp(m - blockMax);
        denom[i] *= factor;
        scaleBy(factor, o, dv);
        m = blockMax;
        runMax[i] = m;
      }
      // Exponentials as their own loop so that it vectorizes.
      for (t = 0; t < n; ++t)
        p[t] = expNonPositive(p[t] - m);
      float sum = 0.0f;
      for (t = 0; t < n; ++t)
        sum += p[t];
      denom[i] += sum;
      for (t = 0; t + 4 <= n; t += 4) {
        const float *vs[4] = {vb + t * ldv, vb + (t + 1) * ldv,
                              vb + (t + 2) * ldv, vb + (t + 3) * ldv};
        axpy4(p + t, vs, o, dv);
      }
      for (; t < n; ++t)
        axpy(p[t], vb + t * ldv, o, dv);
    }
  }
  for (int64_t i = 0; i < count; ++i) {
    if (length[i] <= 0)
      continue;
    float *o = out[i];
    // denom >= 1: the max token contributes exp(0).
    scaleBy(1.0f / denom[i], o, dv);
    o[dv] = runMax[i] + std::log(denom[i]);
  }
}

} // namespace detail

void gqaPartialAttention(const float *q, KvRows keys, KvRows values,
                         const int64_t *length, int64_t batch, int64_t heads,
                         int64_t kvHeads, int64_t headDim, float scale,
                         float *out) {
  const int64_t group = heads / kvHeads;
  const int64_t ldkv = kvHeads * headDim;
  std::vector<const float *> qs;
  std::vector<float *> outs;
  std::vector<int64_t> lengths;
  detail::forEachSequenceRun(keys, batch, [&](int64_t first, int64_t end) {
    for (int64_t g = 0; g < kvHeads; ++g) {
      qs.clear();
      outs.clear();
      lengths.clear();
      for (int64_t b = first; b < end; ++b)
        for (int64_t j = 0; j < group; ++j) {
          const int64_t h = b * heads + g * group + j;
          qs.push_back(q + h * headDim);
          outs.push_back(out + h * (headDim + 1));
          lengths.push_back(length[b]);
        }
      // An empty slice may come with null token pointers: at() keeps them.
      detail::attendShared(
          qs.data(), outs.data(), lengths.data(),
          static_cast<int64_t>(qs.size()), keys.at(first, g * headDim),
          values.at(first, g * headDim), ldkv, headDim, headDim, scale);
    }
  });
}

void lseMerge(const float *in, int64_t shards, int64_t batch, int64_t heads,
              int64_t width, float *out) {
  const int64_t rowWidth = width + 1;
  const int64_t shardStride = batch * heads * rowWidth;
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> weight(static_cast<size_t>(shards));
  for (int64_t bh = 0; bh < batch * heads; ++bh) {
    float *__restrict o = out + bh * width;
    std::fill(o, o + width, 0.0f);
    float maxLse = -inf;
    for (int64_t s = 0; s < shards; ++s)
      maxLse = std::max(maxLse, in[s * shardStride + bh * rowWidth + width]);
    if (maxLse == -inf)
      continue; // Every shard is empty.
    // exp(LSE_k - LSE_g) = exp(LSE_k - max) / sum_j exp(LSE_j - max).
    float total = 0.0f;
    for (int64_t s = 0; s < shards; ++s) {
      const float lse = in[s * shardStride + bh * rowWidth + width];
      weight[s] = lse == -inf ? 0.0f : std::exp(lse - maxLse);
      total += weight[s];
    }
    for (int64_t s = 0; s < shards; ++s)
      if (weight[s] != 0.0f) // Empty shards' outputs are never read.
        detail::axpy(weight[s] / total, in + s * shardStride + bh * rowWidth,
                     o, width);
  }
}

} // namespace helix_rt::kernels
