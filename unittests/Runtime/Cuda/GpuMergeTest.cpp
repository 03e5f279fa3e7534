//===- GpuMergeTest.cpp - CUDA fused LSE merge vs the CPU twin ------------===//
#include "GpuTestUtil.h"
#include "helix_rt/kernels.h"

#include <cmath>
#include <limits>
#include <vector>

using namespace helix_gpu_test;
namespace cuda = helix_rt::cuda;
namespace kernels = helix_rt::kernels;

namespace {

TEST(GpuMerge, MatchesCpuMergeWithEmptyShardsIntoStridedBf16) {
  HELIX_REQUIRE_GPU();
  uint32_t seed;
  std::mt19937 gen = freshGenerator(&seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  const int64_t shards = 5, batch = 3, heads = 4, width = 96;
  std::vector<float> in =
      randomVector(size_t(shards * batch * heads * (width + 1)), gen);
  const float inf = std::numeric_limits<float>::infinity();
  for (int64_t s = 0; s < shards; ++s)
    for (int64_t bh = 0; bh < batch * heads; ++bh) {
      float &lse = in[size_t((s * batch * heads + bh) * (width + 1) + width)];
      lse = 3.0f * lse + 5.0f;
      if ((s + bh) % 3 == 0)
        lse = -inf; // shard has no tokens for this row
      if (bh == 1)
        lse = -inf; // a row that no shard has
    }
  std::vector<float> ref(size_t(batch * heads * width));
  kernels::lseMerge(in.data(), shards, batch, heads, width, ref.data());

  const int64_t ldOut = heads * width + 40; // a padded GEMM operand
  DeviceBuffer<float> dIn(in.size());
  HELIX_CUDA_OK(dIn.upload(in));
  DeviceBuffer<uint16_t> out(size_t(batch * ldOut));
  HELIX_CUDA_OK(out.poison());
  HELIX_RT_OK(cuda::lseMerge(dIn.get(), shards, batch, heads, width,
                             asBf16(out), ldOut, nullptr));
  HELIX_CUDA_OK(cudaDeviceSynchronize());
  std::vector<float> all = downloadBf16(out), got;
  for (int64_t b = 0; b < batch; ++b) {
    got.insert(got.end(), all.begin() + b * ldOut,
               all.begin() + b * ldOut + heads * width);
    // The padding past heads * width is not the kernel's to write.
    for (int64_t i = heads * width; i < ldOut; ++i)
      EXPECT_TRUE(std::isnan(all[size_t(b * ldOut + i)])) << "wrote padding";
  }
  expectClose(ref, got, kBf16Tol, "merge");
}

TEST(GpuMerge, SplitAttentionThenMergeEqualsFullAttention) {
  HELIX_REQUIRE_GPU();
  uint32_t seed;
  std::mt19937 gen = freshGenerator(&seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  // One sequence's KV split over 4 KVP shards (shard 3 empty), partial
  // attention per shard on the GPU, merged on the GPU = CPU attention over
  // all tokens.
  const int64_t heads = 8, kvHeads = 2, d = 128, batch = 1;
  const std::vector<int64_t> shardLen = {700, 1200, 33, 0};
  int64_t total = 0;
  for (int64_t n : shardLen)
    total += n;
  const float scale = 1.0f / std::sqrt(float(d));
  std::vector<float> q = randomVector(size_t(heads * d), gen);
  std::vector<float> k = randomVector(size_t(total * kvHeads * d), gen, -2, 2);
  std::vector<float> v = randomVector(size_t(total * kvHeads * d), gen);
  roundToBf16(q);
  roundToBf16(k);
  roundToBf16(v);
  std::vector<float> full(size_t(heads * (d + 1)));
  const float *kp = k.data(), *vp = v.data();
  kernels::gqaPartialAttention(q.data(), &kp, &vp, &total, 1, heads, kvHeads,
                               d, scale, full.data());
  std::vector<float> ref;
  for (int64_t h = 0; h < heads; ++h)
    ref.insert(ref.end(), full.begin() + h * (d + 1),
               full.begin() + h * (d + 1) + d);

  DeviceBuffer<uint16_t> dq, dk, dv;
  uploadBf16(dq, q);
  uploadBf16(dk, k);
  uploadBf16(dv, v);
  const int64_t shards = int64_t(shardLen.size());
  DeviceBuffer<float> partials(size_t(shards * heads * (d + 1)));
  HELIX_CUDA_OK(partials.poison());
  DeviceBuffer<char> ws(cuda::gqaWorkspaceBytes(batch, heads, kvHeads, d, 16));
  HELIX_CUDA_OK(ws.zero());
  int64_t offset = 0;
  for (int64_t s = 0; s < shards; ++s) {
    // bf16 is opaque on the host: offset the raw 16-bit storage.
    const bf16 *kPtr =
        reinterpret_cast<const bf16 *>(dk.get() + offset * kvHeads * d);
    const bf16 *vPtr =
        reinterpret_cast<const bf16 *>(dv.get() + offset * kvHeads * d);
    DeviceBuffer<const bf16 *> keys(1), values(1);
    HELIX_CUDA_OK(keys.upload({kPtr}));
    HELIX_CUDA_OK(values.upload({vPtr}));
    DeviceBuffer<int64_t> len(1);
    HELIX_CUDA_OK(len.upload({shardLen[size_t(s)]}));
    HELIX_RT_OK(cuda::gqaPartialAttention(
        asBf16(dq), keys.get(), values.get(), len.get(), shardLen[size_t(s)],
        batch, heads, kvHeads, d, scale, partials.get() + s * heads * (d + 1),
        ws.get(), 16, nullptr));
    HELIX_CUDA_OK(cudaDeviceSynchronize());
    offset += shardLen[size_t(s)];
  }
  DeviceBuffer<uint16_t> out(size_t(heads * d));
  HELIX_CUDA_OK(out.poison());
  HELIX_RT_OK(cuda::lseMerge(partials.get(), shards, batch, heads, d,
                             asBf16(out), heads * d, nullptr));
  HELIX_CUDA_OK(cudaDeviceSynchronize());
  expectClose(ref, downloadBf16(out), kBf16Tol, "split + merge");
}

} // namespace
