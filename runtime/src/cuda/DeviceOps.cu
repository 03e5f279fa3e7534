//===- DeviceOps.cu - fp32 glue kernels of the CUDA device ----------------===//
//
// Small, bandwidth-trivial kernels over the step's fp32 activations (B rows):
// one thread per element or one block per row, nothing clever. The heavy
// work (attention, GEMMs, the merge) is in the other files.
//
//===----------------------------------------------------------------------===//
#include "CudaStatus.h"
#include "DeviceOps.h"
#include "DeviceUtil.cuh"
#include "helix_rt/abi.h"

#include <cublas_v2.h>

#include <string>

namespace helix_rt::cuda::ops {

namespace {

constexpr int kThreads = 256;

unsigned blocksFor(int64_t items) {
  return unsigned((items + kThreads - 1) / kThreads);
}

/// Launch-size guard shared by the elementwise kernels.
helix_status checkItems(int64_t items, const char *what) {
  if (items < 0)
    return detail::invalid(what, "negative size");
  if ((items + kThreads - 1) / kThreads > 2147483647)
    return detail::invalid(what, "too large for one launch");
  return HELIX_OK;
}

/// cuBLAS calls: on `stream`, and their status as a helix_status.
helix_status onStream(cublasHandle_t cublas, cudaStream_t stream,
                      const char *what) {
  if (cublasSetStream(cublas, stream) == CUBLAS_STATUS_SUCCESS)
    return HELIX_OK;
  return detail::fail(HELIX_ERROR_INTERNAL,
                      std::string(what) + ": cublasSetStream failed");
}

helix_status cublasResult(cublasStatus_t status, const char *what) {
  if (status == CUBLAS_STATUS_SUCCESS)
    return HELIX_OK;
  return detail::fail(HELIX_ERROR_INTERNAL,
                      std::string(what) + ": " + cublasGetStatusString(status));
}

/// One thread per item: the guard, nothing for no items, the launch and
/// its check.
template <typename... Params, typename... Args>
helix_status launchItems(const char *what, int64_t items,
                         void (*kernel)(Params...), cudaStream_t stream,
                         Args... args) {
  if (helix_status s = checkItems(items, what))
    return s;
  if (items == 0)
    return HELIX_OK;
  kernel<<<blocksFor(items), kThreads, 0, stream>>>(args...);
  return detail::checkLaunch(what);
}

template <typename T>
__global__ void stridedCopyKernel(View4 src, View4 dst, int64_t total) {
  const int64_t i = int64_t(blockIdx.x) * kThreads + threadIdx.x;
  if (i >= total)
    return;
  int64_t rest = i, so = 0, d = 0;
  for (int k = 3; k >= 0; --k) {
    const int64_t idx = rest % src.sizes[k];
    rest /= src.sizes[k];
    so += idx * src.strides[k];
    d += idx * dst.strides[k];
  }
  static_cast<T *>(dst.base)[d] = static_cast<const T *>(src.base)[so];
}

__global__ void toBf16Kernel(const float *in, int64_t n, __nv_bfloat16 *out) {
  const int64_t i = int64_t(blockIdx.x) * kThreads + threadIdx.x;
  if (i < n)
    out[i] = __float2bfloat16(in[i]);
}

__global__ void toF32Kernel(const __nv_bfloat16 *in, int64_t n, float *out) {
  const int64_t i = int64_t(blockIdx.x) * kThreads + threadIdx.x;
  if (i < n)
    out[i] = __bfloat162float(in[i]);
}

__global__ void addKernel(const float *a, const float *b, int64_t n,
                          float *out) {
  const int64_t i = int64_t(blockIdx.x) * kThreads + threadIdx.x;
  if (i < n)
    out[i] = a[i] + b[i];
}

__global__ void __launch_bounds__(kThreads)
    rmsNormKernel(const float *x, const float *w, int64_t n, float eps,
                  float *out) {
  __shared__ float scratch[32];
  const float *row = x + int64_t(blockIdx.x) * n;
  float local = 0.0f;
  for (int64_t i = threadIdx.x; i < n; i += kThreads)
    local += row[i] * row[i];
  const float sum = detail::blockSum(local, scratch);
  const float inv = rsqrtf(sum / float(n) + eps);
  float *o = out + int64_t(blockIdx.x) * n;
  for (int64_t i = threadIdx.x; i < n; i += kThreads)
    o[i] = row[i] * inv * w[i];
}

__global__ void sumShardsKernel(const float *in, int64_t shards, int64_t n,
                                float *out) {
  const int64_t i = int64_t(blockIdx.x) * kThreads + threadIdx.x;
  if (i >= n)
    return;
  float acc = 0.0f;
  for (int64_t s = 0; s < shards; ++s) // shard order, like the CPU kernel
    acc += in[s * n + i];
  out[i] = acc;
}

__global__ void __launch_bounds__(kThreads)
    argmaxKernel(const float *in, int64_t vocab, int64_t *out) {
  __shared__ float bestValue[kThreads];
  __shared__ int64_t bestIndex[kThreads];
  const float *row = in + int64_t(blockIdx.x) * vocab;
  float best = -INFINITY;
  int64_t at = vocab; // no finite maximum yet
  bool nan = false;
  for (int64_t i = threadIdx.x; i < vocab; i += kThreads) {
    if (row[i] > best) { // strict: the first index wins within a thread
      best = row[i];
      at = i;
    }
    nan |= isnan(row[i]);
  }
  // A NaN anywhere in the row: -1, as the CPU kernel.
  nan = __syncthreads_or(nan);
  bestValue[threadIdx.x] = best;
  bestIndex[threadIdx.x] = at;
  __syncthreads();
  for (int half = kThreads / 2; half > 0; half /= 2) {
    if (threadIdx.x < half) {
      const float v = bestValue[threadIdx.x + half];
      const int64_t j = bestIndex[threadIdx.x + half];
      if (v > bestValue[threadIdx.x] ||
          (v == bestValue[threadIdx.x] && j < bestIndex[threadIdx.x])) {
        bestValue[threadIdx.x] = v;
        bestIndex[threadIdx.x] = j;
      }
    }
    __syncthreads();
  }
  // All -inf rows: index 0, as the CPU kernel.
  if (threadIdx.x == 0)
    out[blockIdx.x] = nan ? -1 : bestIndex[0] < vocab ? bestIndex[0] : 0;
}

__global__ void kvOwnerKernel(const int64_t *positions, int64_t batch,
                              int64_t block, int64_t shards, int64_t *owner) {
  const int64_t i = int64_t(blockIdx.x) * kThreads + threadIdx.x;
  if (i < batch)
    owner[i] = (positions[i] / block) % shards;
}

__global__ void embedKernel(const __nv_bfloat16 *table, const int64_t *tokens,
                            int64_t batch, int64_t hidden, float *out) {
  const int64_t i = int64_t(blockIdx.x) * kThreads + threadIdx.x;
  if (i >= batch * hidden)
    return;
  const int64_t b = i / hidden, c = i % hidden;
  out[i] = __bfloat162float(table[tokens[b] * hidden + c]);
}

__device__ __nv_bfloat16 *rowBase(const CacheLayout &c, int64_t layer,
                                  int64_t row) {
  return c.base + (layer * c.rows + row) * c.rowElements;
}

/// The cache row (sequence) of step row `row`: itself in a decode step,
/// cacheRows[row] in a prefill chunk.
__device__ int64_t cacheRowOf(const int64_t *cacheRows, int64_t row) {
  return cacheRows ? cacheRows[row] : row;
}

__global__ void appendKernel(CacheLayout cache, int64_t layer, const float *a,
                             int64_t aWidth, const float *b, int64_t bWidth,
                             const int64_t *positions, const int64_t *owner,
                             int64_t batch, int64_t rank, int64_t rowOffset,
                             const int64_t *cacheRows) {
  const int64_t width = aWidth + bWidth;
  const int64_t i = int64_t(blockIdx.x) * kThreads + threadIdx.x;
  if (i >= batch * width)
    return;
  const int64_t s = i / width, c = i % width;
  if (rank >= 0 && owner[s] != rank)
    return;
  // Positions were checked against the capacity on the host (helix_rank_step).
  const int64_t slot = abi::kvSlot(positions[s], cache.block, cache.shards);
  __nv_bfloat16 *base =
      rowBase(cache, layer, cacheRowOf(cacheRows, rowOffset + s));
  if (c < aWidth)
    base[slot * cache.tokenStride + c] = __float2bfloat16(a[s * aWidth + c]);
  else if (cache.secondOffset == 0) // latent: rope key after the latent
    base[slot * cache.tokenStride + c] =
        __float2bfloat16(b[s * bWidth + c - aWidth]);
  else
    base[cache.secondOffset + slot * bWidth + c - aWidth] =
        __float2bfloat16(b[s * bWidth + c - aWidth]);
}

__global__ void sequenceViewsKernel(CacheLayout cache, int64_t layer,
                                    const int64_t *positions, int64_t batch,
                                    int64_t rank, int64_t rowOffset,
                                    const int64_t *cacheRows,
                                    const __nv_bfloat16 **first,
                                    const __nv_bfloat16 **second,
                                    int64_t *length) {
  const int64_t s = int64_t(blockIdx.x) * kThreads + threadIdx.x;
  if (s >= batch)
    return;
  const __nv_bfloat16 *base =
      rowBase(cache, layer, cacheRowOf(cacheRows, rowOffset + s));
  first[s] = base;
  if (second)
    second[s] = base + cache.secondOffset;
  length[s] = abi::kvLength(positions[s] + 1, cache.block, cache.shards, rank);
}

__global__ void expertRowWeightsKernel(const int64_t *ids, const float *weights,
                                       int64_t batch, int64_t topK,
                                       int64_t first, int64_t experts,
                                       float *rowWeight) {
  const int64_t i = int64_t(blockIdx.x) * kThreads + threadIdx.x;
  if (i >= experts * batch)
    return;
  const int64_t e = i / batch, b = i % batch;
  float w = 0.0f;
  for (int64_t j = 0; j < topK; ++j)
    if (ids[b * topK + j] == first + e)
      w += weights[b * topK + j];
  rowWeight[i] = w;
}

__global__ void axpyRowsKernel(const float *scale, const float *x,
                               int64_t batch, int64_t n, float *out) {
  const int64_t i = int64_t(blockIdx.x) * kThreads + threadIdx.x;
  if (i >= batch * n)
    return;
  const float a = scale ? scale[i / n] : 1.0f;
  if (a != 0.0f) // rows not routed here add exactly nothing
    out[i] += a * x[i];
}

} // namespace

helix_status stridedCopy(const View4 &src, const View4 &dst, int rank,
                         int elementBytes, cudaStream_t stream) {
  const char *what = "cuda::ops::stridedCopy";
  if (rank < 1 || rank > 4 || (elementBytes != 4 && elementBytes != 8))
    return detail::invalid(what, "rank 1-4 and 4- or 8-byte elements only");
  // Leading unit dimensions, so the kernel always walks four.
  View4 s{src.base, {1, 1, 1, 1}, {0, 0, 0, 0}};
  View4 d{dst.base, {1, 1, 1, 1}, {0, 0, 0, 0}};
  int64_t total = 1;
  for (int k = 0; k < rank; ++k) {
    s.sizes[4 - rank + k] = d.sizes[4 - rank + k] = src.sizes[k];
    s.strides[4 - rank + k] = src.strides[k];
    d.strides[4 - rank + k] = dst.strides[k];
    total *= src.sizes[k];
  }
  if (helix_status st = checkItems(total, what))
    return st;
  if (total == 0)
    return HELIX_OK;
  if (elementBytes == 4)
    stridedCopyKernel<float>
        <<<blocksFor(total), kThreads, 0, stream>>>(s, d, total);
  else
    stridedCopyKernel<int64_t>
        <<<blocksFor(total), kThreads, 0, stream>>>(s, d, total);
  return detail::checkLaunch(what);
}

helix_status toBf16(const float *in, int64_t count, bf16 *out,
                    cudaStream_t stream) {
  return launchItems("cuda::ops::toBf16", count, toBf16Kernel, stream, in,
                     count, out);
}

helix_status toF32(const bf16 *in, int64_t count, float *out,
                   cudaStream_t stream) {
  return launchItems("cuda::ops::toF32", count, toF32Kernel, stream, in, count,
                     out);
}

helix_status linearF32(cublasHandle_t cublas, const float *x, const float *w,
                       int64_t batch, int64_t k, int64_t n, float *out,
                       cudaStream_t stream) {
  const char *what = "cuda::ops::linearF32";
  if (batch < 0 || k <= 0 || n <= 0 || batch > 2147483647 || k > 2147483647 ||
      n > 2147483647)
    return detail::invalid(what, "bad sizes");
  if (batch == 0)
    return HELIX_OK;
  if (helix_status st = onStream(cublas, stream, what))
    return st;
  // Column-major: out^T [n, B] = W^T [n, k] x x^T [k, B], as cuda::linear.
  const float alpha = 1.0f, beta = 0.0f;
  return cublasResult(cublasSgemm(cublas, CUBLAS_OP_T, CUBLAS_OP_N, int(n),
                                  int(batch), int(k), &alpha, w, int(k), x,
                                  int(k), &beta, out, int(n)),
                      what);
}

helix_status addF32(const float *a, const float *b, int64_t count, float *out,
                    cudaStream_t stream) {
  return launchItems("cuda::ops::addF32", count, addKernel, stream, a, b, count,
                     out);
}

helix_status rmsNormF32(const float *x, const float *weight, int64_t batch,
                        int64_t n, float eps, float *out, cudaStream_t stream) {
  if (batch < 0 || batch > 2147483647 || n <= 0)
    return detail::invalid("cuda::ops::rmsNormF32", "bad sizes");
  if (batch == 0)
    return HELIX_OK;
  rmsNormKernel<<<unsigned(batch), kThreads, 0, stream>>>(x, weight, n, eps,
                                                          out);
  return detail::checkLaunch("cuda::ops::rmsNormF32");
}

helix_status sumShards(const float *in, int64_t shards, int64_t batch,
                       int64_t n, float *out, cudaStream_t stream) {
  const int64_t items = batch * n;
  if (shards < 1)
    return detail::invalid("cuda::ops::sumShards", "no shards");
  return launchItems("cuda::ops::sumShards", items, sumShardsKernel, stream, in,
                     shards, items, out);
}

helix_status argmax(const float *in, int64_t batch, int64_t vocab, int64_t *out,
                    cudaStream_t stream) {
  if (batch < 0 || batch > 2147483647 || vocab <= 0)
    return detail::invalid("cuda::ops::argmax", "bad sizes");
  if (batch == 0)
    return HELIX_OK;
  argmaxKernel<<<unsigned(batch), kThreads, 0, stream>>>(in, vocab, out);
  return detail::checkLaunch("cuda::ops::argmax");
}

helix_status kvOwner(const int64_t *positions, int64_t batch, int64_t block,
                     int64_t shards, int64_t *owner, cudaStream_t stream) {
  if (block < 1 || shards < 1)
    return detail::invalid("cuda::ops::kvOwner",
                           "block and shards must be positive");
  return launchItems("cuda::ops::kvOwner", batch, kvOwnerKernel, stream,
                     positions, batch, block, shards, owner);
}

namespace {
__global__ void illegalAddressKernel(int *p) { *p = 1; }
} // namespace

helix_status injectIllegalAddress(cudaStream_t stream) {
  // Address 16: never mapped on the device.
  illegalAddressKernel<<<1, 1, 0, stream>>>(reinterpret_cast<int *>(16));
  return detail::checkLaunch("cuda::ops::injectIllegalAddress");
}

helix_status embed(const bf16 *table, const int64_t *tokens, int64_t batch,
                   int64_t hidden, float *out, cudaStream_t stream) {
  return launchItems("cuda::ops::embed", batch * hidden, embedKernel, stream,
                     table, tokens, batch, hidden, out);
}

helix_status append(const CacheLayout &cache, int64_t layer, const float *a,
                    int64_t aWidth, const float *b, int64_t bWidth,
                    const int64_t *positions, const int64_t *owner,
                    int64_t batch, int64_t rank, int64_t rowOffset,
                    const int64_t *cacheRows, cudaStream_t stream) {
  if (rowOffset < 0 || (!cacheRows && rowOffset + batch > cache.rows))
    return detail::invalid("cuda::ops::append", "rows outside the cache");
  return launchItems("cuda::ops::append", batch * (aWidth + bWidth),
                     appendKernel, stream, cache, layer, a, aWidth, b, bWidth,
                     positions, owner, batch, rank, rowOffset, cacheRows);
}

helix_status sequenceViews(const CacheLayout &cache, int64_t layer,
                           const int64_t *positions, int64_t batch,
                           int64_t rank, int64_t rowOffset,
                           const int64_t *cacheRows, const bf16 **first,
                           const bf16 **second, int64_t *length,
                           cudaStream_t stream) {
  if (rowOffset < 0 || (!cacheRows && rowOffset + batch > cache.rows))
    return detail::invalid("cuda::ops::sequenceViews",
                           "rows outside the cache");
  return launchItems("cuda::ops::sequenceViews", batch, sequenceViewsKernel,
                     stream, cache, layer, positions, batch, rank, rowOffset,
                     cacheRows, first, second, length);
}

helix_status expertRowWeights(const int64_t *ids, const float *weights,
                              int64_t batch, int64_t topK, int64_t first,
                              int64_t experts, float *rowWeight,
                              cudaStream_t stream) {
  return launchItems("cuda::ops::expertRowWeights", experts * batch,
                     expertRowWeightsKernel, stream, ids, weights, batch, topK,
                     first, experts, rowWeight);
}

helix_status axpyRows(const float *scale, const float *x, int64_t batch,
                      int64_t n, float *out, cudaStream_t stream) {
  return launchItems("cuda::ops::axpyRows", batch * n, axpyRowsKernel, stream,
                     scale, x, batch, n, out);
}

helix_status mlaValueProjection(cublasHandle_t cublas, const bf16 *in,
                                const bf16 *kvB, int64_t batch, int64_t heads,
                                int64_t nope, int64_t vDim, int64_t rank,
                                float *out, cudaStream_t stream) {
  const char *what = "cuda::ops::mlaValueProjection";
  if (batch < 0 || heads <= 0 || nope < 0 || vDim <= 0 || rank <= 0)
    return detail::invalid(what, "bad sizes");
  if (batch == 0)
    return HELIX_OK;
  if (helix_status st = onStream(cublas, stream, what))
    return st;
  // Per head h, column-major: out_h^T [vDim, B] = W_h^T [vDim, rank] x
  // in_h^T [rank, B], W_h = kvB rows of head h's values ([vDim, rank]
  // row-major = [rank, vDim] column-major, hence op T).
  const float alpha = 1.0f, beta = 0.0f;
  const cublasStatus_t status = cublasGemmStridedBatchedEx(
      cublas, CUBLAS_OP_T, CUBLAS_OP_N, int(vDim), int(batch), int(rank),
      &alpha, kvB + nope * rank, CUDA_R_16BF, int(rank), (nope + vDim) * rank,
      in, CUDA_R_16BF, int(heads * rank), rank, &beta, out, CUDA_R_32F,
      int(heads * vDim), vDim, int(heads), CUBLAS_COMPUTE_32F,
      CUBLAS_GEMM_DEFAULT);
  return cublasResult(status, what);
}

} // namespace helix_rt::cuda::ops
