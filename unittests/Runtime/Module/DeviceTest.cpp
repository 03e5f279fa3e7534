//===- DeviceTest.cpp - a rank with a device, and the host strided copy ---===//
//
// What RankContext promises a caller's Device (runtime/src/module/Device.h):
// it is given the loaded weights and the cache shape once, before the groups
// are split off the world; afterwards the host copies are gone and the byte
// counts are the device's; a cpu-target module is refused. The test device
// records what it was given and fails the test if the step's ops reach it.
// Also the host strided copy the step's copies and the collectives' packing
// use.
//
//===----------------------------------------------------------------------===//
#include "../../../runtime/src/module/Device.h"
#include "../../../runtime/src/module/RankContext.h"
#include "../../../runtime/src/module/StridedCopy.h"
#include "../Safetensors/SafetensorsTestUtil.h"

#include <gtest/gtest.h>

#include <numeric>

using namespace helix_rt;
namespace t = helix::rt::test;

namespace {

const char *kManifest = R"({
  "abi_version": 4, "target": "%s",
  "model": {"architecture": "LlamaForCausalLM", "num_layers": 2,
            "hidden_size": 6, "vocab_size": 4, "weight_dtype": "f32"},
  "layout": {"kvp": 1, "tpa": 1, "tpf": 1, "ep": 1, "microbatches": 1, "kv_block": 1},
  "grids": {"helix_attention": [1, 1], "helix_ffn": [1, 1]},
  "cache": {"kind": "kv", "layers": 2, "kv_heads": 1, "head_dim": 2,
            "token_shards": 1, "block": 1},
  "weights": [{"name": "w", "shape": [4, 6], "slice": null, "owners": null},
              {"name": "n", "shape": [6], "slice": null, "owners": null}],
  "ropes": [], "groups": [{"grid": "helix_attention", "axes": [0]}], "moe": [],
  "scratch": {"bytes_per_row": 0, "bytes": 0}
})";

/// Records upload; any op reaching it is a test failure.
class RecordingDevice final : public Device {
public:
  const char *name() const override { return "recording"; }
  bool upload(RankContext &c, int64_t r, int64_t s, std::string &) override {
    ++uploads;
    rows = r;
    slots = s;
    for (int64_t id = 0; id < 2; ++id)
      floatsSeen += static_cast<int64_t>(c.weight(id).data.size());
    return true;
  }
  int64_t weightBytes() const override { return 1234; }
  int64_t cacheBytes() const override { return 5678; }
  helix_dtype cacheDtype() const override { return HELIX_DTYPE_F32; }
  void *alloc(int64_t) override { return unexpected(); }
  void free(void *) override { unexpected(); }
  void copy(RankContext &, const StridedView &, const StridedView &) override {
    unexpected();
  }
  void toDevice(RankContext &, void *, const void *, int64_t) override {
    unexpected();
  }
  bool toHost(RankContext &, void *, const void *, int64_t) override {
    unexpected();
    return false;
  }
  void add(RankContext &, const F32x2 &, const F32x2 &,
           const F32x2 &) override {
    unexpected();
  }
  void rmsNorm(RankContext &, int64_t, float, const F32x2 &,
               const F32x2 &) override {
    unexpected();
  }
  void lseMerge(RankContext &, const F32x4 &, const F32x2 &) override {
    unexpected();
  }
  void sumShards(RankContext &, const F32x3 &, const F32x2 &) override {
    unexpected();
  }
  void argmax(RankContext &, const F32x2 &, const I64x1 &) override {
    unexpected();
  }
  void kvOwner(RankContext &, int64_t, int64_t, const I64x1 &,
               const I64x1 &) override {
    unexpected();
  }
  void embed(RankContext &, int64_t, const I64x1 &, const F32x2 &) override {
    unexpected();
  }
  void linear(RankContext &, int64_t, const F32x2 &, const F32x2 &) override {
    unexpected();
  }
  void rope(RankContext &, int64_t, int64_t, int64_t, int64_t, const F32x2 &,
            const I64x1 &, const F32x2 &) override {
    unexpected();
  }
  void append(RankContext &, int64_t, const F32x2 &, const F32x2 &,
              const I64x1 &, const I64x1 &, int64_t, int64_t) override {
    unexpected();
  }
  void gqaPartialAttention(RankContext &, int64_t, const F32x2 &, const I64x1 &,
                           int64_t, int64_t, int64_t, float,
                           const F32x4 &) override {
    unexpected();
  }
  void mlaPartialAttention(RankContext &, int64_t, int64_t, const F32x2 &,
                           const I64x1 &, int64_t, int64_t, int64_t, int64_t,
                           int64_t, float, const F32x4 &) override {
    unexpected();
  }
  void mlaValueProjection(RankContext &, int64_t, int64_t, int64_t,
                          const F32x2 &, const F32x2 &) override {
    unexpected();
  }
  void mergeLinear(RankContext &, int64_t, const F32x4 &,
                   const F32x2 &) override {
    unexpected();
  }
  void mergeValueProjection(RankContext &, int64_t, int64_t, int64_t,
                            const F32x4 &, const F32x2 &) override {
    unexpected();
  }
  void swiglu(RankContext &, int64_t, int64_t, int64_t, const F32x2 &,
              const F32x2 &) override {
    unexpected();
  }
  void moeRoute(RankContext &, int64_t, int64_t, int64_t, int64_t, int64_t,
                bool, float, const F32x2 &, const I64x2 &,
                const F32x2 &) override {
    unexpected();
  }
  void moeExperts(RankContext &, int64_t, const F32x2 &, const I64x2 &,
                  const F32x2 &, const F32x2 &) override {
    unexpected();
  }

  int uploads = 0;
  int64_t rows = 0, slots = 0, floatsSeen = 0;

private:
  static std::nullptr_t unexpected() {
    ADD_FAILURE() << "an op reached the device during rank creation";
    return nullptr;
  }
};

struct Checkpoint {
  Checkpoint() {
    std::vector<float> w(24), n(6, 1.0f);
    std::iota(w.begin(), w.end(), 0.0f);
    t::writeBytes(dir.file("model.safetensors"),
                  t::safetensorsFile({{"w", "F32", {4, 6}, t::f32Bytes(w)},
                                      {"n", "F32", {6}, t::f32Bytes(n)}}));
    char error[256];
    EXPECT_EQ(
        helix_checkpoint_open(dir.path().c_str(), &handle, error, sizeof error),
        HELIX_OK)
        << error;
  }
  ~Checkpoint() { helix_checkpoint_close(handle); }
  t::TempDir dir;
  helix_checkpoint *handle = nullptr;
};

Manifest manifestFor(const char *target) {
  char text[2048];
  std::snprintf(text, sizeof text, kManifest, target);
  Manifest m;
  std::string message;
  EXPECT_TRUE(parseManifest(text, m, message)) << message;
  return m;
}

/// One rank of a one-rank threads world over the small checkpoint.
class DeviceRank : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_EQ(helix_comm_threads_create(1, 10000, &world), HELIX_OK);
  }
  void TearDown() override { helix_comm_destroy(world); }

  Checkpoint checkpoint;
  helix_comm *world = nullptr;
  RecordingDevice device;
  std::string error;
};

TEST_F(DeviceRank, GetsTheWeightsOnceAndKeepsThem) {
  Manifest manifest = manifestFor("cuda");
  RankContext rank;
  ASSERT_TRUE(rank.init(manifest, checkpoint.handle, world, /*maxBatch=*/3,
                        /*maxContext=*/7, &device, error))
      << error;
  EXPECT_EQ(device.uploads, 1);
  EXPECT_EQ(device.rows, 3);
  EXPECT_EQ(device.slots, 7);
  EXPECT_EQ(device.floatsSeen, 24 + 6); // loaded before the upload
  // The host copies are gone, the shapes stay for the checks.
  EXPECT_TRUE(rank.weight(0).data.empty());
  EXPECT_EQ(rank.weight(0).shape, (std::vector<int64_t>{4, 6}));
  EXPECT_TRUE(rank.weight(0).owned);
  EXPECT_EQ(rank.weightBytes(), 1234);
  EXPECT_EQ(rank.cacheBytes(), 5678);
  EXPECT_EQ(helix_comm_size(rank.group(0)), 1);
}

TEST_F(DeviceRank, RefusesACpuModule) {
  Manifest manifest = manifestFor("cpu");
  RankContext rank;
  EXPECT_FALSE(
      rank.init(manifest, checkpoint.handle, world, 1, 4, &device, error));
  EXPECT_EQ(error, "the module was compiled for target cpu; the recording "
                   "device runs target=cuda modules only");
  EXPECT_EQ(device.uploads, 0);
}

TEST(Device, UnknownTargetIsAManifestError) {
  char text[2048];
  std::snprintf(text, sizeof text, kManifest, "tpu");
  Manifest m;
  std::string message;
  EXPECT_FALSE(parseManifest(text, m, message));
  EXPECT_EQ(message, "the module is for an unknown target 'tpu'");
}

/// A view over `data` with the given sizes and strides.
StridedView view(std::vector<float> &data, std::vector<int64_t> sizes,
                 std::vector<int64_t> strides, int64_t offset = 0) {
  StridedView v;
  v.base = reinterpret_cast<char *>(data.data() + offset);
  v.rank = static_cast<int64_t>(sizes.size());
  for (size_t d = 0; d < sizes.size(); ++d) {
    v.sizes[d] = sizes[d];
    v.strides[d] = strides[d];
  }
  return v;
}

TEST(StridedCopy, TransposesAndSkips) {
  // A 2x3 block at offset 1 of a 3x4 matrix, copied transposed into 3x2.
  std::vector<float> src(12), dst(6, -1.0f);
  std::iota(src.begin(), src.end(), 0.0f);
  copyStrided(view(src, {2, 3}, {4, 1}, 1), view(dst, {2, 3}, {1, 2}));
  EXPECT_EQ(dst, (std::vector<float>{1, 5, 2, 6, 3, 7}));
}

TEST(StridedCopy, FourDimensionsAndEightByteElements) {
  std::vector<int64_t> src(2 * 3 * 2 * 2), dst(src.size(), -1);
  std::iota(src.begin(), src.end(), 0);
  StridedView s, d;
  s.base = reinterpret_cast<char *>(src.data());
  d.base = reinterpret_cast<char *>(dst.data());
  s.rank = d.rank = 4;
  s.elementBytes = d.elementBytes = 8;
  const int64_t sizes[4] = {2, 3, 2, 2};
  const int64_t dense[4] = {12, 4, 2, 1};
  const int64_t swapped[4] = {12, 4, 1, 2}; // the last two axes swapped
  for (int k = 0; k < 4; ++k) {
    s.sizes[k] = d.sizes[k] = sizes[k];
    s.strides[k] = dense[k];
    d.strides[k] = swapped[k];
  }
  copyStrided(s, d);
  for (int64_t i = 0; i < 6; ++i) { // each 2x2 block transposed
    EXPECT_EQ(dst[i * 4 + 0], src[i * 4 + 0]);
    EXPECT_EQ(dst[i * 4 + 1], src[i * 4 + 2]);
    EXPECT_EQ(dst[i * 4 + 2], src[i * 4 + 1]);
    EXPECT_EQ(dst[i * 4 + 3], src[i * 4 + 3]);
  }
}

} // namespace
