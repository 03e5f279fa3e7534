//===- Elementwise.cu - SwiGLU activation and the residual add ------------===//
#include "CudaStatus.h"
#include "helix_rt/cuda_kernels.h"

#include <cuda_bf16.h>

#include <algorithm>

namespace helix_rt::cuda {

namespace {

constexpr int kThreads = 256;

__global__ void __launch_bounds__(kThreads)
    swigluKernel(const float *gate, int64_t ldGate, const float *up,
                 int64_t ldUp, int64_t width, int64_t count,
                 __nv_bfloat16 *out, int64_t ldOut) {
  const int64_t i = int64_t(blockIdx.x) * kThreads + threadIdx.x;
  if (i >= count)
    return;
  const int64_t b = i / width, j = i % width;
  const float g = gate[b * ldGate + j];
  // silu(g) * up, written as the CPU kernel does (g / (1 + exp(-g))).
  out[b * ldOut + j] = __float2bfloat16(g / (1.0f + expf(-g)) * up[b * ldUp + j]);
}

__global__ void __launch_bounds__(kThreads)
    addKernel(const __nv_bfloat16 *a, const __nv_bfloat16 *b, int64_t count,
              __nv_bfloat16 *out) {
  const int64_t stride = int64_t(gridDim.x) * kThreads;
  for (int64_t i = int64_t(blockIdx.x) * kThreads + threadIdx.x; i < count;
       i += stride)
    out[i] = __float2bfloat16(__bfloat162float(a[i]) + __bfloat162float(b[i]));
}

} // namespace

helix_status swigluActivation(const float *gate, int64_t ldGate,
                              const float *up, int64_t ldUp, int64_t batch,
                              int64_t width, bf16 *out, int64_t ldOut,
                              cudaStream_t stream) {
  const char *what = "cuda::swigluActivation";
  if (batch < 0 || width <= 0 || ldGate < width || ldUp < width ||
      ldOut < width)
    return detail::invalid(what, "bad sizes or strides");
  const int64_t count = batch * width;
  if (count == 0)
    return HELIX_OK;
  if (!gate || !up || !out)
    return detail::invalid(what, "null buffer");
  const int64_t blocks = (count + kThreads - 1) / kThreads;
  if (blocks > 2147483647)
    return detail::invalid(what, "too large");
  swigluKernel<<<unsigned(blocks), kThreads, 0, stream>>>(
      gate, ldGate, up, ldUp, width, count, out, ldOut);
  return detail::checkLaunch(what);
}

helix_status add(const bf16 *a, const bf16 *b, int64_t count, bf16 *out,
                 cudaStream_t stream) {
  const char *what = "cuda::add";
  if (count < 0)
    return detail::invalid(what, "negative count");
  if (count == 0)
    return HELIX_OK;
  if (!a || !b || !out)
    return detail::invalid(what, "null buffer");
  const int64_t blocks =
      std::min<int64_t>((count + kThreads - 1) / kThreads, 65536);
  addKernel<<<unsigned(blocks), kThreads, 0, stream>>>(a, b, count, out);
  return detail::checkLaunch(what);
}

} // namespace helix_rt::cuda
