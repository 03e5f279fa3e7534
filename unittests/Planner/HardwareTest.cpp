//===- HardwareTest.cpp - Presets and custom hardware files ---------------===//
#include "helix/Planner/Hardware.h"

#include <gtest/gtest.h>

using namespace helix::planner;

namespace {

TEST(Hardware, PresetsCarryTheAnchors) {
  std::optional<Hardware> gb200 = hardwarePreset("gb200-nvl72");
  ASSERT_TRUE(gb200);
  EXPECT_DOUBLE_EQ(gb200->hbmBandwidth, 8e12);
  EXPECT_EQ(gb200->domainSize, 72);
  EXPECT_GT(gb200->gemmFlops(Dtype::FP4), gb200->gemmFlops(Dtype::FP8));
  // An FP4 cache is attended at the FP8 rate.
  EXPECT_DOUBLE_EQ(gb200->attentionFlops(Dtype::FP4),
                   gb200->attentionFlops(Dtype::FP8));
  std::optional<Hardware> h100 = hardwarePreset("h100-sxm-8");
  ASSERT_TRUE(h100);
  EXPECT_DOUBLE_EQ(h100->hbmBandwidth, 3.35e12);
  EXPECT_EQ(h100->domainSize, 8);
  // Hopper has no FP4 tensor cores.
  EXPECT_DOUBLE_EQ(h100->gemmFlops(Dtype::FP4), h100->gemmFlops(Dtype::FP8));
  std::optional<Hardware> h200 = hardwarePreset("h200-sxm-8");
  ASSERT_TRUE(h200);
  EXPECT_DOUBLE_EQ(h200->hbmBytes, 141e9);
  EXPECT_FALSE(hardwarePreset("tpu-v5"));
}

TEST(Hardware, CustomFileOverridesABase) {
  std::string error;
  std::optional<Hardware> hw = parseHardwareJson(
      R"({"base": "gb200-nvl72", "name": "slow-links",
          "collective_latency_us": 10, "link_bandwidth_gb_s": 100})",
      error);
  ASSERT_TRUE(hw) << error;
  EXPECT_EQ(hw->name, "slow-links");
  EXPECT_DOUBLE_EQ(hw->collectiveBase, 10e-6);
  EXPECT_DOUBLE_EQ(hw->linkBandwidth, 100e9);
  EXPECT_DOUBLE_EQ(hw->hbmBandwidth, 8e12); // inherited
}

TEST(Hardware, CustomFileWithoutBaseNeedsTheEssentials) {
  std::string error;
  EXPECT_FALSE(parseHardwareJson(R"({"hbm_gb": 80})", error));
  EXPECT_NE(error.find("hbm_bandwidth_tb_s"), std::string::npos) << error;
  std::optional<Hardware> hw = parseHardwareJson(
      R"({"hbm_gb": 80, "hbm_bandwidth_tb_s": 2,
          "bf16_tflops": 300, "domain_size": 4, "link_bandwidth_gb_s": 100,
          "scale_out_bandwidth_gb_s": 25})",
      error);
  ASSERT_TRUE(hw) << error;
  EXPECT_DOUBLE_EQ(hw->gemmFlops(Dtype::FP4), 300e12); // falls back
  EXPECT_DOUBLE_EQ(hw->usableHbmFraction, 0.9);        // vLLM's default
  EXPECT_FALSE(parseHardwareJson(
      R"({"base": "h100-sxm-8", "usable_hbm_fraction": 1.5})", error));
  EXPECT_EQ(error, "hardware field 'usable_hbm_fraction' must be in (0, 1]");
}

TEST(Hardware, BadFilesAreOneLineErrors) {
  std::string error;
  EXPECT_FALSE(parseHardwareJson("{not json", error));
  EXPECT_EQ(error, "hardware file is not a JSON object");
  EXPECT_FALSE(parseHardwareJson(R"({"base": "nope"})", error));
  EXPECT_NE(error.find("'base'"), std::string::npos);
  EXPECT_FALSE(parseHardwareJson(R"({"base": "h100-sxm-8", "hbm_gb": -1})",
                                 error));
  EXPECT_NE(error.find("'hbm_gb'"), std::string::npos);
  EXPECT_FALSE(loadHardware("/nonexistent/hw.json", error));
  EXPECT_NE(error.find("unknown hardware"), std::string::npos);
}

} // namespace
