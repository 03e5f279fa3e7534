//===- GpuNormRopeTest.cpp - CUDA RMSNorm, RoPE, add, SwiGLU vs CPU -------===//
#include "GpuTestUtil.h"
#include "helix_rt/kernels.h"

#include <cmath>
#include <vector>

using namespace helix_gpu_test;
namespace cuda = helix_rt::cuda;
namespace kernels = helix_rt::kernels;

namespace {

TEST(GpuNormRope, RmsNorm) {
  HELIX_REQUIRE_GPU();
  uint32_t seed;
  std::mt19937 gen = freshGenerator(&seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  const int64_t batch = 5, n = 4096 + 24;
  std::vector<float> x = randomVector(size_t(batch * n), gen, -3, 3);
  std::vector<float> w = randomVector(size_t(n), gen, 0.5f, 1.5f);
  roundToBf16(x);
  roundToBf16(w);
  std::vector<float> ref(x.size());
  kernels::rmsNorm(x.data(), w.data(), batch, n, 1e-6f, ref.data());
  DeviceBuffer<uint16_t> dx, dw, out(x.size());
  uploadBf16(dx, x);
  uploadBf16(dw, w);
  HELIX_CUDA_OK(out.poison());
  HELIX_RT_OK(cuda::rmsNorm(asBf16(dx), asBf16(dw), batch, n, 1e-6f,
                            asBf16(out), nullptr));
  HELIX_CUDA_OK(cudaDeviceSynchronize());
  expectClose(ref, downloadBf16(out), kBf16Tol, "rmsNorm");
}

TEST(GpuNormRope, ResidualAddInPlace) {
  HELIX_REQUIRE_GPU();
  uint32_t seed;
  std::mt19937 gen = freshGenerator(&seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  const int64_t count = 3 * 7168 + 5;
  std::vector<float> a = randomVector(size_t(count), gen);
  std::vector<float> b = randomVector(size_t(count), gen);
  roundToBf16(a);
  roundToBf16(b);
  std::vector<float> ref(a.size());
  kernels::add(a.data(), b.data(), count, ref.data());
  DeviceBuffer<uint16_t> da, db;
  uploadBf16(da, a);
  uploadBf16(db, b);
  HELIX_RT_OK(cuda::add(asBf16(da), asBf16(db), count, asBf16(da), nullptr));
  HELIX_CUDA_OK(cudaDeviceSynchronize());
  expectClose(ref, downloadBf16(da), kBf16Tol, "add");
}

TEST(GpuNormRope, SwigluActivationOnStridedHalves) {
  HELIX_REQUIRE_GPU();
  uint32_t seed;
  std::mt19937 gen = freshGenerator(&seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  const int64_t batch = 4, width = 1000;
  // One fused [B, 2 * width] GEMM result: gate then up.
  std::vector<float> fused = randomVector(size_t(batch * 2 * width), gen, -4, 4);
  std::vector<float> ref(size_t(batch * width));
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t j = 0; j < width; ++j) {
      const float g = fused[size_t(b * 2 * width + j)];
      const float u = fused[size_t(b * 2 * width + width + j)];
      ref[size_t(b * width + j)] = g / (1.0f + std::exp(-g)) * u;
    }
  DeviceBuffer<float> dFused(fused.size());
  HELIX_CUDA_OK(dFused.upload(fused));
  DeviceBuffer<uint16_t> out(ref.size());
  HELIX_CUDA_OK(out.poison());
  HELIX_RT_OK(cuda::swigluActivation(dFused.get(), 2 * width,
                                     dFused.get() + width, 2 * width, batch,
                                     width, asBf16(out), width, nullptr));
  HELIX_CUDA_OK(cudaDeviceSynchronize());
  expectClose(ref, downloadBf16(out), kBf16Tol, "swiglu");
}

void runRope(kernels::RopeParams params, int64_t headDim, int64_t rotaryDim,
             bool inPlace) {
  uint32_t seed;
  std::mt19937 gen = freshGenerator(&seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  const int64_t batch = 4, heads = 6;
  std::vector<float> x = randomVector(size_t(batch * heads * headDim), gen);
  roundToBf16(x);
  std::vector<int64_t> pos = {0, 17, 4095, 131071};
  std::vector<float> ref(x.size());
  kernels::rope(x.data(), pos.data(), batch, heads, headDim, rotaryDim,
                params, ref.data());
  cuda::RopeTable table;
  HELIX_RT_OK(cuda::ropeTableCreate(params, rotaryDim, &table));
  DeviceBuffer<uint16_t> dx, out(x.size());
  uploadBf16(dx, x);
  HELIX_CUDA_OK(out.poison());
  DeviceBuffer<int64_t> dpos(pos.size());
  HELIX_CUDA_OK(dpos.upload(pos));
  bf16 *dst = inPlace ? asBf16(dx) : asBf16(out);
  HELIX_RT_OK(cuda::rope(asBf16(dx), dpos.get(), batch, heads, headDim, table,
                         dst, nullptr));
  HELIX_CUDA_OK(cudaDeviceSynchronize());
  cuda::ropeTableDestroy(&table);
  expectClose(ref, downloadBf16(inPlace ? dx : out), kBf16Tol, "rope");
}

TEST(GpuNormRope, RopeDefaultHalfSplit) {
  HELIX_REQUIRE_GPU();
  kernels::RopeParams p;
  p.theta = 500000.0;
  runRope(p, 128, 128, false);
}

TEST(GpuNormRope, RopeLlama3InPlace) {
  HELIX_REQUIRE_GPU();
  kernels::RopeParams p;
  p.theta = 500000.0;
  p.scaling = kernels::RopeScaling::Llama3;
  p.factor = 8.0;
  p.lowFreqFactor = 1.0;
  p.highFreqFactor = 4.0;
  p.originalMaxPosition = 8192;
  runRope(p, 128, 128, true);
}

TEST(GpuNormRope, RopeYarnInterleavedPartial) {
  HELIX_REQUIRE_GPU();
  // DeepSeek-V3: YaRN, interleaved pairs, rope on the last 64 of 192.
  kernels::RopeParams p;
  p.scaling = kernels::RopeScaling::Yarn;
  p.interleaved = true;
  p.factor = 40.0;
  p.originalMaxPosition = 4096;
  p.betaFast = 32.0;
  p.betaSlow = 1.0;
  p.mscale = 1.0;
  p.mscaleAllDim = 1.0;
  runRope(p, 192, 64, false);
}

TEST(GpuNormRope, RopeInterleavedDefault) {
  HELIX_REQUIRE_GPU();
  kernels::RopeParams p;
  p.interleaved = true;
  runRope(p, 64, 64, true);
}

} // namespace
