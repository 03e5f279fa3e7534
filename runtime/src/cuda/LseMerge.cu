//===- LseMerge.cu - Exact LSE merge fused with the GEMM input conversion -===//
//
// Runs right after the all-to-all: reads the receive buffer (fp32 partial
// outputs + LSE of every KVP shard) and writes the merged heads as bf16 in
// the [B, heads * width] layout the next GEMM (W_O, or W_UV for MLA) takes,
// so no separate merge or conversion pass touches memory. One block per
// (sequence, head): the shard weights exp(LSE_s - max) / sum are computed
// once into shared memory, then the threads stride over the channels and
// sum the shards in shard order, like the CPU kernel.
//
//===----------------------------------------------------------------------===//
#include "CudaStatus.h"
#include "DeviceUtil.cuh"
#include "helix_rt/cuda_kernels.h"

#include <string>

namespace helix_rt::cuda {

namespace {

constexpr int kThreads = 128;

template <typename T>
__global__ void __launch_bounds__(kThreads)
    lseMergeKernel(const float *in, int shards, int64_t batchHeads, int heads,
                   int width, T *out, int64_t ldOut) {
  extern __shared__ float weight[]; // [shards]
  __shared__ float scratch[32];
  const int64_t bh = blockIdx.x;
  const int64_t rowWidth = width + 1;
  const int64_t shardStride = batchHeads * rowWidth;
  const float *rows = in + bh * rowWidth;

  float localMax = -INFINITY;
  for (int s = threadIdx.x; s < shards; s += kThreads)
    localMax = fmaxf(localMax, rows[s * shardStride + width]);
  const float maxLse = detail::blockMax(localMax, scratch);
  float localSum = 0.0f;
  for (int s = threadIdx.x; s < shards; s += kThreads) {
    const float lse = rows[s * shardStride + width];
    // LSE = -inf shards (no tokens here) weigh 0; all empty gives 0.
    const float w =
        maxLse == -INFINITY || lse == -INFINITY ? 0.0f : expf(lse - maxLse);
    weight[s] = w;
    localSum += w;
  }
  const float total = detail::blockSum(localSum, scratch); // syncs weight[]
  const float inv = total > 0.0f ? 1.0f / total : 0.0f;

  const int64_t b = bh / heads, h = bh % heads;
  T *o = out + b * ldOut + h * width;
  for (int c = threadIdx.x; c < width; c += kThreads) {
    float acc = 0.0f;
    for (int s = 0; s < shards; ++s) {
      const float w = weight[s];
      if (w != 0.0f) // Empty shards' outputs are never read.
        acc += w * inv * rows[s * shardStride + c];
    }
    o[c] = detail::fromFloat<T>(acc);
  }
}

template <typename T>
helix_status lseMergeAs(const float *in, int64_t shards, int64_t batch,
                        int64_t heads, int64_t width, T *out, int64_t ldOut,
                        cudaStream_t stream) {
  const char *what = "cuda::lseMerge";
  if (shards < 1 || batch < 0 || heads <= 0 || width <= 0)
    return detail::invalid(what, "bad sizes");
  if (ldOut < heads * width)
    return detail::invalid(what, "ldOut is smaller than heads * width");
  if (shards > 8192 || width > (1 << 20))
    return detail::invalid(what, "too many shards or too wide");
  if (batch == 0)
    return HELIX_OK;
  if (!in || !out)
    return detail::invalid(what, "null buffer");
  const int64_t rows = batch * heads;
  if (rows > 2147483647)
    return detail::invalid(what, "batch * heads exceeds the grid");
  lseMergeKernel<<<unsigned(rows), kThreads, size_t(shards) * sizeof(float),
                   stream>>>(in, int(shards), rows, int(heads), int(width),
                             out, ldOut);
  return detail::checkLaunch(what);
}

} // namespace

helix_status lseMerge(const float *in, int64_t shards, int64_t batch,
                      int64_t heads, int64_t width, bf16 *out, int64_t ldOut,
                      cudaStream_t stream) {
  return lseMergeAs(in, shards, batch, heads, width, out, ldOut, stream);
}

helix_status lseMerge(const float *in, int64_t shards, int64_t batch,
                      int64_t heads, int64_t width, float *out, int64_t ldOut,
                      cudaStream_t stream) {
  return lseMergeAs(in, shards, batch, heads, width, out, ldOut, stream);
}

} // namespace helix_rt::cuda
