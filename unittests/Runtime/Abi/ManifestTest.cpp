//===- ManifestTest.cpp - the manifest reads back what was written --------===//
#include "helix_rt/manifest_json.h"

#include <gtest/gtest.h>

using namespace helix_rt;

namespace {

Manifest sample(bool latent) {
  Manifest m;
  m.target = "cuda";
  m.model = {"DeepseekV3ForCausalLM", 2, 64, 100, "bf16"};
  m.layout = {2, 1, 2, 1, 2, 4};
  m.grids = {{"helix_attention", {2, 1}}, {"helix_ffn", {1, 2}}};
  CacheSpec cache;
  cache.latent = latent;
  cache.layers = 2;
  if (latent) {
    cache.kvLoraRank = 16;
    cache.ropeDim = 8;
  } else {
    cache.kvHeads = 2;
    cache.headDim = 8;
  }
  cache.tokenShards = 2;
  cache.block = 4;
  m.cache = cache;
  WeightSpec sliced{"q", {8, 64}, SliceSpec{0, 2, "helix_attention", {0}},
                    std::nullopt};
  WeightSpec owned{"e", {4}, std::nullopt,
                   OwnerSpec{"helix_ffn", {0, 1}, 2, 1}};
  m.weights = {sliced, owned};
  kernels::RopeParams rope;
  rope.scaling = kernels::RopeScaling::Yarn;
  rope.theta = 5e4;
  rope.originalMaxPosition = 4096;
  m.ropes = {rope};
  m.groups = {{"helix_attention", {0}}, {"helix_ffn", {1}}};
  MoeSpec moe;
  moe.numExperts = 2;
  moe.width = 8;
  moe.experts = {{0, 1, 0}, {1, 0, 1}};
  moe.shared = std::vector<int64_t>{1, 1, 0};
  m.moes = {moe};
  m.scratch = {96, 16};
  return m;
}

TEST(Manifest, ReadsBackWhatWasWritten) {
  for (bool latent : {false, true}) {
    std::string text = writeManifest(sample(latent));
    Manifest back;
    std::string error;
    ASSERT_TRUE(parseManifest(text, back, error)) << error;
    // Written again, byte for byte: every field made the round trip.
    EXPECT_EQ(writeManifest(back), text);
    EXPECT_EQ(back.cache->latent, latent);
    EXPECT_EQ(back.worldSize(), 2);
    EXPECT_EQ(back.ropes[0].scaling, kernels::RopeScaling::Yarn);
    EXPECT_FALSE(back.weights[0].owners);
    EXPECT_EQ(back.weights[1].owners->axes, (std::vector<int64_t>{0, 1}));
  }
}

TEST(Manifest, WritesTheDocumentedKeys) {
  nlohmann::json doc = nlohmann::json::parse(writeManifest(sample(true)));
  EXPECT_EQ(doc["abi_version"], helix_rt::abi::kVersion);
  EXPECT_EQ(doc["layout"]["kv_block"], 4);
  EXPECT_EQ(doc["cache"]["kind"], "latent");
  EXPECT_EQ(doc["cache"]["kv_lora_rank"], 16);
  EXPECT_FALSE(doc["cache"].contains("kv_heads"));
  EXPECT_EQ(doc["ropes"][0]["scaling"], "yarn");
  EXPECT_TRUE(doc["weights"][0]["owners"].is_null());
  EXPECT_EQ(doc["moe"][0]["shared"], nlohmann::json({1, 1, 0}));
  EXPECT_EQ(doc["scratch"]["bytes_per_row"], 96);
  EXPECT_EQ(doc["scratch"]["bytes"], 16);
}

TEST(Manifest, ScratchBoundsAStepOfAnyRowsWithoutOverflow) {
  ScratchSpec scratch{96, 16};
  EXPECT_EQ(scratch.at(0), 16);
  EXPECT_EQ(scratch.at(8), 96 * 8 + 16);
  ScratchSpec huge{int64_t(1) << 40, 0};
  EXPECT_EQ(huge.at(int64_t(1) << 40), INT64_MAX / 2);
}

std::string parseError(const std::string &text) {
  Manifest m;
  std::string error;
  EXPECT_FALSE(parseManifest(text, m, error)) << text;
  return error;
}

TEST(Manifest, RefusesWhatItCannotRead) {
  EXPECT_NE(parseError("[1]").find("not a JSON object"), std::string::npos);
  EXPECT_NE(parseError(R"({"abi_version": 1})").find("ABI version 1"),
            std::string::npos);
  EXPECT_NE(parseError(R"({"target": "cpu"})").find("ABI version (none)"),
            std::string::npos);

  nlohmann::json doc = nlohmann::json::parse(writeManifest(sample(false)));
  nlohmann::json missing = doc;
  missing["layout"].erase("kvp");
  EXPECT_NE(parseError(missing.dump()).find("malformed"), std::string::npos);
  nlohmann::json wrongType = doc;
  wrongType["weights"][0]["shape"] = "8x64";
  EXPECT_NE(parseError(wrongType.dump()).find("malformed"), std::string::npos);
  // A float where an integer belongs is a type error, not undefined
  // behaviour, in maps too (fuzz/crashes/manifest/float-grid-extent.json).
  nlohmann::json floatGrid = doc;
  floatGrid["grids"]["helix_ffn"][0] = 5.6e52;
  EXPECT_NE(parseError(floatGrid.dump()).find("expected an integer"),
            std::string::npos);
  nlohmann::json negative = doc;
  negative["scratch"]["bytes_per_row"] = -1;
  EXPECT_NE(parseError(negative.dump()).find("negative scratch size"),
            std::string::npos);
  nlohmann::json noScratch = doc;
  noScratch.erase("scratch");
  EXPECT_NE(parseError(noScratch.dump()).find("malformed"), std::string::npos);
  nlohmann::json badKind = doc;
  badKind["cache"]["kind"] = "paged";
  EXPECT_NE(parseError(badKind.dump()).find("unknown kind 'paged'"),
            std::string::npos);
  nlohmann::json badTarget = doc;
  badTarget["target"] = "tpu";
  EXPECT_NE(parseError(badTarget.dump()).find("unknown target 'tpu'"),
            std::string::npos);
  nlohmann::json noCache = doc;
  noCache["cache"] = nullptr;
  EXPECT_NE(parseError(noCache.dump()).find("no cache"), std::string::npos);
}

} // namespace
