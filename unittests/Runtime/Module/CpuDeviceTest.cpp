//===- CpuDeviceTest.cpp - a rank without a device gets the CPU one -------===//
//
// The entry points the compiled step calls forward to the rank's device; on
// a rank created without one that is the CpuDevice, which must give exactly
// the CPU kernels' numbers, keep the weights on the host, own the KV cache
// and report errors in the rank context.
//
//===----------------------------------------------------------------------===//
#include "../../../runtime/src/module/Device.h"
#include "../../../runtime/src/module/RankContext.h"
#include "../Safetensors/SafetensorsTestUtil.h"
#include "helix_rt/abi.h"
#include "helix_rt/kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <numeric>

using namespace helix_rt;
namespace t = helix::rt::test;
namespace k = helix_rt::kernels;

extern "C" {
void _mlir_ciface_helix_rt_alloc(MemRef<int8_t, 1> *, int64_t, int64_t);
void _mlir_ciface_helix_rt_free(int64_t, MemRef<int8_t, 1> *);
void _mlir_ciface_helix_rt_copy_f32_2d(int64_t, F32x2 *, F32x2 *);
void _mlir_ciface_helix_rt_linear(int64_t, int64_t, F32x2 *, F32x2 *);
void _mlir_ciface_helix_rt_logits(int64_t, int64_t, F32x2 *, F32x2 *, int64_t);
void _mlir_ciface_helix_rt_rms_norm(int64_t, int64_t, float, F32x2 *, F32x2 *);
void _mlir_ciface_helix_rt_lse_merge(int64_t, F32x4 *, F32x2 *);
void _mlir_ciface_helix_rt_sum_shards(int64_t, F32x3 *, F32x2 *);
void _mlir_ciface_helix_rt_argmax(int64_t, F32x2 *, I64x1 *);
void _mlir_ciface_helix_rt_kv_owner(int64_t, int64_t, int64_t, I64x1 *,
                                    I64x1 *);
void _mlir_ciface_helix_rt_kv_append(int64_t, int64_t, F32x2 *, F32x2 *,
                                     I64x1 *, I64x1 *, int64_t, int64_t);
void _mlir_ciface_helix_rt_gqa_attention(int64_t, int64_t, F32x2 *, I64x1 *,
                                         int64_t, int64_t, float, F32x2 *);
}

namespace {

// Two layers of a KV cache with one head of 2 channels; "w" [3, 6] and the
// norm weight "n" [6].
const char *kManifest = R"({
  "abi_version": 4, "target": "cpu",
  "model": {"architecture": "LlamaForCausalLM", "num_layers": 2,
            "hidden_size": 6, "vocab_size": 4, "weight_dtype": "f32"},
  "layout": {"kvp": 1, "tpa": 1, "tpf": 1, "ep": 1, "microbatches": 1, "kv_block": 1},
  "grids": {"helix_attention": [1, 1], "helix_ffn": [1, 1]},
  "cache": {"kind": "kv", "layers": 2, "kv_heads": 1, "head_dim": 2,
            "token_shards": 1, "block": 1},
  "weights": [{"name": "w", "shape": [3, 6], "slice": null, "owners": null},
              {"name": "n", "shape": [6], "slice": null, "owners": null}],
  "ropes": [], "groups": [], "moe": [],
  "scratch": {"bytes_per_row": 0, "bytes": 0}
})";

template <int Rank>
MemRef<float, Rank> dense(std::vector<float> &data,
                          const int64_t (&sizes)[Rank]) {
  MemRef<float, Rank> m{data.data(), data.data(), 0, {}, {}};
  int64_t stride = 1;
  for (int d = Rank - 1; d >= 0; --d) {
    m.sizes[d] = sizes[d];
    m.strides[d] = stride;
    stride *= sizes[d];
  }
  return m;
}

I64x1 ids(std::vector<int64_t> &data) {
  return {
      data.data(), data.data(), 0, {static_cast<int64_t>(data.size())}, {1}};
}

/// Deterministic, varied values (no two equal).
std::vector<float> values(size_t n, float scale) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = scale * std::sin(1.0f + 0.7f * static_cast<float>(i));
  return v;
}

class CpuRank : public ::testing::Test {
protected:
  void SetUp() override {
    weight = values(18, 1.0f);
    norm = values(6, 2.0f);
    t::writeBytes(dir.file("model.safetensors"),
                  t::safetensorsFile({{"w", "F32", {3, 6}, t::f32Bytes(weight)},
                                      {"n", "F32", {6}, t::f32Bytes(norm)}}));
    char message[256];
    ASSERT_EQ(helix_checkpoint_open(dir.path().c_str(), &checkpoint, message,
                                    sizeof message),
              HELIX_OK)
        << message;
    std::string error;
    ASSERT_TRUE(parseManifest(kManifest, manifest, error)) << error;
    ASSERT_EQ(helix_comm_threads_create(1, 10000, &world), HELIX_OK);
    ASSERT_TRUE(rank.init(manifest, checkpoint, world, /*maxBatch=*/3,
                          /*maxContext=*/7, /*device=*/nullptr, error))
        << error;
    ctx = reinterpret_cast<int64_t>(&rank);
  }
  void TearDown() override {
    helix_comm_destroy(world);
    helix_checkpoint_close(checkpoint);
  }

  t::TempDir dir;
  std::vector<float> weight, norm;
  helix_checkpoint *checkpoint = nullptr;
  Manifest manifest;
  helix_comm *world = nullptr;
  RankContext rank;
  int64_t ctx = 0;
};

TEST_F(CpuRank, HasTheCpuDeviceAndKeepsTheWeightsOnTheHost) {
  ASSERT_NE(rank.device(), nullptr);
  EXPECT_STREQ(rank.device()->name(), "cpu");
  EXPECT_EQ(rank.weight(0).data, weight);
  EXPECT_EQ(rank.weightBytes(), (18 + 6) * 4);
  // 2 layers x 3 rows x 7 slots x (key + value of 2 channels) floats.
  EXPECT_EQ(rank.cacheBytes(), 2 * 3 * 7 * 4 * 4);
}

TEST_F(CpuRank, TheLmHeadComputesOnlyTheWantedRows) {
  // A step of 5 rows of which 1 and 4 want logits; this call is the HOP-B
  // chain of step rows 2..4 (row offset 2), so only its row 2 (step row 4)
  // is computed, the others are zero.
  std::vector<float> x = values(3 * 6, 2.0f), got(9, 7.0f), want(9);
  F32x2 in = dense<2>(x, {3, 6}), out = dense<2>(got, {3, 3});
  rank.setStepLogitRows({0, 1, 0, 0, 1});
  _mlir_ciface_helix_rt_logits(ctx, 0, &in, &out, /*rowOffset=*/2);
  k::linear(x.data(), weight.data(), 3, 6, 3, want.data());
  for (int64_t r = 0; r < 3; ++r)
    for (int64_t j = 0; j < 3; ++j)
      EXPECT_EQ(got[r * 3 + j], r == 2 ? want[r * 3 + j] : 0.0f)
          << "row " << r << " col " << j;
  // Every row wanted (no map): the plain projection.
  rank.setStepLogitRows({});
  _mlir_ciface_helix_rt_logits(ctx, 0, &in, &out, 0);
  EXPECT_EQ(got, want);
  EXPECT_FALSE(rank.failed()) << rank.error();
}

TEST_F(CpuRank, GlueEntriesGiveTheKernelsNumbers) {
  std::vector<float> x = values(2 * 6, 3.0f), got(12), want(12);
  F32x2 in = dense<2>(x, {2, 6}), out = dense<2>(got, {2, 6});
  _mlir_ciface_helix_rt_rms_norm(ctx, 1, 1e-5f, &in, &out);
  k::rmsNorm(x.data(), norm.data(), 2, 6, 1e-5f, want.data());
  EXPECT_EQ(got, want);

  std::vector<float> y(2 * 3), yWant(6);
  F32x2 projected = dense<2>(y, {2, 3});
  _mlir_ciface_helix_rt_linear(ctx, 0, &in, &projected);
  k::linear(x.data(), weight.data(), 2, 6, 3, yWant.data());
  EXPECT_EQ(y, yWant);

  // [K=3, B=2, heads=2, W+1=3] with one shard empty (LSE -inf).
  std::vector<float> parts = values(3 * 2 * 2 * 3, 1.5f);
  for (int64_t h = 0; h < 4; ++h)
    parts[(1 * 4 + h) * 3 + 2] = -INFINITY;
  std::vector<float> merged(2 * 4), mergedWant(8);
  F32x4 partial = dense<4>(parts, {3, 2, 2, 3});
  F32x2 mergedOut = dense<2>(merged, {2, 4});
  _mlir_ciface_helix_rt_lse_merge(ctx, &partial, &mergedOut);
  k::lseMerge(parts.data(), 3, 2, 2, 2, mergedWant.data());
  EXPECT_EQ(merged, mergedWant);

  std::vector<float> sums(2 * 6), sumsWant(12);
  std::vector<float> shards = values(3 * 12, 1.0f);
  F32x3 stacked = dense<3>(shards, {3, 2, 6});
  F32x2 summed = dense<2>(sums, {2, 6});
  _mlir_ciface_helix_rt_sum_shards(ctx, &stacked, &summed);
  k::sumShards(shards.data(), 3, 2, 6, sumsWant.data());
  EXPECT_EQ(sums, sumsWant);

  std::vector<int64_t> best(2), bestWant(2);
  I64x1 bestOut = ids(best);
  _mlir_ciface_helix_rt_argmax(ctx, &in, &bestOut);
  k::argmax(x.data(), 2, 6, bestWant.data());
  EXPECT_EQ(best, bestWant);

  std::vector<int64_t> positions = {0, 3, 4, 9}, owner(4);
  I64x1 positionView = ids(positions), ownerView = ids(owner);
  _mlir_ciface_helix_rt_kv_owner(ctx, 2, 3, &positionView, &ownerView);
  for (size_t i = 0; i < positions.size(); ++i)
    EXPECT_EQ(owner[i], helix_rt::abi::kvOwner(positions[i], 2, 3)) << i;
  EXPECT_FALSE(rank.failed()) << rank.error();
}

TEST_F(CpuRank, AttentionReadsWhatWasAppended) {
  // One token per sequence at position 0: attention over it returns its
  // value, whatever the query.
  std::vector<float> key = {1, 2, 3, 4}, value = {5, 6, 7, 8}, q = {9, 1, 2, 3};
  std::vector<int64_t> positions = {0, 0};
  F32x2 keys = dense<2>(key, {2, 2}), vals = dense<2>(value, {2, 2});
  F32x2 query = dense<2>(q, {2, 2});
  I64x1 at = ids(positions);
  _mlir_ciface_helix_rt_kv_append(ctx, 1, &keys, &vals, &at, &at, -1, 0);
  std::vector<float> got(4, -1.0f);
  F32x2 out = dense<2>(got, {2, 2});
  _mlir_ciface_helix_rt_gqa_attention(ctx, 1, &query, &at, 0, 1, 0.5f, &out);
  ASSERT_FALSE(rank.failed()) << rank.error();
  EXPECT_EQ(got, value);
}

TEST_F(CpuRank, ABf16CacheHoldsHalfTheBytesAndRoundsAppends) {
  helix_comm *world16 = nullptr;
  ASSERT_EQ(helix_comm_threads_create(1, 10000, &world16), HELIX_OK);
  RankContext rank16;
  rank16.setKvDtype(HELIX_KV_DTYPE_BF16);
  std::string error;
  ASSERT_TRUE(rank16.init(manifest, checkpoint, world16, 3, 7, nullptr, error))
      << error;
  EXPECT_EQ(rank.cacheDtype(), HELIX_DTYPE_F32);
  EXPECT_EQ(rank16.cacheDtype(), HELIX_DTYPE_BF16);
  EXPECT_EQ(2 * rank16.cacheBytes(), rank.cacheBytes());
  // 1 + 2^-8 is a tie between bf16 neighbours: it rounds to the even 1;
  // 5.3 to the nearest bf16, 5.3125. One token: attention returns it.
  std::vector<float> key = {1, 2, 3, 4}, value = {1.00390625f, 6, 7, 5.3f};
  std::vector<float> q = {9, 1, 2, 3};
  std::vector<int64_t> positions = {0, 0};
  F32x2 keys = dense<2>(key, {2, 2}), vals = dense<2>(value, {2, 2});
  F32x2 query = dense<2>(q, {2, 2});
  I64x1 at = ids(positions);
  int64_t ctx16 = reinterpret_cast<int64_t>(&rank16);
  _mlir_ciface_helix_rt_kv_append(ctx16, 1, &keys, &vals, &at, &at, -1, 0);
  std::vector<float> got(4, -1.0f);
  F32x2 out = dense<2>(got, {2, 2});
  _mlir_ciface_helix_rt_gqa_attention(ctx16, 1, &query, &at, 0, 1, 0.5f, &out);
  ASSERT_FALSE(rank16.failed()) << rank16.error();
  EXPECT_EQ(got, (std::vector<float>{1.0f, 6, 7, 5.3125f}));
  helix_comm_destroy(world16);
}

TEST_F(CpuRank, AChunkOfRowsEqualsItsTokensOneByOne) {
  // Three tokens of sequence 1 as one step's rows (chunked prefill): each
  // row attends to the chunk's earlier rows. The same tokens one step at a
  // time into sequence 0 must give the same outputs.
  std::vector<float> key = values(6, 1.0f), value = values(6, 3.0f);
  std::vector<float> q = values(6, 0.5f);
  std::vector<int64_t> positions = {0, 1, 2};
  F32x2 keys = dense<2>(key, {3, 2}), vals = dense<2>(value, {3, 2});
  F32x2 query = dense<2>(q, {3, 2});
  I64x1 at = ids(positions);
  std::vector<float> chunk(6, -1.0f);
  F32x2 chunkOut = dense<2>(chunk, {3, 2});
  rank.setStepSequences({1, 1, 1});
  _mlir_ciface_helix_rt_kv_append(ctx, 0, &keys, &vals, &at, &at, -1, 0);
  _mlir_ciface_helix_rt_gqa_attention(ctx, 0, &query, &at, 0, 1, 0.5f,
                                      &chunkOut);
  ASSERT_FALSE(rank.failed()) << rank.error();

  rank.setStepSequences({});
  for (int64_t t = 0; t < 3; ++t) {
    std::vector<float> k1(key.begin() + 2 * t, key.begin() + 2 * t + 2);
    std::vector<float> v1(value.begin() + 2 * t, value.begin() + 2 * t + 2);
    std::vector<float> q1(q.begin() + 2 * t, q.begin() + 2 * t + 2);
    std::vector<int64_t> p1 = {t};
    std::vector<float> got(2, -1.0f);
    F32x2 k1m = dense<2>(k1, {1, 2}), v1m = dense<2>(v1, {1, 2});
    F32x2 q1m = dense<2>(q1, {1, 2}), out = dense<2>(got, {1, 2});
    I64x1 pos = ids(p1);
    _mlir_ciface_helix_rt_kv_append(ctx, 0, &k1m, &v1m, &pos, &pos, -1, 0);
    _mlir_ciface_helix_rt_gqa_attention(ctx, 0, &q1m, &pos, 0, 1, 0.5f, &out);
    ASSERT_FALSE(rank.failed()) << rank.error();
    EXPECT_EQ(got[0], chunk[2 * t]) << "token " << t;
    EXPECT_EQ(got[1], chunk[2 * t + 1]) << "token " << t;
  }
  // The chunk's first row saw only itself: its value.
  EXPECT_FLOAT_EQ(chunk[0], value[0]);
  EXPECT_FLOAT_EQ(chunk[1], value[1]);
}

TEST_F(CpuRank, ARowMapOutsideTheCacheFails) {
  std::vector<float> key = {1, 2}, value = {3, 4};
  std::vector<int64_t> positions = {0};
  F32x2 keys = dense<2>(key, {1, 2}), vals = dense<2>(value, {1, 2});
  I64x1 at = ids(positions);
  rank.setStepSequences({3}); // the cache has rows 0..2
  _mlir_ciface_helix_rt_kv_append(ctx, 0, &keys, &vals, &at, &at, -1, 0);
  ASSERT_TRUE(rank.failed());
  EXPECT_EQ(rank.error(), "batch row 3 exceeds the cache's 3 rows");
}

TEST_F(CpuRank, AllocatesAndCopiesHostMemory) {
  MemRef<int8_t, 1> block;
  _mlir_ciface_helix_rt_alloc(&block, ctx, 4 * 6);
  ASSERT_NE(block.allocated, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(block.aligned) % 64, 0u);
  EXPECT_EQ(block.sizes[0], 24);
  // A transposing copy into the block.
  std::vector<float> src = {0, 1, 2, 3, 4, 5};
  F32x2 from = dense<2>(src, {2, 3});
  auto *floats = reinterpret_cast<float *>(block.aligned);
  F32x2 to{floats, floats, 0, {2, 3}, {1, 2}};
  _mlir_ciface_helix_rt_copy_f32_2d(ctx, &from, &to);
  EXPECT_EQ(std::vector<float>(floats, floats + 6),
            (std::vector<float>{0, 3, 1, 4, 2, 5}));
  _mlir_ciface_helix_rt_free(ctx, &block);
}

TEST_F(CpuRank, ErrorsStopLaterCalls) {
  // A norm over 4 columns does not match the 6-wide weight.
  std::vector<float> x(8, 1.0f), got(8, -1.0f);
  F32x2 in = dense<2>(x, {2, 4}), out = dense<2>(got, {2, 4});
  _mlir_ciface_helix_rt_rms_norm(ctx, 1, 1e-5f, &in, &out);
  EXPECT_EQ(rank.error(), "internal error: weight 'n' has a local shape that "
                          "does not match the compiled step");
  std::vector<float> x6(12, 1.0f), y(6, -1.0f);
  F32x2 in6 = dense<2>(x6, {2, 6}), projected = dense<2>(y, {2, 3});
  _mlir_ciface_helix_rt_linear(ctx, 0, &in6, &projected);
  EXPECT_EQ(y, std::vector<float>(6, -1.0f));
}

} // namespace
