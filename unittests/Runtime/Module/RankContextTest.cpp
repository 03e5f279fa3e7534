//===- RankContextTest.cpp - each rank loads exactly its slice ------------===//
//
// Four ranks in one process (kvp = 2 x tpa = 2; ep = 1 x tpf = 4) load a
// small checkpoint through a hand-written manifest: row and column slices,
// an owned-by-one-group tensor, the communicator groups and the KV shard.
//
//===----------------------------------------------------------------------===//
#include "../../../runtime/src/module/RankContext.h"
#include "../Safetensors/SafetensorsTestUtil.h"

#include <gtest/gtest.h>

#include <thread>

using namespace helix_rt;

namespace {

const char *kManifest = R"({
  "abi_version": 4, "target": "cpu",
  "model": {"architecture": "LlamaForCausalLM", "num_layers": 1,
            "hidden_size": 6, "vocab_size": 4, "weight_dtype": "f32"},
  "layout": {"kvp": 2, "tpa": 2, "tpf": 4, "ep": 1, "microbatches": 1, "kv_block": 2},
  "grids": {"helix_attention": [2, 2], "helix_ffn": [1, 4]},
  "cache": {"kind": "kv", "layers": 1, "kv_heads": 1, "head_dim": 2,
            "token_shards": 2, "block": 2},
  "weights": [
    {"name": "w", "shape": [4, 6], "owners": null,
     "slice": {"dim": 0, "parts": 2, "grid": "helix_attention", "axes": [1]}},
    {"name": "w", "shape": [4, 6], "owners": null,
     "slice": {"dim": 1, "parts": 2, "grid": "helix_attention", "axes": [0]}},
    {"name": "e", "shape": [2], "slice": null,
     "owners": {"grid": "helix_ffn", "axes": [1], "parts": 4, "index": 2}}],
  "ropes": [], "groups": [{"grid": "helix_attention", "axes": [0]}], "moe": [],
  "scratch": {"bytes_per_row": 0, "bytes": 0}
})";

/// w[r][c] = 6r + c in `dtype` (exact in all three), e = {7, 8} in F32.
void writeCheckpoint(const helix::rt::test::TempDir &dir, const char *dtype) {
  namespace t = helix::rt::test;
  std::vector<float> w(24);
  std::vector<uint16_t> half(24);
  for (int i = 0; i < 24; ++i) {
    w[i] = float(i);
    // bf16: the top half of the float; f16: 1.m x 2^e with 10 mantissa bits.
    if (std::string(dtype) == "BF16") {
      half[i] = uint16_t(t::bitsOf(w[i]) >> 16);
    } else if (i > 0) {
      int e = 0;
      while ((2 << e) <= i)
        ++e;
      half[i] = uint16_t(((e + 15) << 10) | ((i << (10 - e)) & 0x3ff));
    }
  }
  t::writeBytes(dir.file("model.safetensors"),
                t::alignedSafetensorsFile(
                    {{"e", "F32", {2}, t::f32Bytes({7, 8})},
                     {"w",
                      dtype,
                      {4, 6},
                      std::string(dtype) == "F32" ? t::f32Bytes(w)
                                                  : t::u16Bytes(half)}}));
}

/// The values of a loaded block as floats, whatever its dtype.
std::vector<float> valuesOf(const LocalWeight &w) {
  std::vector<float> out(static_cast<size_t>(w.count()));
  helix_rt::kernels::toFloat(w.values, w.count(), out.data());
  return out;
}

class RankContextLoads : public ::testing::TestWithParam<const char *> {};

TEST_P(RankContextLoads, EachRankLoadsItsSlice) {
  helix::rt::test::TempDir dir;
  const std::string dtype = GetParam();
  writeCheckpoint(dir, GetParam());
  helix_checkpoint *checkpoint = nullptr;
  char error[256];
  ASSERT_EQ(helix_checkpoint_open(dir.path().c_str(), &checkpoint, error,
                                  sizeof error),
            HELIX_OK)
      << error;
  Manifest manifest;
  std::string message;
  ASSERT_TRUE(parseManifest(kManifest, manifest, message)) << message;

  std::vector<helix_comm *> comms(4);
  ASSERT_EQ(helix_comm_threads_create(4, 10000, comms.data()), HELIX_OK);
  std::vector<RankContext> ranks(4);
  std::vector<std::string> errors(4);
  std::vector<std::thread> threads;
  for (int r = 0; r < 4; ++r)
    threads.emplace_back([&, r] {
      if (!ranks[r].init(manifest, checkpoint, comms[r], /*maxBatch=*/2,
                         /*maxContext=*/9, /*device=*/nullptr, errors[r]))
        helix_comm_abort(comms[r], errors[r].c_str());
    });
  for (std::thread &t : threads)
    t.join();
  // Mapped weights outlive the checkpoint handle.
  helix_checkpoint_close(checkpoint);

  for (int r = 0; r < 4; ++r) {
    ASSERT_EQ(errors[r], "") << "rank " << r;
    int kvp = r / 2, tpa = r % 2;
    EXPECT_EQ(ranks[r].coord("helix_attention", 0), kvp);
    EXPECT_EQ(ranks[r].coord("helix_attention", 1), tpa);
    EXPECT_EQ(ranks[r].coord("helix_ffn", 1), r);
    // Rows [2 tpa, 2 tpa + 2) of w, whatever the KVP index.
    const LocalWeight &rows = ranks[r].weight(0);
    ASSERT_EQ(rows.shape, (std::vector<int64_t>{2, 6}));
    std::vector<float> rowValues = valuesOf(rows);
    for (int i = 0; i < 2; ++i)
      for (int c = 0; c < 6; ++c)
        EXPECT_EQ(rowValues[i * 6 + c], 6 * (2 * tpa + i) + c);
    // Half-precision matrices keep their dtype on the CPU device: a row
    // block in place in the file's mapping, a column block as a copy.
    bool half = dtype != "F32";
    EXPECT_EQ(rows.values.isF32(), !half);
    EXPECT_EQ(rows.mapping != nullptr, half);
    EXPECT_EQ(rows.data.empty(), half);
    EXPECT_EQ(ranks[r].weightBytesOf(HELIX_DTYPE_F32),
              (half ? 0 : (12 + 12) * 4) + (r == 2 ? 8 : 0));
    EXPECT_EQ(ranks[r].weightBytes(),
              (12 + 12) * (half ? 2 : 4) + (r == 2 ? 8 : 0));
    // Columns [3 kvp, 3 kvp + 3) of every row, whatever the TPA index.
    const LocalWeight &cols = ranks[r].weight(1);
    ASSERT_EQ(cols.shape, (std::vector<int64_t>{4, 3}));
    std::vector<float> colValues = valuesOf(cols);
    for (int i = 0; i < 4; ++i)
      for (int c = 0; c < 3; ++c)
        EXPECT_EQ(colValues[i * 3 + c], 6 * i + 3 * kvp + c);
    EXPECT_EQ(cols.half.size(), half ? 12u : 0u);
    EXPECT_EQ(cols.mapping, nullptr);
    EXPECT_TRUE(ranks[r].weight(2).values.isF32() || r != 2); // a vector
    // Only the rank whose tpf coordinate is 2 owns "e".
    EXPECT_EQ(ranks[r].weight(2).owned, r == 2);
    // The KVP group of the all-to-all has the two ranks sharing tpa.
    EXPECT_EQ(helix_comm_size(ranks[r].group(0)), 2);
    EXPECT_EQ(helix_comm_rank(ranks[r].group(0)), kvp);
    // 9 positions in blocks of 2 over 2 ranks: rank 0 holds at most 5.
    EXPECT_EQ(ranks[r].cacheSlots(), 5);
  }
  ranks.clear();
  for (helix_comm *comm : comms)
    helix_comm_destroy(comm);
}

INSTANTIATE_TEST_SUITE_P(Dtypes, RankContextLoads,
                         ::testing::Values("F32", "BF16", "F16"));

} // namespace
