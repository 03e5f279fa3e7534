//===- KernelUtil.h - Vectorizable building blocks of the CPU kernels -----===//
//
// Shared inner loops of the kernels. Reductions keep explicit vector partial
// sums: without -ffast-math the compiler may not reassociate a single float
// accumulator, so it would not vectorize them by itself. Elementwise loops
// (axpy, the softmax exponentials) are left to the loop vectorizer.
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_RT_KERNELS_KERNELUTIL_H
#define HELIX_RT_KERNELS_KERNELUTIL_H

#include "helix_rt/kernels.h"

#include <cstdint>
#include <cstring>

namespace helix_rt::kernels::detail {

/// Eight floats as one value (GCC/Clang vector extension): two SSE
/// registers, one AVX register. Loads go through memcpy (no alignment is
/// assumed) into a reference: returning the vector by value would depend on
/// the AVX ABI (-Wpsabi).
typedef float Float8 __attribute__((vector_size(32)));

inline void load8(Float8 &v, const float *p) { std::memcpy(&v, p, sizeof(v)); }

/// Sums of R dot products that share `w`: sums[r] = w . xs[r] over k.
/// Explicit 8-wide partial sums (U of them per row, so that R * U * 8
/// accumulators fill but do not exceed 16 SSE registers) let the adds run
/// in parallel without reassociation by the compiler; the summation order
/// is fixed, hence the same on every target.
template <int R>
inline void dotRows(const float *__restrict w, const float *const *xs,
                    int64_t k, float *__restrict sums) {
  constexpr int U = R == 1 ? 4 : R == 2 ? 2 : 1;
  const float *x[R];
  for (int r = 0; r < R; ++r)
    x[r] = xs[r];
  Float8 acc[R][U];
  for (int r = 0; r < R; ++r)
    for (int u = 0; u < U; ++u)
      acc[r][u] = Float8{};
  int64_t i = 0;
  Float8 wv, xv;
  for (; i + 8 * U <= k; i += 8 * U)
    for (int u = 0; u < U; ++u) {
      load8(wv, w + i + 8 * u);
      for (int r = 0; r < R; ++r) {
        load8(xv, x[r] + i + 8 * u);
        acc[r][u] += wv * xv;
      }
    }
  for (; U > 1 && i + 8 <= k; i += 8) {
    load8(wv, w + i);
    for (int r = 0; r < R; ++r) {
      load8(xv, x[r] + i);
      acc[r][0] += wv * xv;
    }
  }
  for (int r = 0; r < R; ++r) {
    Float8 v = acc[r][0];
    for (int u = 1; u < U; ++u)
      v += acc[r][u];
    float tail = 0.0f;
    for (int64_t j = i; j < k; ++j)
      tail += w[j] * x[r][j];
    sums[r] = ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7])) +
              tail;
  }
}

/// w . x over k.
inline float dot(const float *__restrict w, const float *__restrict x,
                 int64_t k) {
  const float *xs[1] = {x};
  float s;
  dotRows<1>(w, xs, k, &s);
  return s;
}

/// y += a * x over n.
inline void axpy(float a, const float *__restrict x, float *__restrict y,
                 int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    y[i] += a * x[i];
}

/// y += a0 x0 + a1 x1 + a2 x2 + a3 x3 over n: one pass over y for four
/// rows of x.
inline void axpy4(const float *a, const float *const *xs, float *__restrict y,
                  int64_t n) {
  const float *__restrict x0 = xs[0];
  const float *__restrict x1 = xs[1];
  const float *__restrict x2 = xs[2];
  const float *__restrict x3 = xs[3];
  const float a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
  for (int64_t i = 0; i < n; ++i)
    y[i] += a0 * x0[i] + a1 * x1[i] + a2 * x2[i] + a3 * x3[i];
}

/// y *= a over n.
inline void scaleBy(float a, float *__restrict y, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    y[i] *= a;
}

/// exp(x) for x <= 0 (softmax weights), branch-free so that loops over it
/// vectorize with plain SSE2. Cephes' expf: x = n ln2 + r with a two-part
/// ln2 (Cody-Waite), a degree-6 polynomial for exp(r) on |r| <= ln2/2, and
/// 2^n built in the exponent bits. Inputs are clamped at -87 (results
/// there, ~1.6e-38, are still normal). Over every float in [-87, 0] the
/// relative error is at most 8.2e-8 (checked exhaustively).
inline float expNonPositive(float x) {
  x = x < -87.0f ? -87.0f : x;
  x = x > 0.0f ? 0.0f : x;
  // Round x / ln2 to the nearest integer with the 1.5 * 2^23 trick (no
  // SSE4.1 round instruction needed); not folded away without fast-math.
  const float magic = 12582912.0f;
  float n = (x * 1.44269504088896341f + magic) - magic;
  float r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float r2 = r * r;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r2 + r + 1.0f;
  int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float pow2;
  std::memcpy(&pow2, &bits, sizeof(pow2));
  return p * pow2;
}

/// out[b, j] = x[b] . w[j] for B rows of x (row stride ldx) and n rows of w
/// (k values each, fp32 or half precision); out has row stride ldo. Each
/// weight row is read once from memory for all batch rows.
void linearRows(const float *x, int64_t ldx, Weights w, int64_t batch,
                int64_t k, int64_t n, float *out, int64_t ldo);

/// Dense SwiGLU block (see kernels::swiglu) into out [B, hidden]; x rows
/// have stride ldx.
void swigluRows(const float *x, int64_t ldx, Weights gate, Weights up,
                Weights down, int64_t batch, int64_t hidden, int64_t width,
                float *out);

/// Softmax attention of `count` queries that read one key/value stream (the
/// heads of a GQA group or of MLA, over the rows of one sequence: a decode
/// row, or every row of a prefill chunk): query i (q[i], dk floats) attends
/// the first length[i] tokens, whose keys are k + t * ldkv (dk values) and
/// values v + t * ldkv (dv values). Writes dv output values then the
/// natural-log LSE of the scaled scores to out[i]; length 0 gives zeros and
/// -inf. Each block of tokens is read once for all the queries.
/// Tokens may be fp32 or bf16 (k and v of one type), widened a block at a
/// time.
void attendShared(const float *const *q, float *const *out,
                  const int64_t *length, int64_t count, Weights k, Weights v,
                  int64_t ldkv, int64_t dk, int64_t dv, float scale);

/// Before any cblas call: OpenBLAS runs products on the calling thread only
/// (Blas.cpp).
void useOneBlasThread();

/// One block of the online softmax over a [rows, n] block of scores (row
/// stride n): row i's first seen[i] scores become exp(score - max) against
/// its running max runMax[i] (raised to the block's max first, rescaling
/// denom[i] and its accumulated output row out + i * dv), the rest 0;
/// denom[i] gains the row's sum. Vectorised per instruction set.
void onlineSoftmaxBlock(float *scores, int64_t rows, int64_t n,
                        const int64_t *seen, float *runMax, float *denom,
                        float *out, int64_t dv);

/// Calls `attend(first, end)` for each run [first, end) of consecutive rows
/// that read the same cache row (`base.at(b)`, null for an empty slice:
/// alone).
template <typename F>
void forEachSequenceRun(const KvRows &base, int64_t batch, F attend) {
  for (int64_t first = 0, end = 0; first < batch; first = end) {
    end = first + 1;
    const void *row = base.at(first).data;
    while (row && end < batch && base.at(end).data == row)
      ++end;
    attend(first, end);
  }
}

} // namespace helix_rt::kernels::detail

#endif // HELIX_RT_KERNELS_KERNELUTIL_H
