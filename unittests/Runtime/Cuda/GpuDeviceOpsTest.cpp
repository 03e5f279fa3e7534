//===- GpuDeviceOpsTest.cpp - the CUDA device's fp32 glue vs the CPU ------===//
//
// The kernels CudaDevice runs around the big ones (DeviceOps.h) and the fp32
// variants of the merge and RoPE, each against its CPU twin or the host
// rule it must reproduce (the KV slot rule of helix_rt/abi.h, strided copies).
//
//===----------------------------------------------------------------------===//
#include "DeviceOps.h"
#include "GpuTestUtil.h"
#include "helix_rt/kernels.h"
#include "helix_rt/abi.h"
#include "module/StridedCopy.h"

#include <cublas_v2.h>

#include <limits>

using namespace helix_gpu_test;
namespace cuda = helix_rt::cuda;
namespace ops = helix_rt::cuda::ops;
namespace kernels = helix_rt::kernels;

namespace {

TEST(GpuDeviceOps, StridedCopyPacksHeadsLikeTheHost) {
  HELIX_REQUIRE_GPU();
  SEEDED();
  // The all-to-all's packing: [peers, B, per*W] out of [1, B, heads, W].
  const int64_t peers = 4, batch = 3, per = 2, width = 9, heads = peers * per;
  std::vector<float> in = randomVector(size_t(batch * heads * width), gen);
  std::vector<float> ref(in.size(), 0.0f);
  helix_rt::StridedView hs, hd;
  hs.base = reinterpret_cast<char *>(in.data());
  hd.base = reinterpret_cast<char *>(ref.data());
  hs.rank = hd.rank = 3;
  const int64_t sizes[3] = {peers, batch, per * width};
  const int64_t srcStrides[3] = {per * width, heads * width, 1};
  const int64_t dstStrides[3] = {batch * per * width, per * width, 1};
  for (int d = 0; d < 3; ++d) {
    hs.sizes[d] = hd.sizes[d] = sizes[d];
    hs.strides[d] = srcStrides[d];
    hd.strides[d] = dstStrides[d];
  }
  helix_rt::copyStrided(hs, hd);
  DeviceBuffer<float> din(in.size()), dout(in.size());
  HELIX_CUDA_OK(din.upload(in));
  HELIX_CUDA_OK(dout.poison());
  ops::View4 s{din.get(), {}, {}}, d{dout.get(), {}, {}};
  for (int k = 0; k < 3; ++k) {
    s.sizes[k] = d.sizes[k] = sizes[k];
    s.strides[k] = srcStrides[k];
    d.strides[k] = dstStrides[k];
  }
  HELIX_RT_OK(ops::stridedCopy(s, d, 3, 4, nullptr));
  HELIX_CUDA_OK(cudaDeviceSynchronize());
  EXPECT_EQ(download(dout), ref);
}

TEST(GpuDeviceOps, NormAddSumShardsMatchTheCpu) {
  HELIX_REQUIRE_GPU();
  SEEDED();
  const int64_t batch = 5, n = 4096 + 3, shards = 3;
  std::vector<float> x = randomVector(size_t(batch * n), gen, -3, 3);
  std::vector<float> w = randomVector(size_t(n), gen, 0.5f, 1.5f);
  std::vector<float> y = randomVector(size_t(shards * batch * n), gen);
  std::vector<float> norm(x.size()), sum(x.size()), shardSum(x.size());
  kernels::rmsNorm(x.data(), w.data(), batch, n, 1e-6f, norm.data());
  kernels::add(x.data(), y.data(), batch * n, sum.data());
  kernels::sumShards(y.data(), shards, batch, n, shardSum.data());
  DeviceBuffer<float> dx(x.size()), dw(w.size()), dy(y.size()), out(x.size());
  HELIX_CUDA_OK(dx.upload(x));
  HELIX_CUDA_OK(dw.upload(w));
  HELIX_CUDA_OK(dy.upload(y));
  HELIX_CUDA_OK(out.poison());
  HELIX_RT_OK(
      ops::rmsNormF32(dx.get(), dw.get(), batch, n, 1e-6f, out.get(), nullptr));
  HELIX_CUDA_OK(cudaDeviceSynchronize());
  expectClose(norm, download(out), 1e-5, "rmsNormF32");
  HELIX_CUDA_OK(out.poison());
  HELIX_RT_OK(ops::addF32(dx.get(), dy.get(), batch * n, out.get(), nullptr));
  HELIX_CUDA_OK(cudaDeviceSynchronize());
  expectClose(sum, download(out), 1e-6, "addF32");
  HELIX_CUDA_OK(out.poison());
  HELIX_RT_OK(ops::sumShards(dy.get(), shards, batch, n, out.get(), nullptr));
  HELIX_CUDA_OK(cudaDeviceSynchronize());
  expectClose(shardSum, download(out), 1e-6, "sumShards");
}

TEST(GpuDeviceOps, ArgmaxTakesTheLowestIndexOfTies) {
  HELIX_REQUIRE_GPU();
  SEEDED();
  const int64_t batch = 4, vocab = 50000;
  std::vector<float> logits = randomVector(size_t(batch * vocab), gen);
  logits[1 * vocab + 777] = logits[1 * vocab + 30000] = 9.0f; // a tie
  for (int64_t i = 0; i < vocab; ++i) // a row with nothing above -inf
    logits[2 * vocab + i] = -std::numeric_limits<float>::infinity();
  logits[3 * vocab + vocab - 1] = 5.0f; // the last column
  std::vector<int64_t> ref(batch);
  kernels::argmax(logits.data(), batch, vocab, ref.data());
  DeviceBuffer<float> dl(logits.size());
  DeviceBuffer<int64_t> out{size_t(batch)};
  HELIX_CUDA_OK(dl.upload(logits));
  HELIX_CUDA_OK(out.poison());
  HELIX_RT_OK(ops::argmax(dl.get(), batch, vocab, out.get(), nullptr));
  HELIX_CUDA_OK(cudaDeviceSynchronize());
  EXPECT_EQ(download(out), ref);
  EXPECT_EQ(ref[1], 777);
}

TEST(GpuDeviceOps, MergeAndRopeInFp32) {
  HELIX_REQUIRE_GPU();
  SEEDED();
  const int64_t shards = 3, batch = 2, heads = 4, width = 64;
  std::vector<float> in =
      randomVector(size_t(shards * batch * heads * (width + 1)), gen);
  for (int64_t bh = 0; bh < batch * heads; ++bh) // shard 1 holds no tokens
    in[size_t((1 * batch * heads + bh) * (width + 1) + width)] =
        -std::numeric_limits<float>::infinity();
  std::vector<float> merged(size_t(batch * heads * width));
  kernels::lseMerge(in.data(), shards, batch, heads, width, merged.data());
  DeviceBuffer<float> din(in.size()), dout(merged.size());
  HELIX_CUDA_OK(din.upload(in));
  HELIX_CUDA_OK(dout.poison());
  HELIX_RT_OK(cuda::lseMerge(din.get(), shards, batch, heads, width, dout.get(),
                             heads * width, nullptr));
  HELIX_CUDA_OK(cudaDeviceSynchronize());
  expectClose(merged, download(dout), 1e-5, "lseMerge fp32");

  kernels::RopeParams params;
  params.theta = 10000.0;
  const int64_t headDim = 64, rotary = 64;
  std::vector<float> q = randomVector(size_t(batch * heads * headDim), gen);
  std::vector<int64_t> pos = {3, 100000};
  std::vector<float> ref(q.size());
  kernels::rope(q.data(), pos.data(), batch, heads, headDim, rotary, params,
                ref.data());
  cuda::RopeTable table;
  HELIX_RT_OK(cuda::ropeTableCreate(params, rotary, &table));
  DeviceBuffer<float> dq(q.size()), dr(q.size());
  DeviceBuffer<int64_t> dp(pos.size());
  HELIX_CUDA_OK(dq.upload(q));
  HELIX_CUDA_OK(dp.upload(pos));
  HELIX_CUDA_OK(dr.poison());
  HELIX_RT_OK(cuda::rope(dq.get(), dp.get(), batch, heads, headDim, table,
                         dr.get(), nullptr));
  HELIX_CUDA_OK(cudaDeviceSynchronize());
  cuda::ropeTableDestroy(&table);
  expectClose(ref, download(dr), 1e-5, "rope fp32");
}

TEST(GpuDeviceOps, AppendAndViewsFollowTheSlotRule) {
  HELIX_REQUIRE_GPU();
  SEEDED();
  // Two layers, three rows, KVP rank 1 of 2 with blocks of 2 tokens.
  const int64_t layers = 2, rows = 3, slots = 6, kw = 8, vw = 8;
  const int64_t block = 2, shards = 2, rank = 1, layer = 1, rowOffset = 1;
  DeviceBuffer<uint16_t> cache(size_t(layers * rows * slots * (kw + vw)));
  HELIX_CUDA_OK(cache.zero());
  ops::CacheLayout layout{asBf16(cache), rows, slots, slots * (kw + vw),
                          slots * kw,    kw,   block, shards};
  std::vector<int64_t> pos = {2, 7}, owner(2);
  for (size_t s = 0; s < pos.size(); ++s)
    owner[s] = (pos[s] / block) % shards;
  std::vector<float> k = randomVector(size_t(2 * kw), gen);
  std::vector<float> v = randomVector(size_t(2 * vw), gen);
  roundToBf16(k);
  roundToBf16(v);
  DeviceBuffer<float> dk(k.size()), dv(v.size());
  DeviceBuffer<int64_t> dp(pos.size()), downer(owner.size()), len(2);
  DeviceBuffer<const bf16 *> first(2), second(2);
  HELIX_CUDA_OK(dk.upload(k));
  HELIX_CUDA_OK(dv.upload(v));
  HELIX_CUDA_OK(dp.upload(pos));
  HELIX_CUDA_OK(downer.upload(owner));
  HELIX_RT_OK(ops::append(layout, layer, dk.get(), kw, dv.get(), vw, dp.get(),
                          downer.get(), 2, rank, rowOffset, nullptr, nullptr));
  HELIX_RT_OK(ops::sequenceViews(layout, layer, dp.get(), 2, rank, rowOffset,
                                 nullptr, first.get(), second.get(), len.get(),
                                 nullptr));
  HELIX_CUDA_OK(cudaDeviceSynchronize());
  std::vector<float> got = downloadBf16(cache);
  std::vector<float> want(got.size(), 0.0f);
  for (int64_t s = 0; s < 2; ++s) {
    if (owner[s] != rank)
      continue; // (both are rank 1's: blocks 1 and 3)
    int64_t slot = helix_rt::abi::kvSlot(pos[s], block, shards);
    int64_t base = (layer * rows + rowOffset + s) * slots * (kw + vw);
    for (int64_t c = 0; c < kw; ++c)
      want[size_t(base + slot * kw + c)] = k[size_t(s * kw + c)];
    for (int64_t c = 0; c < vw; ++c)
      want[size_t(base + slots * kw + slot * vw + c)] = v[size_t(s * vw + c)];
  }
  EXPECT_EQ(got, want);
  std::vector<int64_t> lengths = download(len);
  std::vector<const bf16 *> firsts = download(first),
                            seconds = download(second);
  for (int64_t s = 0; s < 2; ++s) {
    EXPECT_EQ(lengths[s], helix_rt::abi::kvLength(pos[s] + 1, block, shards, rank));
    const bf16 *row =
        asBf16(cache) + (layer * rows + rowOffset + s) * slots * (kw + vw);
    EXPECT_EQ(firsts[s], row);
    EXPECT_EQ(seconds[s], row + slots * kw);
  }
}

TEST(GpuDeviceOps, ChunkRowsShareTheirSequencesCache) {
  HELIX_REQUIRE_GPU();
  SEEDED();
  // A prefill step: rows 0-2 are positions 0-2 of sequence 1, row 3 is
  // position 0 of sequence 0; unsharded, one layer, blocks of 2 tokens.
  const int64_t rows = 2, slots = 4, kw = 4, vw = 4, block = 2, shards = 1;
  DeviceBuffer<uint16_t> cache(size_t(rows * slots * (kw + vw)));
  HELIX_CUDA_OK(cache.zero());
  ops::CacheLayout layout{asBf16(cache), rows, slots, slots * (kw + vw),
                          slots * kw,    kw,   block, shards};
  const std::vector<int64_t> pos = {0, 1, 2, 0}, seq = {1, 1, 1, 0};
  const int64_t batch = 4;
  std::vector<float> k = randomVector(size_t(batch * kw), gen);
  std::vector<float> v = randomVector(size_t(batch * vw), gen);
  roundToBf16(k);
  roundToBf16(v);
  DeviceBuffer<float> dk(k.size()), dv(v.size());
  DeviceBuffer<int64_t> dp(pos.size()), dseq(seq.size()), len(static_cast<size_t>(batch));
  DeviceBuffer<const bf16 *> first(static_cast<size_t>(batch)),
      second(static_cast<size_t>(batch));
  HELIX_CUDA_OK(dk.upload(k));
  HELIX_CUDA_OK(dv.upload(v));
  HELIX_CUDA_OK(dp.upload(pos));
  HELIX_CUDA_OK(dseq.upload(seq));
  // Two calls, as two HOP-B micro-batches of the step (rowOffset 0 and 2):
  // the map is indexed by the step row.
  for (int64_t offset : {0, 2}) {
    HELIX_RT_OK(ops::append(layout, 0, dk.get() + offset * kw, kw,
                            dv.get() + offset * vw, vw, dp.get() + offset,
                            nullptr, 2, -1, offset, dseq.get(), nullptr));
    HELIX_RT_OK(ops::sequenceViews(layout, 0, dp.get() + offset, 2, -1, offset,
                                   dseq.get(), first.get() + offset,
                                   second.get() + offset, len.get() + offset,
                                   nullptr));
  }
  HELIX_CUDA_OK(cudaDeviceSynchronize());
  std::vector<float> got = downloadBf16(cache);
  std::vector<float> want(got.size(), 0.0f);
  for (int64_t r = 0; r < batch; ++r) {
    int64_t base = seq[r] * slots * (kw + vw);
    for (int64_t c = 0; c < kw; ++c)
      want[size_t(base + pos[r] * kw + c)] = k[size_t(r * kw + c)];
    for (int64_t c = 0; c < vw; ++c)
      want[size_t(base + slots * kw + pos[r] * vw + c)] = v[size_t(r * vw + c)];
  }
  EXPECT_EQ(got, want);
  std::vector<int64_t> lengths = download(len);
  std::vector<const bf16 *> firsts = download(first);
  for (int64_t r = 0; r < batch; ++r) {
    EXPECT_EQ(lengths[size_t(r)], pos[r] + 1) << "row " << r;
    EXPECT_EQ(firsts[size_t(r)], asBf16(cache) + seq[r] * slots * (kw + vw))
        << "row " << r;
  }
}

TEST(GpuDeviceOps, ExpertWeightsAndValueProjection) {
  HELIX_REQUIRE_GPU();
  SEEDED();
  // Routing weights per local expert, then out += w * x.
  const int64_t batch = 3, topK = 2, first = 4, experts = 3, n = 5;
  std::vector<int64_t> ids = {4, 9, 6, 4, 1, 2};
  std::vector<float> weights = {0.25f, 0.75f, 0.5f, 0.5f, 0.9f, 0.1f};
  DeviceBuffer<int64_t> dids(ids.size());
  DeviceBuffer<float> dw(weights.size()), rw(size_t(experts * batch));
  HELIX_CUDA_OK(dids.upload(ids));
  HELIX_CUDA_OK(dw.upload(weights));
  HELIX_CUDA_OK(rw.poison());
  HELIX_RT_OK(ops::expertRowWeights(dids.get(), dw.get(), batch, topK, first,
                                    experts, rw.get(), nullptr));
  HELIX_CUDA_OK(cudaDeviceSynchronize());
  // expert 4: row 0 (0.25), row 1 (0.5); expert 5: none; expert 6: row 1.
  std::vector<float> want = {0.25f, 0.5f, 0, 0, 0, 0, 0, 0.5f, 0};
  EXPECT_EQ(download(rw), want);
  std::vector<float> x = randomVector(size_t(batch * n), gen),
                     out(x.size(), 1.0f);
  DeviceBuffer<float> dx(x.size()), dout(out.size());
  HELIX_CUDA_OK(dx.upload(x));
  HELIX_CUDA_OK(dout.upload(out));
  HELIX_RT_OK(ops::axpyRows(rw.get(), dx.get(), batch, n, dout.get(), nullptr));
  HELIX_CUDA_OK(cudaDeviceSynchronize());
  for (int64_t i = 0; i < batch * n; ++i)
    out[size_t(i)] += want[size_t(i / n)] * x[size_t(i)];
  expectClose(out, download(dout), 1e-6, "axpyRows");

  // W_UV per head out of kv_b_proj's rows, as kernels::mlaValueProjection.
  const int64_t heads = 4, nope = 16, vDim = 32, rank = 64, b2 = 3;
  std::vector<float> in = randomVector(size_t(b2 * heads * rank), gen);
  std::vector<float> kvB =
      randomVector(size_t(heads * (nope + vDim) * rank), gen);
  roundToBf16(in);
  roundToBf16(kvB);
  std::vector<float> ref(size_t(b2 * heads * vDim));
  kernels::mlaValueProjection(in.data(), kvB.data(), b2, heads, nope, vDim,
                              rank, ref.data());
  DeviceBuffer<uint16_t> din, dkv;
  uploadBf16(din, in);
  uploadBf16(dkv, kvB);
  DeviceBuffer<float> dv(ref.size());
  HELIX_CUDA_OK(dv.poison());
  cublasHandle_t handle = nullptr;
  ASSERT_EQ(cublasCreate(&handle), CUBLAS_STATUS_SUCCESS);
  HELIX_RT_OK(ops::mlaValueProjection(handle, asBf16(din), asBf16(dkv), b2,
                                      heads, nope, vDim, rank, dv.get(),
                                      nullptr));
  HELIX_CUDA_OK(cudaDeviceSynchronize());
  cublasDestroy(handle);
  expectClose(ref, download(dv), 1e-4, "mlaValueProjection");
}

TEST(GpuDeviceOps, Fp32RouterGemmMatchesTheCpu) {
  HELIX_REQUIRE_GPU();
  SEEDED();
  // The router's logits in fp32 from a bf16-valued gate, as the CPU does.
  const int64_t batch = 5, hidden = 7168, experts = 64;
  std::vector<float> x = randomVector(size_t(batch * hidden), gen);
  std::vector<float> w = randomVector(size_t(experts * hidden), gen);
  roundToBf16(w);
  std::vector<float> ref(size_t(batch * experts));
  kernels::linear(x.data(), w.data(), batch, hidden, experts, ref.data());
  DeviceBuffer<uint16_t> w16;
  uploadBf16(w16, w);
  DeviceBuffer<float> w32(w.size()), dx(x.size()), out(ref.size());
  HELIX_CUDA_OK(dx.upload(x));
  HELIX_CUDA_OK(out.poison());
  HELIX_RT_OK(ops::toF32(asBf16(w16), int64_t(w.size()), w32.get(), nullptr));
  cublasHandle_t handle = nullptr;
  ASSERT_EQ(cublasCreate(&handle), CUBLAS_STATUS_SUCCESS);
  // Plain fp32 (no TF32): the default math mode of a fresh handle.
  HELIX_RT_OK(ops::linearF32(handle, dx.get(), w32.get(), batch, hidden,
                             experts, out.get(), nullptr));
  HELIX_CUDA_OK(cudaDeviceSynchronize());
  cublasDestroy(handle);
  EXPECT_EQ(download(w32), w); // bf16 -> fp32 is exact
  expectClose(ref, download(out), 1e-5, "linearF32");
}

TEST(GpuDeviceOps, EmbedAndConversions) {
  HELIX_REQUIRE_GPU();
  SEEDED();
  const int64_t vocab = 100, hidden = 24;
  std::vector<float> table = randomVector(size_t(vocab * hidden), gen);
  roundToBf16(table);
  std::vector<int64_t> tokens = {0, 99, 42}, owner(3);
  DeviceBuffer<uint16_t> dt;
  uploadBf16(dt, table);
  DeviceBuffer<int64_t> dtok(tokens.size()), down(tokens.size());
  DeviceBuffer<float> out(size_t(3 * hidden));
  HELIX_CUDA_OK(dtok.upload(tokens));
  HELIX_CUDA_OK(out.poison());
  HELIX_RT_OK(
      ops::embed(asBf16(dt), dtok.get(), 3, hidden, out.get(), nullptr));
  HELIX_RT_OK(ops::kvOwner(dtok.get(), 3, 16, 4, down.get(), nullptr));
  DeviceBuffer<uint16_t> back(size_t(3 * hidden));
  HELIX_RT_OK(ops::toBf16(out.get(), 3 * hidden, asBf16(back), nullptr));
  HELIX_CUDA_OK(cudaDeviceSynchronize());
  std::vector<float> ref(size_t(3 * hidden));
  kernels::embed(table.data(), hidden, tokens.data(), 3, ref.data());
  EXPECT_EQ(download(out), ref);
  EXPECT_EQ(downloadBf16(back), ref); // bf16 values survive the round trip
  for (size_t i = 0; i < tokens.size(); ++i)
    owner[i] = (tokens[i] / 16) % 4;
  EXPECT_EQ(download(down), owner);
}

} // namespace
