//===- GpuGemmTest.cpp - cuBLAS linear and SwiGLU MLP vs the CPU twins ----===//
#include "GpuTestUtil.h"
#include "helix_rt/kernels.h"

#include <cublas_v2.h>

#include <vector>

using namespace helix_gpu_test;
namespace cuda = helix_rt::cuda;
namespace kernels = helix_rt::kernels;

namespace {

class GpuGemm : public ::testing::Test {
protected:
  void SetUp() override {
    HELIX_REQUIRE_GPU();
    ASSERT_EQ(cublasCreate(&handle), CUBLAS_STATUS_SUCCESS);
  }
  void TearDown() override {
    if (handle)
      cublasDestroy(handle);
  }
  cublasHandle_t handle = nullptr;
};

TEST_F(GpuGemm, LinearFp32AndBf16Results) {
  uint32_t seed;
  std::mt19937 gen = freshGenerator(&seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  const int64_t batch = 3, k = 1024, n = 520;
  std::vector<float> x = randomVector(size_t(batch * k), gen);
  std::vector<float> w = randomVector(size_t(n * k), gen, -0.1f, 0.1f);
  roundToBf16(x);
  roundToBf16(w);
  std::vector<float> ref(size_t(batch * n));
  kernels::linear(x.data(), w.data(), batch, k, n, ref.data());
  DeviceBuffer<uint16_t> dx, dw, outBf(ref.size());
  uploadBf16(dx, x);
  uploadBf16(dw, w);
  DeviceBuffer<float> out(ref.size());
  HELIX_CUDA_OK(out.poison());
  HELIX_CUDA_OK(outBf.poison());
  HELIX_RT_OK(cuda::linear(handle, asBf16(dx), k, asBf16(dw), batch, k, n,
                           out.get(), nullptr));
  HELIX_RT_OK(cuda::linear(handle, asBf16(dx), k, asBf16(dw), batch, k, n,
                           asBf16(outBf), nullptr));
  HELIX_CUDA_OK(cudaDeviceSynchronize());
  std::vector<float> got;
  HELIX_CUDA_OK(out.download(got));
  expectClose(ref, got, 1e-4, "linear fp32");
  expectClose(ref, downloadBf16(outBf), kBf16Tol, "linear bf16");
}

TEST_F(GpuGemm, SwigluMlp) {
  uint32_t seed;
  std::mt19937 gen = freshGenerator(&seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  const int64_t batch = 4, hidden = 512, width = 352;
  std::vector<float> x = randomVector(size_t(batch * hidden), gen);
  std::vector<float> gate = randomVector(size_t(width * hidden), gen, -.1f, .1f);
  std::vector<float> up = randomVector(size_t(width * hidden), gen, -.1f, .1f);
  std::vector<float> down = randomVector(size_t(hidden * width), gen, -.1f, .1f);
  for (auto *v : {&x, &gate, &up, &down})
    roundToBf16(*v);
  std::vector<float> ref(size_t(batch * hidden));
  kernels::swiglu(x.data(), gate.data(), up.data(), down.data(), batch, hidden,
                  width, ref.data());
  DeviceBuffer<uint16_t> dx, dg, du, dd;
  uploadBf16(dx, x);
  uploadBf16(dg, gate);
  uploadBf16(du, up);
  uploadBf16(dd, down);
  DeviceBuffer<char> ws(cuda::swigluWorkspaceBytes(batch, width));
  DeviceBuffer<float> out(ref.size());
  HELIX_CUDA_OK(out.poison());
  HELIX_RT_OK(cuda::swigluMlp(handle, asBf16(dx), asBf16(dg), asBf16(du),
                              asBf16(dd), batch, hidden, width, out.get(),
                              ws.get(), nullptr));
  HELIX_CUDA_OK(cudaDeviceSynchronize());
  std::vector<float> got;
  HELIX_CUDA_OK(out.download(got));
  // The activation is rounded to bf16 before the down GEMM (the CPU keeps
  // fp32): one bf16 rounding on the inner values.
  expectClose(ref, got, kBf16Tol, "swiglu mlp");
}

} // namespace
