//===- DeviceUtil.cuh - Device helpers shared by the CUDA kernels -*- CUDA -*-//
//
// bf16 vector loads into fp32 registers and warp reductions. Loads are 4,
// 8 or 16 bytes wide so that a warp reading one cached row issues one
// coalesced request per 512 bytes.
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_RT_CUDA_DEVICEUTIL_CUH
#define HELIX_RT_CUDA_DEVICEUTIL_CUH

#include <cuda_bf16.h>

#include <cstdint>

namespace helix_rt::cuda::detail {

constexpr unsigned kFullMask = 0xffffffffu;

/// Element conversions for kernels that take fp32 or bf16 activations.
__device__ __forceinline__ float toFloat(float v) { return v; }
__device__ __forceinline__ float toFloat(__nv_bfloat16 v) {
  return __bfloat162float(v);
}
template <typename T> __device__ __forceinline__ T fromFloat(float v);
template <> __device__ __forceinline__ float fromFloat<float>(float v) {
  return v;
}
template <>
__device__ __forceinline__ __nv_bfloat16 fromFloat<__nv_bfloat16>(float v) {
  return __float2bfloat16(v);
}

/// Eight bf16 at p (16-byte aligned) as floats.
__device__ __forceinline__ void load8(const __nv_bfloat16 *p, float *v) {
  uint4 raw = *reinterpret_cast<const uint4 *>(p);
  const __nv_bfloat162 *pairs = reinterpret_cast<const __nv_bfloat162 *>(&raw);
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    float2 f = __bfloat1622float2(pairs[i]);
    v[2 * i] = f.x;
    v[2 * i + 1] = f.y;
  }
}

/// N bf16 at p (N * 2-byte aligned, N in {2, 4} or a multiple of 8).
template <int N>
__device__ __forceinline__ void loadN(const __nv_bfloat16 *p, float *v) {
  if constexpr (N % 8 == 0) {
#pragma unroll
    for (int i = 0; i < N; i += 8)
      load8(p + i, v + i);
  } else if constexpr (N == 4) {
    uint2 raw = *reinterpret_cast<const uint2 *>(p);
    const __nv_bfloat162 *pairs =
        reinterpret_cast<const __nv_bfloat162 *>(&raw);
    float2 a = __bfloat1622float2(pairs[0]), b = __bfloat1622float2(pairs[1]);
    v[0] = a.x, v[1] = a.y, v[2] = b.x, v[3] = b.y;
  } else {
    static_assert(N == 2, "unsupported vector width");
    float2 a = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162 *>(p));
    v[0] = a.x, v[1] = a.y;
  }
}

__device__ __forceinline__ float warpMax(float v) {
#pragma unroll
  for (int offset = 16; offset > 0; offset /= 2)
    v = fmaxf(v, __shfl_xor_sync(kFullMask, v, offset));
  return v;
}

__device__ __forceinline__ float warpSum(float v) {
#pragma unroll
  for (int offset = 16; offset > 0; offset /= 2)
    v += __shfl_xor_sync(kFullMask, v, offset);
  return v;
}

/// Sum over the block (blockDim.x a multiple of 32, <= 1024); `scratch`
/// holds 32 floats of shared memory. Every thread gets the result.
__device__ __forceinline__ float blockSum(float v, float *scratch) {
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int warps = blockDim.x / 32;
  v = warpSum(v);
  __syncthreads(); // scratch may still be read from a previous call
  if (lane == 0)
    scratch[warp] = v;
  __syncthreads();
  v = lane < warps ? scratch[lane] : 0.0f;
  return warpSum(v);
}

/// Max over the block, as blockSum.
__device__ __forceinline__ float blockMax(float v, float *scratch) {
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int warps = blockDim.x / 32;
  v = warpMax(v);
  __syncthreads();
  if (lane == 0)
    scratch[warp] = v;
  __syncthreads();
  v = lane < warps ? scratch[lane] : -INFINITY;
  return warpMax(v);
}

} // namespace helix_rt::cuda::detail

#endif // HELIX_RT_CUDA_DEVICEUTIL_CUH
