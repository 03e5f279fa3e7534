//===- Linear.cpp - Linear projections and the dense SwiGLU block ---------===//
//
// Decode is memory-bound: a weight row is loaded once and multiplied with
// up to four batch rows while it sits in registers/L1, so the weights stream
// from memory once per call whatever the batch. A prefill chunk has many
// rows and is compute-bound: from kGemmRows rows on, the product is
// OpenBLAS's cache-blocked sgemm.
//
// bf16/f16 weights are read as they are: below kGemmRows by the active
// instruction set's fused widen-and-dot loops (HalfOps.h); for sgemm a panel
// of weight rows at a time is widened into fp32 scratch that stays in L2,
// so the weights still stream from memory once per call, at half the bytes.
//
//===----------------------------------------------------------------------===//
#include "HalfOps.h"
#include "KernelUtil.h"
#include "helix_rt/kernels.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace helix_rt::kernels {

namespace detail {

/// Rows from which sgemm beats streaming each weight row past the rows:
/// below it the weights' one pass from memory dominates.
constexpr int64_t kGemmRows = 16;

/// fp32 values of one widened panel of half-precision weight rows (1 MiB:
/// L2-resident, and wide enough for sgemm's own blocking).
constexpr int64_t kPanelFloats = int64_t(1) << 18;

/// out[batch, n] = x[batch, k] . w[n, k]^T by sgemm.
void sgemm(const float *x, int64_t ldx, const float *w, int64_t batch,
           int64_t k, int64_t n, float *out, int64_t ldo) {
  useOneBlasThread();
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(batch),
              static_cast<int>(n), static_cast<int>(k), 1.0f, x,
              static_cast<int>(ldx), w, static_cast<int>(k), 0.0f, out,
              static_cast<int>(ldo));
}

void linearRows(const float *x, int64_t ldx, Weights weights, int64_t batch,
                int64_t k, int64_t n, float *out, int64_t ldo) {
  if (batch >= kGemmRows && weights.isF32())
    return sgemm(x, ldx, weights.f32(), batch, k, n, out, ldo);
  if (batch >= kGemmRows) {
    int64_t rows = std::max<int64_t>(
        1, std::min(n, kPanelFloats / std::max<int64_t>(k, 1)));
    std::vector<float> panel(static_cast<size_t>(rows * k));
    for (int64_t j = 0; j < n; j += rows) {
      int64_t count = std::min(rows, n - j);
      toFloat(weights.at(j * k), count * k, panel.data());
      sgemm(x, ldx, panel.data(), batch, k, count, out + j, ldo);
    }
    return;
  }
  if (!weights.isF32())
    return halfOps().gemv(weights.type, x, ldx, weights.half(), batch, k, n,
                          out, ldo);
  const float *w = weights.f32();
  for (int64_t j = 0; j < n; ++j) {
    const float *row = w + j * k;
    int64_t b = 0;
    for (; b + 4 <= batch; b += 4) {
      const float *xs[4] = {x + b * ldx, x + (b + 1) * ldx, x + (b + 2) * ldx,
                            x + (b + 3) * ldx};
      float s[4];
      dotRows<4>(row, xs, k, s);
      for (int r = 0; r < 4; ++r)
        out[(b + r) * ldo + j] = s[r];
    }
    if (batch - b >= 2) {
      const float *xs[2] = {x + b * ldx, x + (b + 1) * ldx};
      float s[2];
      dotRows<2>(row, xs, k, s);
      out[b * ldo + j] = s[0];
      out[(b + 1) * ldo + j] = s[1];
      b += 2;
    }
    if (b < batch)
      out[b * ldo + j] = dot(row, x + b * ldx, k);
  }
}

void swigluRows(const float *x, int64_t ldx, Weights gate, Weights up,
                Weights down, int64_t batch, int64_t hidden, int64_t width,
                float *out) {
  // act[b, j] = silu(gate_j . x_b) * (up_j . x_b); the gate and up rows of
  // j are each read once for all batch rows.
  std::vector<float> g(static_cast<size_t>(batch * width));
  std::vector<float> u(static_cast<size_t>(batch * width));
  linearRows(x, ldx, gate, batch, hidden, width, g.data(), width);
  linearRows(x, ldx, up, batch, hidden, width, u.data(), width);
  float *__restrict act = g.data();
  const float *__restrict upv = u.data();
  for (int64_t i = 0, e = batch * width; i < e; ++i)
    act[i] = act[i] / (1.0f + std::exp(-act[i])) * upv[i];
  linearRows(act, width, down, batch, width, hidden, out, hidden);
}

} // namespace detail

void linear(const float *x, Weights weight, int64_t batch, int64_t k, int64_t n,
            float *out) {
  detail::linearRows(x, k, weight, batch, k, n, out, n);
}

void swiglu(const float *x, Weights gate, Weights up, Weights down,
            int64_t batch, int64_t hidden, int64_t width, float *out) {
  detail::swigluRows(x, hidden, gate, up, down, batch, hidden, width, out);
}

} // namespace helix_rt::kernels
