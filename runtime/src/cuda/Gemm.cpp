//===- Gemm.cpp - Linear layers and the dense SwiGLU block on cuBLAS ------===//
//
// Every GEMM of the decode step is a cublasGemmEx call: bf16 operands, fp32
// accumulation (CUBLAS_COMPUTE_32F), bf16 or fp32 results. Row-major
// out[B, n] = x[B, k] W^T with W [n, k] is, in cuBLAS's column-major view,
// out^T [n, B] = (W as [k, n])^T x^T, i.e. op(A) = T on the weight. At
// decode batch sizes these are GEMVs-with-a-few-columns and bandwidth bound;
// cuBLAS picks its own kernels (cuBLASLt underneath), see docs/gpu.md.
//
//===----------------------------------------------------------------------===//
#include "CudaStatus.h"
#include "helix_rt/cuda_kernels.h"

#include <cublas_v2.h>

#include <string>

namespace helix_rt::cuda {

namespace {

helix_status gemm(cublasHandle_t cublas, const bf16 *x, int64_t ldx,
                  const bf16 *weight, int64_t batch, int64_t k, int64_t n,
                  void *out, cudaDataType outType, cudaStream_t stream,
                  const char *what) {
  if (batch < 0 || k <= 0 || n <= 0 || ldx < k)
    return detail::invalid(what, "bad sizes or stride");
  if (batch > 2147483647 || k > 2147483647 || n > 2147483647 ||
      ldx > 2147483647)
    return detail::invalid(what, "sizes exceed cuBLAS's int range");
  if (batch == 0)
    return HELIX_OK;
  if (!cublas || !x || !weight || !out)
    return detail::invalid(what, "null buffer or handle");
  if (cublasSetStream(cublas, stream) != CUBLAS_STATUS_SUCCESS)
    return detail::fail(HELIX_ERROR_INTERNAL,
                        std::string(what) + ": cublasSetStream failed");
  const float alpha = 1.0f, beta = 0.0f;
  const cublasStatus_t status = cublasGemmEx(
      cublas, CUBLAS_OP_T, CUBLAS_OP_N, int(n), int(batch), int(k), &alpha,
      weight, CUDA_R_16BF, int(k), x, CUDA_R_16BF, int(ldx), &beta, out,
      outType, int(n), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
  if (status != CUBLAS_STATUS_SUCCESS)
    return detail::fail(HELIX_ERROR_INTERNAL, std::string(what) + ": " +
                                                  cublasGetStatusString(status));
  return HELIX_OK;
}

} // namespace

helix_status linear(cublasHandle_t cublas, const bf16 *x, int64_t ldx,
                    const bf16 *weight, int64_t batch, int64_t k, int64_t n,
                    float *out, cudaStream_t stream) {
  return gemm(cublas, x, ldx, weight, batch, k, n, out, CUDA_R_32F, stream,
              "cuda::linear");
}

helix_status linear(cublasHandle_t cublas, const bf16 *x, int64_t ldx,
                    const bf16 *weight, int64_t batch, int64_t k, int64_t n,
                    bf16 *out, cudaStream_t stream) {
  return gemm(cublas, x, ldx, weight, batch, k, n, out, CUDA_R_16BF, stream,
              "cuda::linear");
}

size_t swigluWorkspaceBytes(int64_t batch, int64_t width) {
  // fp32 gate and up results, then the bf16 activation (2-byte values,
  // rounded up to keep the next buffer 256-byte aligned).
  if (batch <= 0 || width <= 0)
    return 0;
  const size_t acts = size_t(batch * width);
  return 2 * acts * sizeof(float) + (acts * 2 + 255) / 256 * 256;
}

helix_status swigluMlp(cublasHandle_t cublas, const bf16 *x, const bf16 *gate,
                       const bf16 *up, const bf16 *down, int64_t batch,
                       int64_t hidden, int64_t width, float *out,
                       void *workspace, cudaStream_t stream) {
  if (batch > 0 && !workspace)
    return detail::invalid("cuda::swigluMlp", "null workspace");
  if (batch <= 0 || width <= 0)
    return batch == 0 ? HELIX_OK
                      : detail::invalid("cuda::swigluMlp", "bad sizes");
  float *gateOut = static_cast<float *>(workspace);
  float *upOut = gateOut + batch * width;
  bf16 *act = reinterpret_cast<bf16 *>(upOut + batch * width);
  if (helix_status s = linear(cublas, x, hidden, gate, batch, hidden, width,
                              gateOut, stream))
    return s;
  if (helix_status s =
          linear(cublas, x, hidden, up, batch, hidden, width, upOut, stream))
    return s;
  if (helix_status s = swigluActivation(gateOut, width, upOut, width, batch,
                                        width, act, width, stream))
    return s;
  return linear(cublas, act, width, down, batch, width, hidden, out, stream);
}

} // namespace helix_rt::cuda
