//===- GpuAttentionTest.cpp - CUDA GQA partial attention vs the CPU twin --===//
#include "GpuTestUtil.h"
#include "helix_rt/kernels.h"

#include <cmath>
#include <vector>

using namespace helix_gpu_test;
namespace cuda = helix_rt::cuda;
namespace kernels = helix_rt::kernels;

namespace {

struct GqaCase {
  int64_t heads, kvHeads, headDim;
  std::vector<int64_t> lengths;
  int32_t maxSplits;
  int64_t peers;
};

/// Runs one case on each GQA kernel, twice on the same workspace, against
/// the CPU kernel. With `shared`, on that workspace (sized for a larger
/// batch, holding another batch's partials).
void runGqa(const GqaCase &c, DeviceBuffer<char> *shared = nullptr) {
  uint32_t seed;
  std::mt19937 gen = freshGenerator(&seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  const int64_t batch = int64_t(c.lengths.size());
  const int64_t d = c.headDim, row = c.kvHeads * d;
  const float scale = 1.0f / std::sqrt(float(d));
  std::vector<float> q = randomVector(size_t(batch * c.heads * d), gen);
  roundToBf16(q);
  std::vector<std::vector<float>> k(static_cast<size_t>(batch)), v(static_cast<size_t>(batch));
  std::vector<DeviceBuffer<uint16_t>> dk(static_cast<size_t>(batch)), dv(static_cast<size_t>(batch));
  std::vector<const float *> kp, vp;
  std::vector<const bf16 *> dkp, dvp;
  int64_t maxLength = 0;
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t len = c.lengths[size_t(b)];
    maxLength = std::max(maxLength, len);
    // Keys spread wider than queries so the softmax is not flat.
    k[size_t(b)] = randomVector(size_t(std::max<int64_t>(len, 1) * row), gen,
                                -2.0f, 2.0f);
    v[size_t(b)] = randomVector(size_t(std::max<int64_t>(len, 1) * row), gen);
    roundToBf16(k[size_t(b)]);
    roundToBf16(v[size_t(b)]);
    uploadBf16(dk[size_t(b)], k[size_t(b)]);
    uploadBf16(dv[size_t(b)], v[size_t(b)]);
    kp.push_back(k[size_t(b)].data());
    vp.push_back(v[size_t(b)].data());
    // Empty slices pass null pointers, as the CPU runtime may.
    dkp.push_back(len ? asBf16(dk[size_t(b)]) : nullptr);
    dvp.push_back(len ? asBf16(dv[size_t(b)]) : nullptr);
  }
  std::vector<float> ref(size_t(batch * c.heads * (d + 1)));
  kernels::gqaPartialAttention(q.data(), kp.data(), vp.data(),
                               c.lengths.data(), batch, c.heads, c.kvHeads, d,
                               scale, ref.data());
  // The GPU writes [peers, B, heads / peers, d + 1]: reorder the reference.
  const int64_t per = c.heads / c.peers;
  std::vector<float> expect(ref.size());
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t h = 0; h < c.heads; ++h)
      std::copy_n(ref.begin() + (b * c.heads + h) * (d + 1), d + 1,
                  expect.begin() +
                      (((h / per) * batch + b) * per + h % per) * (d + 1));

  DeviceBuffer<uint16_t> dq;
  uploadBf16(dq, q);
  DeviceBuffer<const bf16 *> dKeys(static_cast<size_t>(batch)), dValues(static_cast<size_t>(batch));
  HELIX_CUDA_OK(dKeys.upload(dkp));
  HELIX_CUDA_OK(dValues.upload(dvp));
  DeviceBuffer<int64_t> dLen(static_cast<size_t>(batch));
  HELIX_CUDA_OK(dLen.upload(c.lengths));
  DeviceBuffer<char> own(shared ? 0
                                 : cuda::gqaWorkspaceBytes(batch, c.heads,
                                                           c.kvHeads, d,
                                                           c.maxSplits));
  DeviceBuffer<char> &ws = shared ? *shared : own;
  if (!shared) // poisoned: the kernels must write every record they read
    HELIX_CUDA_OK(ws.poison());
  DeviceBuffer<float> out(ref.size());
  // Both kernels, twice each on the same workspace.
  for (int run = 0; run < 4; ++run) {
    cuda::setGqaKernel(run < 2 ? cuda::GqaKernel::TensorCores
                               : cuda::GqaKernel::CudaCores);
    HELIX_CUDA_OK(out.poison());
    HELIX_RT_OK(cuda::gqaPartialAttention(
        asBf16(dq), dKeys.get(), dValues.get(), dLen.get(), maxLength, batch,
        c.heads, c.kvHeads, d, scale, out.get(), ws.get(), c.maxSplits,
        nullptr, c.peers));
    HELIX_CUDA_OK(cudaDeviceSynchronize());
    std::vector<float> got;
    HELIX_CUDA_OK(out.download(got));
    expectClose(expect, got, 2e-3,
                std::string(run < 2 ? "tensor cores" : "CUDA cores") +
                    ", run " + std::to_string(run % 2));
  }
  cuda::setGqaKernel(cuda::GqaKernel::TensorCores);
}

TEST(GpuAttention, GqaGroupsOfFourOverManySplits) {
  HELIX_REQUIRE_GPU();
  runGqa({8, 2, 128, {1, 37, 3000, 129}, cuda::kMaxAttentionSplits, 1});
}

TEST(GpuAttention, GqaHeadDim64GroupSixteen) {
  HELIX_REQUIRE_GPU();
  runGqa({16, 1, 64, {5000, 17}, 7, 1});
}

TEST(GpuAttention, GqaPaddedGroupAndOneSplit) {
  HELIX_REQUIRE_GPU();
  // Group of 5 runs in the 8-head kernel; a single split per sequence.
  runGqa({10, 2, 128, {700, 31, 1}, 1, 1});
}

TEST(GpuAttention, GqaEmptySlicesGiveZeroAndMinusInf) {
  HELIX_REQUIRE_GPU();
  runGqa({4, 4, 64, {0, 64, 0}, 16, 1});
}

TEST(GpuAttention, GqaWritesTheAllToAllSendLayout) {
  HELIX_REQUIRE_GPU();
  runGqa({16, 2, 128, {300, 2049}, 32, 4});
}

TEST(GpuAttention, OneWorkspaceAcrossBatchSizes) {
  HELIX_REQUIRE_GPU();
  // Uneven micro-batches share one workspace, with no clearing between.
  const GqaCase big{8, 2, 128, {3000, 2000, 1000, 500, 4000, 250},
                    cuda::kMaxAttentionSplits, 1};
  const GqaCase small{8, 2, 128, {3000, 17}, cuda::kMaxAttentionSplits, 1};
  DeviceBuffer<char> ws(cuda::gqaWorkspaceBytes(6, 8, 2, 128,
                                                cuda::kMaxAttentionSplits));
  HELIX_CUDA_OK(ws.poison());
  runGqa(big, &ws);
  runGqa(small, &ws);
  runGqa(big, &ws);
}

TEST(GpuAttention, RejectsBadArguments) {
  // Argument checks run before any device call: no GPU needed.
  EXPECT_EQ(cuda::gqaPartialAttention(nullptr, nullptr, nullptr, nullptr, 0,
                                      1, 8, 3, 128, 1.0f, nullptr, nullptr, 4,
                                      nullptr),
            HELIX_ERROR_INVALID_ARGUMENT);
  float dummy = 0.0f;
  int64_t len = 0;
  EXPECT_EQ(cuda::gqaPartialAttention(nullptr, nullptr, nullptr, &len, 0, 1,
                                      8, 2, 96, 1.0f, &dummy, &dummy, 4,
                                      nullptr),
            HELIX_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(cuda::lastError()).find("headDim"), std::string::npos);
}

} // namespace
