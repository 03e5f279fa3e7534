/*===- cuda_kernels.h - CUDA kernels of the helix runtime -------*- C++ -*-===*
 *
 * The GPU twins of helix_rt/kernels.h, in libhelix_rt_cuda: same ops, same
 * semantics and packed layouts, but on device pointers, enqueued on a
 * stream (nothing synchronizes). Activations, weights and the KV cache are
 * bf16; accumulation is fp32; partial attention outputs (and the rows the
 * all-to-all moves) are fp32, as the communicator API is. GEMMs are cuBLAS
 * calls on a caller-owned handle. Every function checks its arguments and
 * returns a status; the message of the last failure on this thread is
 * lastError(). See docs/gpu.md.
 *
 *===----------------------------------------------------------------------===*/
#ifndef HELIX_RT_CUDA_KERNELS_H
#define HELIX_RT_CUDA_KERNELS_H

#include "helix_rt/kernels.h"
#include "helix_rt/status.h"

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

/* Opaque here so that host code needs neither cuda_bf16.h nor cublas_v2.h;
 * both declarations match the CUDA headers'. */
struct __nv_bfloat16;
typedef struct cublasContext *cublasHandle_t;

namespace helix_rt::cuda {

using bf16 = __nv_bfloat16;

/// The message of the last failed call on this thread ("" if none).
const char *lastError();

/// Largest number of thread blocks one (sequence, head group) is split into.
constexpr int32_t kMaxAttentionSplits = 128;

/// The kernel gqaPartialAttention runs: tensor-core MMAs (the default) or
/// the CUDA-core kernel (also chosen by HELIX_CUDA_GQA_KERNEL=simt at
/// start). Both give the same results to bf16 rounding; for tests and A/B
/// timing.
enum class GqaKernel { TensorCores, CudaCores };
void setGqaKernel(GqaKernel kernel);
GqaKernel gqaKernel();

/// Bytes of device scratch for gqaPartialAttention or mlaPartialAttention
/// with up to `maxSplits` blocks per sequence: per-block partial results
/// and (MLA) the absorbed queries. Needs no clearing; one workspace serves
/// every call it is large enough for.
size_t gqaWorkspaceBytes(int64_t batch, int64_t heads, int64_t kvHeads,
                         int64_t headDim, int32_t maxSplits);
size_t mlaWorkspaceBytes(int64_t batch, int64_t heads, int64_t rank,
                         int32_t maxSplits);

/// The most blocks per sequence gqaPartialAttention / mlaPartialAttention
/// can use for `batch` rows on the current device (about four blocks per
/// SM over the grid, 1 to kMaxAttentionSplits). Pass it as maxSplits and
/// size the workspace with it: the results are the same as with
/// kMaxAttentionSplits, but a large batch (a prefill chunk) no longer
/// reserves 128 splits' partials per row (34 MB a row for DeepSeek's MLA).
int32_t gqaAttentionSplits(int64_t batch, int64_t kvHeads);
int32_t mlaAttentionSplits(int64_t batch, int64_t heads);

/// kernels::gqaPartialAttention, flash-decoding style: each sequence's tokens
/// are split over up to maxSplits thread blocks (chosen from maxLength and
/// the device's SM count), every block reads its tokens' K/V once for all
/// query heads of the GQA group (tensor-core MMAs unless setGqaKernel says
/// otherwise), and a second launch combines the partials. q bf16 [B, heads, headDim]; keys[b],
/// values[b] (a device array of device pointers) bf16 [length[b], kvHeads,
/// headDim]; length (device, int64) must not exceed maxLength (a sequence
/// that does gets a NaN LSE). out fp32 [B, heads, headDim + 1]: output then
/// natural-log LSE; an empty slice gives 0 and -inf. headDim 64 or 128,
/// heads / kvHeads <= 16, rows 16-byte aligned. With peers > 1 the output
/// is written straight in the all-to-all's send layout [peers, B, heads /
/// peers, headDim + 1] (block j for KVP peer j), so no packing pass runs.
helix_status gqaPartialAttention(const bf16 *q, const bf16 *const *keys,
                                 const bf16 *const *values,
                                 const int64_t *length, int64_t maxLength,
                                 int64_t batch, int64_t heads, int64_t kvHeads,
                                 int64_t headDim, float scale, float *out,
                                 void *workspace, int32_t maxSplits,
                                 cudaStream_t stream, int64_t peers = 1);

/// kernels::mlaPartialAttention (absorbed MLA): q bf16 [B, heads, nope +
/// ropeDim]; latent[b] bf16 [length[b], rank + ropeDim]; kvB bf16 [heads *
/// (nope + vDim), rank]. W_UK is folded into the queries with one cuBLAS
/// strided-batched GEMM (fp32 result), then the split attention kernel runs
/// over the latent cache with up to 8 heads per block. out fp32 [B, heads,
/// rank + 1]. rank <= 512 and a multiple of 8, ropeDim a multiple of 8.
helix_status mlaPartialAttention(cublasHandle_t cublas, const bf16 *q,
                                 const bf16 *const *latent,
                                 const int64_t *length, int64_t maxLength,
                                 const bf16 *kvB, int64_t batch, int64_t heads,
                                 int64_t nope, int64_t ropeDim, int64_t vDim,
                                 int64_t rank, float scale, float *out,
                                 void *workspace, int32_t maxSplits,
                                 cudaStream_t stream, int64_t peers = 1);

/// kernels::lseMerge fused with the conversion to the next op's input: in
/// fp32 [shards, B, heads, width + 1] (the all-to-all's receive buffer) ->
/// out bf16 [B, heads * width] with row stride ldOut (>= heads * width), the
/// A operand of the following GEMM (W_O, or W_UV for MLA). One launch.
helix_status lseMerge(const float *in, int64_t shards, int64_t batch,
                      int64_t heads, int64_t width, bf16 *out, int64_t ldOut,
                      cudaStream_t stream);
/// The same merge into fp32 (the device backend's activations).
helix_status lseMerge(const float *in, int64_t shards, int64_t batch,
                      int64_t heads, int64_t width, float *out, int64_t ldOut,
                      cudaStream_t stream);

/// kernels::rmsNorm on bf16 rows of n (fp32 math).
helix_status rmsNorm(const bf16 *x, const bf16 *weight, int64_t batch,
                     int64_t n, float eps, bf16 *out, cudaStream_t stream);

/// out = a + b over count bf16 values (the residual add); out may alias.
helix_status add(const bf16 *a, const bf16 *b, int64_t count, bf16 *out,
                 cudaStream_t stream);

/// SwiGLU activation: out[b, j] = silu(gate[b, j]) * up[b, j], j < width,
/// on the fp32 results of the gate/up GEMMs (row strides ldGate, ldUp, so
/// they may be the two halves of one fused GEMM output) into the bf16 input
/// of the down GEMM (row stride ldOut).
helix_status swigluActivation(const float *gate, int64_t ldGate,
                              const float *up, int64_t ldUp, int64_t batch,
                              int64_t width, bf16 *out, int64_t ldOut,
                              cudaStream_t stream);

/// Rotary frequencies on the device, computed once per model by
/// kernels::ropeFrequencies (so both backends share the math).
struct RopeTable {
  double *invFreq = nullptr; // device, rotaryDim / 2 values
  double attentionFactor = 1.0;
  int64_t rotaryDim = 0;
  bool interleaved = false;
};
helix_status ropeTableCreate(const kernels::RopeParams &params,
                             int64_t rotaryDim, RopeTable *table);
void ropeTableDestroy(RopeTable *table);

/// kernels::rope on bf16 x [B, heads * headDim] (out may equal x); angles
/// and cos/sin in double, rounded to float like the CPU kernel.
helix_status rope(const bf16 *x, const int64_t *positions, int64_t batch,
                  int64_t heads, int64_t headDim, const RopeTable &table,
                  bf16 *out, cudaStream_t stream);
helix_status rope(const float *x, const int64_t *positions, int64_t batch,
                  int64_t heads, int64_t headDim, const RopeTable &table,
                  float *out, cudaStream_t stream);

/// out[B, n] = x[B, k] W^T with W bf16 [n, k] (torch layout), x rows of
/// stride ldx; fp32 accumulation, fp32 or bf16 result. cublasGemmEx.
helix_status linear(cublasHandle_t cublas, const bf16 *x, int64_t ldx,
                    const bf16 *weight, int64_t batch, int64_t k, int64_t n,
                    float *out, cudaStream_t stream);
helix_status linear(cublasHandle_t cublas, const bf16 *x, int64_t ldx,
                    const bf16 *weight, int64_t batch, int64_t k, int64_t n,
                    bf16 *out, cudaStream_t stream);

/// Bytes of scratch swigluMlp needs.
size_t swigluWorkspaceBytes(int64_t batch, int64_t width);

/// kernels::swiglu: two GEMMs (gate, up), the activation, the down GEMM;
/// out fp32 [B, hidden] (the partial sum the all-reduce takes).
helix_status swigluMlp(cublasHandle_t cublas, const bf16 *x, const bf16 *gate,
                       const bf16 *up, const bf16 *down, int64_t batch,
                       int64_t hidden, int64_t width, float *out,
                       void *workspace, cudaStream_t stream);

/// kernels::moeRoute: router logits by one fp32 GEMM into `logits` (device
/// scratch of batch * experts floats), then one warp per row does sigmoid,
/// bias, group-limited top-k, exactly as the CPU kernel (ties to the lower
/// index). bias fp32 [experts]; ids int64 / weights fp32 [B, topK].
/// experts <= 1024.
helix_status moeRoute(cublasHandle_t cublas, const bf16 *x,
                      const bf16 *gateWeight, const float *bias, int64_t batch,
                      int64_t hidden, int64_t experts, int64_t topK,
                      int64_t groups, int64_t topkGroup, bool normTopkProb,
                      float scaling, float *logits, int64_t *ids,
                      float *weights, cudaStream_t stream);

/// The routing step alone, on precomputed fp32 logits [B, experts].
helix_status moeRouteFromLogits(const float *logits, const float *bias,
                                int64_t batch, int64_t experts, int64_t topK,
                                int64_t groups, int64_t topkGroup,
                                bool normTopkProb, float scaling, int64_t *ids,
                                float *weights, cudaStream_t stream);

} // namespace helix_rt::cuda

#endif // HELIX_RT_CUDA_KERNELS_H
