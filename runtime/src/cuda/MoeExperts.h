//===- MoeExperts.h - MoE experts over routed rows only ---------*- C++ -*-===//
//
// The routed path of the CUDA device's MoE (HELIX_CUDA_MOE=routed): the
// step's rows grouped by local expert on the device (kernels/MoeGrouping.h)
// and grouped GEMVs whose blocks return at once for an expert without rows,
// so the weights read scale with the experts used. No host read-back or
// synchronisation: every size comes from (batch, topK, experts), so a step
// stays capturable into a CUDA graph. Same conventions as DeviceOps.h.
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_RT_CUDA_MOEEXPERTS_H
#define HELIX_RT_CUDA_MOEEXPERTS_H

#include "helix_rt/cuda_kernels.h"
#include "kernels/MoeGrouping.h"

namespace helix_rt::cuda::ops {

/// Rows one pass of routedExperts takes: the per-slot scratch grows with
/// rows x topK x hidden, so prefill chunks go through in passes of this
/// many rows (each pass reads the used experts' weights again).
constexpr int64_t kRoutedRowsPerPass = 256;

/// Groups `batch` rows' slots by local expert [first, first + experts)
/// into `g` (device memory, sized as moe::RoutedGroups says). Three
/// launches: tile counts, one-block scan, stable placement.
helix_status groupRoutedRows(const int64_t *ids, const float *weights,
                             int64_t batch, int64_t topK, int64_t first,
                             int64_t experts, const moe::RoutedGroups &g,
                             cudaStream_t stream);

/// Scratch routedExperts needs for `batch` rows.
size_t routedExpertsWorkspaceBytes(int64_t batch, int64_t topK,
                                   int64_t experts, int64_t hidden,
                                   int64_t width);

/// out[b, :] = sum over row b's slots j routed to a local expert e of
/// weights[b, j] * swiglu_e(x[b, :]), overwriting out [B, hidden] (0 for
/// rows with no local slot). x is the bf16 input [B, hidden]; gate, up and
/// down are device arrays of the local experts' bf16 matrices ([width,
/// hidden], [width, hidden], [hidden, width], 16-byte aligned). fp32
/// accumulation; the SwiGLU activation is rounded to bf16 before down, as
/// swigluMlp does. The sum per row goes in slot order: no atomics.
helix_status routedExperts(const bf16 *x, const int64_t *ids,
                           const float *weights, int64_t batch, int64_t topK,
                           int64_t first, int64_t experts, int64_t hidden,
                           int64_t width, const bf16 *const *gate,
                           const bf16 *const *up, const bf16 *const *down,
                           float *out, void *workspace, cudaStream_t stream);

} // namespace helix_rt::cuda::ops

#endif // HELIX_RT_CUDA_MOEEXPERTS_H
