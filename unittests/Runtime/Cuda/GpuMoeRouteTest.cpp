//===- GpuMoeRouteTest.cpp - CUDA MoE routing vs the CPU twin -------------===//
#include "GpuTestUtil.h"
#include "helix_rt/kernels.h"

#include <cublas_v2.h>

#include <cmath>
#include <vector>

using namespace helix_gpu_test;
namespace cuda = helix_rt::cuda;
namespace kernels = helix_rt::kernels;

namespace {

struct RouteCase {
  int64_t batch, hidden, experts, topK, groups, topkGroup;
  bool norm;
  float scaling;
};

void runRoute(const RouteCase &c) {
  uint32_t seed;
  std::mt19937 gen = freshGenerator(&seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::vector<float> x = randomVector(size_t(c.batch * c.hidden), gen);
  std::vector<float> gate =
      randomVector(size_t(c.experts * c.hidden), gen, -0.2f, 0.2f);
  std::vector<float> bias = randomVector(size_t(c.experts), gen, -0.1f, 0.1f);
  roundToBf16(x);
  roundToBf16(gate);
  std::vector<int64_t> refIds(size_t(c.batch * c.topK));
  std::vector<float> refW(refIds.size());
  kernels::moeRoute(x.data(), gate.data(), bias.data(), c.batch, c.hidden,
                    c.experts, c.topK, c.groups, c.topkGroup, c.norm,
                    c.scaling, refIds.data(), refW.data());

  cublasHandle_t handle = nullptr;
  ASSERT_EQ(cublasCreate(&handle), CUBLAS_STATUS_SUCCESS);
  DeviceBuffer<uint16_t> dx, dg;
  uploadBf16(dx, x);
  uploadBf16(dg, gate);
  DeviceBuffer<float> dBias(bias.size()), logits(size_t(c.batch * c.experts));
  HELIX_CUDA_OK(dBias.upload(bias));
  DeviceBuffer<int64_t> ids(refIds.size());
  DeviceBuffer<float> weights(refW.size());
  HELIX_CUDA_OK(ids.poison());
  HELIX_CUDA_OK(weights.poison());
  HELIX_RT_OK(cuda::moeRoute(handle, asBf16(dx), asBf16(dg), dBias.get(),
                             c.batch, c.hidden, c.experts, c.topK, c.groups,
                             c.topkGroup, c.norm, c.scaling, logits.get(),
                             ids.get(), weights.get(), nullptr));
  HELIX_CUDA_OK(cudaDeviceSynchronize());
  cublasDestroy(handle);
  std::vector<int64_t> gotIds;
  std::vector<float> gotW;
  HELIX_CUDA_OK(ids.download(gotIds));
  HELIX_CUDA_OK(weights.download(gotW));
  // Random logits are far apart relative to fp32 GEMM rounding, so the
  // choice is the CPU's exactly.
  EXPECT_EQ(gotIds, refIds);
  expectClose(refW, gotW, 1e-4, "weights");
}

TEST(GpuMoeRoute, DeepSeekV3Routing) {
  HELIX_REQUIRE_GPU();
  runRoute({5, 256, 256, 8, 8, 4, true, 2.5f});
}

TEST(GpuMoeRoute, SmallGroupsNoNormalisation) {
  HELIX_REQUIRE_GPU();
  runRoute({3, 128, 16, 3, 4, 2, false, 1.0f});
}

TEST(GpuMoeRoute, SingleExpertGroups) {
  HELIX_REQUIRE_GPU();
  // groupSize 1: the group score is one value (perGroup = min(2, 1)).
  runRoute({4, 64, 8, 2, 8, 3, true, 1.0f});
}

TEST(GpuMoeRoute, NaNLogitsStayInRange) {
  HELIX_REQUIRE_GPU();
  // Every candidate NaN once made the warp argmax return INT_MAX, an index
  // into shared memory. Now NaN choices rank last and ids stay in range.
  const int64_t batch = 2, experts = 16, topK = 4;
  std::vector<float> logits(size_t(batch * experts), std::nanf(""));
  logits[3] = 1.0f; // row 0: one real candidate among NaNs
  std::vector<float> bias(size_t(experts), 0.0f);
  DeviceBuffer<float> dLogits(logits.size()), dBias(bias.size());
  HELIX_CUDA_OK(dLogits.upload(logits));
  HELIX_CUDA_OK(dBias.upload(bias));
  DeviceBuffer<int64_t> ids(size_t(batch * topK));
  DeviceBuffer<float> weights(size_t(batch * topK));
  HELIX_RT_OK(cuda::moeRouteFromLogits(dLogits.get(), dBias.get(), batch,
                                       experts, topK, 4, 2, true, 1.0f,
                                       ids.get(), weights.get(), nullptr));
  HELIX_CUDA_OK(cudaDeviceSynchronize());
  std::vector<int64_t> got;
  HELIX_CUDA_OK(ids.download(got));
  EXPECT_EQ(got[0], 3);
  for (int64_t id : got) {
    EXPECT_GE(id, 0);
    EXPECT_LT(id, experts);
  }
}

} // namespace
