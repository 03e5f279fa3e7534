//===- DeviceOps.h - fp32 glue kernels of the CUDA device -------*- C++ -*-===//
//
// The kernels CudaDevice needs around the ones of helix_rt/cuda_kernels.h:
// the step keeps its activations in fp32 (a decode step's activations are
// B rows, negligible next to the bf16 weights and KV cache that carry the
// bandwidth), so these convert, copy, reduce and index fp32 buffers. Same
// conventions as cuda_kernels.h: device pointers, enqueued on `stream`,
// a status back and the reason in lastError().
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_RT_CUDA_DEVICEOPS_H
#define HELIX_RT_CUDA_DEVICEOPS_H

#include "helix_rt/cuda_kernels.h"

namespace helix_rt::cuda::ops {

/// A strided view of rank <= 4 (sizes and strides in elements).
struct View4 {
  void *base;
  int64_t sizes[4];
  int64_t strides[4];
};

/// dst[i] = src[i] over every index of src's shape; element size 4 or 8.
helix_status stridedCopy(const View4 &src, const View4 &dst, int rank,
                         int elementBytes, cudaStream_t stream);

helix_status toBf16(const float *in, int64_t count, bf16 *out,
                    cudaStream_t stream);
helix_status toF32(const bf16 *in, int64_t count, float *out,
                   cudaStream_t stream);
/// out[B, n] = x[B, k] W^T in fp32 (W fp32 [n, k]): the MoE router, whose
/// top-k choice must not flip on bf16 rounding of its input.
helix_status linearF32(cublasHandle_t cublas, const float *x, const float *w,
                       int64_t batch, int64_t k, int64_t n, float *out,
                       cudaStream_t stream);
/// out = a + b.
helix_status addF32(const float *a, const float *b, int64_t count, float *out,
                    cudaStream_t stream);
/// RMSNorm on fp32 rows of n with an fp32 weight.
helix_status rmsNormF32(const float *x, const float *weight, int64_t batch,
                        int64_t n, float eps, float *out, cudaStream_t stream);
/// out[B, n] = sum over shards of in [shards, B, n].
helix_status sumShards(const float *in, int64_t shards, int64_t batch,
                       int64_t n, float *out, cudaStream_t stream);
/// out[b] = first index of the row maximum of in [B, vocab].
helix_status argmax(const float *in, int64_t batch, int64_t vocab, int64_t *out,
                    cudaStream_t stream);
/// owner[b] = (positions[b] / block) % shards.
helix_status kvOwner(const int64_t *positions, int64_t batch, int64_t block,
                     int64_t shards, int64_t *owner, cudaStream_t stream);
/// out[b] = table[tokens[b]] (bf16 table [vocab, hidden] -> fp32).
helix_status embed(const bf16 *table, const int64_t *tokens, int64_t batch,
                   int64_t hidden, float *out, cudaStream_t stream);

/// The bf16 cache of one rank: per (layer, row) a block of `rowFloats`
/// elements; KV caches keep all slots' keys, then all slots' values
/// (`secondOffset` = slots * key width); latent caches keep each slot's
/// latent followed by its RoPE key (`secondOffset` = 0).
struct CacheLayout {
  bf16 *base;
  int64_t rows, slots, rowElements, secondOffset, tokenStride;
  int64_t block, shards; // KV placement (docs/sharding.md)
};

/// Writes row s of a [B, aWidth] and b [B, bWidth] into the cache slot of
/// positions[s] where rank < 0 or owner[s] == rank. Row s is step row
/// rowOffset + s; its cache row is that, or cacheRows[rowOffset + s] when
/// the step maps rows to sequences (a prefill chunk; the caller checks the
/// map against cache.rows).
helix_status append(const CacheLayout &cache, int64_t layer, const float *a,
                    int64_t aWidth, const float *b, int64_t bWidth,
                    const int64_t *positions, const int64_t *owner,
                    int64_t batch, int64_t rank, int64_t rowOffset,
                    const int64_t *cacheRows, cudaStream_t stream);

/// Per-sequence cache pointers and the number of tokens rank `rank` (-1:
/// unsharded) holds for a query at positions[s]: what the attention kernels
/// take. `second` may be null (latent caches). Rows map to cache rows as in
/// append; a chunk's rows of one sequence share its cache, each seeing the
/// tokens up to its own position (causal within the chunk, since the
/// chunk's appends come first).
helix_status sequenceViews(const CacheLayout &cache, int64_t layer,
                           const int64_t *positions, int64_t batch,
                           int64_t rank, int64_t rowOffset,
                           const int64_t *cacheRows, const bf16 **first,
                           const bf16 **second, int64_t *length,
                           cudaStream_t stream);

/// rowWeight[e, b] = sum of weights[b, j] over j with ids[b, j] == first + e,
/// for the `experts` local experts.
helix_status expertRowWeights(const int64_t *ids, const float *weights,
                              int64_t batch, int64_t topK, int64_t first,
                              int64_t experts, float *rowWeight,
                              cudaStream_t stream);
/// out[b, :] += (scale ? scale[b] : 1) * x[b, :] over rows of n.
helix_status axpyRows(const float *scale, const float *x, int64_t batch,
                      int64_t n, float *out, cudaStream_t stream);

/// Value projection of absorbed MLA: in bf16 [B, heads * rank] -> out fp32
/// [B, heads * vDim] with head h's W_UV = rows [h (nope + vDim) + nope, +vDim)
/// of kvB [heads (nope + vDim), rank]; one strided-batched GEMM.
helix_status mlaValueProjection(cublasHandle_t cublas, const bf16 *in,
                                const bf16 *kvB, int64_t batch, int64_t heads,
                                int64_t nope, int64_t vDim, int64_t rank,
                                float *out, cudaStream_t stream);

/// A store through an unmapped device address: the illegal-address fault
/// that HELIX_CUDA_FAULT_STEP injects to test how a run ends on a GPU fault
/// (docs/gpu.md). The launch itself succeeds; the fault surfaces at the
/// stream's next synchronisation, as a real one would.
helix_status injectIllegalAddress(cudaStream_t stream);

} // namespace helix_rt::cuda::ops

#endif // HELIX_RT_CUDA_DEVICEOPS_H
