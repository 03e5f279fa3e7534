//===- GpuMlaTest.cpp - CUDA absorbed MLA attention vs the CPU twin -------===//
#include "GpuTestUtil.h"
#include "helix_rt/kernels.h"

#include <cublas_v2.h>

#include <cmath>
#include <vector>

using namespace helix_gpu_test;
namespace cuda = helix_rt::cuda;
namespace kernels = helix_rt::kernels;

namespace {

struct MlaCase {
  int64_t heads, nope, ropeDim, vDim, rank;
  std::vector<int64_t> lengths;
};

void runMla(const MlaCase &c) {
  uint32_t seed;
  std::mt19937 gen = freshGenerator(&seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  const int64_t batch = int64_t(c.lengths.size());
  const int64_t qWidth = c.nope + c.ropeDim, keyWidth = c.rank + c.ropeDim;
  const float scale = 1.0f / std::sqrt(float(qWidth));
  std::vector<float> q = randomVector(size_t(batch * c.heads * qWidth), gen);
  std::vector<float> kvB = randomVector(
      size_t(c.heads * (c.nope + c.vDim) * c.rank), gen, -0.3f, 0.3f);
  roundToBf16(q);
  roundToBf16(kvB);
  std::vector<std::vector<float>> lat(static_cast<size_t>(batch));
  std::vector<DeviceBuffer<uint16_t>> dlat(static_cast<size_t>(batch));
  std::vector<const float *> lp;
  std::vector<const bf16 *> dlp;
  int64_t maxLength = 0;
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t len = c.lengths[size_t(b)];
    maxLength = std::max(maxLength, len);
    lat[size_t(b)] =
        randomVector(size_t(std::max<int64_t>(len, 1) * keyWidth), gen);
    roundToBf16(lat[size_t(b)]);
    uploadBf16(dlat[size_t(b)], lat[size_t(b)]);
    lp.push_back(lat[size_t(b)].data());
    dlp.push_back(len ? asBf16(dlat[size_t(b)]) : nullptr);
  }
  std::vector<float> ref(size_t(batch * c.heads * (c.rank + 1)));
  kernels::mlaPartialAttention(q.data(), lp.data(), c.lengths.data(),
                               kvB.data(), batch, c.heads, c.nope, c.ropeDim,
                               c.vDim, c.rank, scale, ref.data());

  cublasHandle_t handle = nullptr;
  ASSERT_EQ(cublasCreate(&handle), CUBLAS_STATUS_SUCCESS);
  DeviceBuffer<uint16_t> dq, dkvB;
  uploadBf16(dq, q);
  uploadBf16(dkvB, kvB);
  DeviceBuffer<const bf16 *> dLatent(static_cast<size_t>(batch));
  HELIX_CUDA_OK(dLatent.upload(dlp));
  DeviceBuffer<int64_t> dLen(static_cast<size_t>(batch));
  HELIX_CUDA_OK(dLen.upload(c.lengths));
  const int32_t maxSplits = 64;
  DeviceBuffer<char> ws(
      cuda::mlaWorkspaceBytes(batch, c.heads, c.rank, maxSplits));
  HELIX_CUDA_OK(ws.poison());
  DeviceBuffer<float> out(ref.size());
  HELIX_CUDA_OK(out.poison());
  HELIX_RT_OK(cuda::mlaPartialAttention(
      handle, asBf16(dq), dLatent.get(), dLen.get(), maxLength, asBf16(dkvB),
      batch, c.heads, c.nope, c.ropeDim, c.vDim, c.rank, scale, out.get(),
      ws.get(), maxSplits, nullptr));
  HELIX_CUDA_OK(cudaDeviceSynchronize());
  std::vector<float> got;
  HELIX_CUDA_OK(out.download(got));
  cublasDestroy(handle);
  // The absorbed query is a bf16 GEMM in fp32 on both sides; allow for a
  // different summation order over nope channels.
  expectClose(ref, got, 3e-3, "mla");
}

TEST(GpuMla, SmallLatentTwoHeadGroups) {
  HELIX_REQUIRE_GPU();
  runMla({10, 32, 16, 32, 64, {1, 300, 0, 2500}});
}

TEST(GpuMla, DeepSeekSizedLatent) {
  HELIX_REQUIRE_GPU();
  // DeepSeek-V3 head geometry (nope 128, rope 64, v 128, rank 512), 16 heads.
  runMla({16, 128, 64, 128, 512, {4096, 77}});
}

TEST(GpuMla, MidSizedLatent) {
  HELIX_REQUIRE_GPU();
  runMla({8, 16, 8, 16, 128, {1000, 1, 33}});
}

} // namespace
