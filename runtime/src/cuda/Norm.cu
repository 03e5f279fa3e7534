//===- Norm.cu - RMSNorm on bf16 rows ------------------------------------===//
//
// One block per row: the sum of squares in fp32 (per-thread partials, then
// a block reduction), then x * rsqrt(mean + eps) * w as Hugging Face does,
// rounded to bf16 once.
//
//===----------------------------------------------------------------------===//
#include "CudaStatus.h"
#include "DeviceUtil.cuh"
#include "helix_rt/cuda_kernels.h"

namespace helix_rt::cuda {

namespace {

constexpr int kThreads = 256;

__global__ void __launch_bounds__(kThreads)
    rmsNormKernel(const __nv_bfloat16 *x, const __nv_bfloat16 *weight,
                  int64_t n, float eps, __nv_bfloat16 *out) {
  __shared__ float scratch[32];
  const __nv_bfloat16 *row = x + blockIdx.x * n;
  float sum = 0.0f;
  for (int64_t i = threadIdx.x; i < n; i += kThreads) {
    const float v = __bfloat162float(row[i]);
    sum += v * v;
  }
  sum = detail::blockSum(sum, scratch);
  const float inv = 1.0f / sqrtf(sum / float(n) + eps);
  __nv_bfloat16 *o = out + blockIdx.x * n;
  for (int64_t i = threadIdx.x; i < n; i += kThreads)
    o[i] = __float2bfloat16(__bfloat162float(row[i]) * inv *
                            __bfloat162float(weight[i]));
}

} // namespace

helix_status rmsNorm(const bf16 *x, const bf16 *weight, int64_t batch,
                     int64_t n, float eps, bf16 *out, cudaStream_t stream) {
  const char *what = "cuda::rmsNorm";
  if (batch < 0 || n <= 0 || batch > 2147483647)
    return detail::invalid(what, "bad sizes");
  if (batch == 0)
    return HELIX_OK;
  if (!x || !weight || !out)
    return detail::invalid(what, "null buffer");
  rmsNormKernel<<<unsigned(batch), kThreads, 0, stream>>>(x, weight, n, eps,
                                                          out);
  return detail::checkLaunch(what);
}

} // namespace helix_rt::cuda
