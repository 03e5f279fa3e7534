//===- AttentionBandwidth.cpp - Attention kernel vs device copy bandwidth -===//
//
// For local KV lengths 4K..1M: the GQA partial attention of one Llama-3.1-
// 405B rank (kvp=8 tpa=8: 16 query heads on 1 KV head of 128, bf16 KV,
// batch 4) timed with CUDA events on both GQA kernels (tensor cores, the
// default, and CUDA cores), its KV bytes read per second, against a
// device-to-device cudaMemcpy of the same number of bytes (read + written
// per second). The goal (issue 5) is >= 80% of the copy's bandwidth from
// 32K tokens on. Prints one row per length and a summary line; exits 1 if
// the goal is missed, 2 on errors. Needs a GPU (benchmarks/gpu/run.sh).
//
//===----------------------------------------------------------------------===//
#include "helix_rt/cuda_kernels.h"

#include <cuda_runtime_api.h>

#include <cstdio>
#include <vector>

namespace cuda = helix_rt::cuda;

namespace {

#define CHECK(expr)                                                            \
  do {                                                                         \
    cudaError_t e_ = (expr);                                                   \
    if (e_ != cudaSuccess) {                                                   \
      std::fprintf(stderr, "%s: %s\n", #expr, cudaGetErrorString(e_));        \
      return 2;                                                                \
    }                                                                          \
  } while (0)

/// Milliseconds per call of `fn`, averaged over `iters` after a warm-up.
template <typename Fn> float timeMs(Fn fn, int iters) {
  cudaEvent_t start, stop;
  cudaEventCreate(&start);
  cudaEventCreate(&stop);
  fn();
  cudaEventRecord(start);
  for (int i = 0; i < iters; ++i)
    fn();
  cudaEventRecord(stop);
  cudaEventSynchronize(stop);
  float ms = 0;
  cudaEventElapsedTime(&ms, start, stop);
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  return ms / float(iters);
}

} // namespace

int main() {
  const int64_t batch = 4, heads = 16, kvHeads = 1, d = 128;
  const int32_t maxSplits = cuda::kMaxAttentionSplits;
  const int64_t maxLen = int64_t(1) << 20;
  const size_t rowBytes = size_t(kvHeads * d) * 2;
  const size_t cacheBytes = size_t(maxLen) * rowBytes; // per sequence, K or V
  int device = 0;
  cudaDeviceProp prop;
  CHECK(cudaGetDevice(&device));
  CHECK(cudaGetDeviceProperties(&prop, device));
  std::printf("device: %s (%d SMs)\n", prop.name, prop.multiProcessorCount);

  std::vector<void *> k(batch), v(batch);
  for (int64_t b = 0; b < batch; ++b) {
    CHECK(cudaMalloc(&k[size_t(b)], cacheBytes));
    CHECK(cudaMalloc(&v[size_t(b)], cacheBytes));
    CHECK(cudaMemset(k[size_t(b)], 0x3c, cacheBytes)); // small bf16 values
    CHECK(cudaMemset(v[size_t(b)], 0x3c, cacheBytes));
  }
  void *q = nullptr, *dKeys = nullptr, *dValues = nullptr, *dLen = nullptr;
  void *out = nullptr, *ws = nullptr, *copySrc = nullptr, *copyDst = nullptr;
  CHECK(cudaMalloc(&q, size_t(batch * heads * d) * 2));
  CHECK(cudaMemset(q, 0x3c, size_t(batch * heads * d) * 2));
  CHECK(cudaMalloc(&dKeys, sizeof(void *) * size_t(batch)));
  CHECK(cudaMalloc(&dValues, sizeof(void *) * size_t(batch)));
  CHECK(cudaMemcpy(dKeys, k.data(), sizeof(void *) * size_t(batch),
                   cudaMemcpyHostToDevice));
  CHECK(cudaMemcpy(dValues, v.data(), sizeof(void *) * size_t(batch),
                   cudaMemcpyHostToDevice));
  CHECK(cudaMalloc(&dLen, sizeof(int64_t) * size_t(batch)));
  CHECK(cudaMalloc(&out, size_t(batch * heads * (d + 1)) * 4));
  const size_t wsBytes =
      cuda::gqaWorkspaceBytes(batch, heads, kvHeads, d, maxSplits);
  CHECK(cudaMalloc(&ws, wsBytes));
  CHECK(cudaMemset(ws, 0, wsBytes));
  const size_t maxKvBytes = 2 * size_t(batch) * cacheBytes;
  CHECK(cudaMalloc(&copySrc, maxKvBytes));
  CHECK(cudaMalloc(&copyDst, maxKvBytes));

  std::printf("%10s %10s %10s %10s %10s %10s %7s\n", "kv_len", "mma_us",
              "mma_GB/s", "simt_us", "simt_GB/s", "copy_GB/s", "ratio");
  bool goalMet = true;
  for (int64_t len = 4096; len <= maxLen; len *= 2) {
    std::vector<int64_t> lengths(size_t(batch), len);
    CHECK(cudaMemcpy(dLen, lengths.data(), sizeof(int64_t) * size_t(batch),
                     cudaMemcpyHostToDevice));
    const size_t kvBytes = 2 * size_t(batch) * size_t(len) * rowBytes;
    const int iters = len < 65536 ? 200 : 20;
    helix_status status = HELIX_OK;
    auto attend = [&] {
      status = cuda::gqaPartialAttention(
          static_cast<const cuda::bf16 *>(q),
          static_cast<const cuda::bf16 *const *>(dKeys),
          static_cast<const cuda::bf16 *const *>(dValues),
          static_cast<const int64_t *>(dLen), len, batch, heads, kvHeads, d,
          0.088f, static_cast<float *>(out), ws, maxSplits, nullptr);
    };
    // The tensor-core kernel (the default), then the CUDA-core one.
    cuda::setGqaKernel(cuda::GqaKernel::CudaCores);
    const float simtMs = timeMs(attend, iters);
    cuda::setGqaKernel(cuda::GqaKernel::TensorCores);
    const float attnMs = timeMs(attend, iters);
    if (status != HELIX_OK) {
      std::fprintf(stderr, "attention: %s\n", cuda::lastError());
      return 2;
    }
    CHECK(cudaGetLastError());
    const float copyMs = timeMs(
        [&] {
          cudaMemcpyAsync(copyDst, copySrc, kvBytes, cudaMemcpyDeviceToDevice);
        },
        iters);
    CHECK(cudaGetLastError());
    const double attnGBs = double(kvBytes) / (attnMs * 1e-3) / 1e9;
    const double simtGBs = double(kvBytes) / (simtMs * 1e-3) / 1e9;
    const double copyGBs = 2.0 * double(kvBytes) / (copyMs * 1e-3) / 1e9;
    const double ratio = attnGBs / copyGBs;
    if (len >= 32768 && ratio < 0.8)
      goalMet = false;
    std::printf("%10lld %10.1f %10.1f %10.1f %10.1f %10.1f %6.0f%%\n",
                (long long)len, attnMs * 1e3, attnGBs, simtMs * 1e3, simtGBs,
                copyGBs, ratio * 100);
  }
  std::printf("goal (>= 80%% of copy bandwidth from 32K on): %s\n",
              goalMet ? "met" : "MISSED");
  return goalMet ? 0 : 1;
}
