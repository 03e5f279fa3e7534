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

// The format helix-calibrate writes: every field, no base. Pinned here so
// that a renamed or re-scaled field breaks this test, not users' files.
constexpr const char *kMeasuredHost = R"({
  "name": "measured-cpu-2-cores", "hbm_gb": 25, "usable_hbm_fraction": 0.9,
  "hbm_bandwidth_tb_s": 0.0125, "bf16_tflops": 0.05, "fp8_tflops": 0.05,
  "fp4_tflops": 0.05, "fp32_tflops": 0.03, "link_bandwidth_gb_s": 3,
  "collective_latency_us": 3, "collective_latency_per_doubling_us": 6,
  "scale_out_bandwidth_gb_s": 3, "scale_out_latency_us": 0,
  "kernel_overhead_us": 0.025, "aggregate_bandwidth_tb_s": 0.02,
  "memory_compute_overlap": 0, "domain_size": 64, "parallel_ranks": 2})";

TEST(Hardware, MeasuredHostFileFormat) {
  std::string error;
  std::optional<Hardware> hw = parseHardwareJson(kMeasuredHost, error);
  ASSERT_TRUE(hw) << error;
  EXPECT_EQ(hw->name, "measured-cpu-2-cores");
  EXPECT_DOUBLE_EQ(hw->hbmBandwidth, 12.5e9);
  EXPECT_DOUBLE_EQ(hw->aggregateBandwidth, 20e9);
  EXPECT_DOUBLE_EQ(hw->gemmFlops(Dtype::FP32), 30e9);
  EXPECT_DOUBLE_EQ(hw->attentionFlops(Dtype::FP32), 30e9);
  EXPECT_DOUBLE_EQ(hw->collectiveBase, 3e-6);
  EXPECT_DOUBLE_EQ(hw->collectivePerDoubling, 6e-6);
  EXPECT_DOUBLE_EQ(hw->kernelOverhead, 0.025e-6);
  EXPECT_DOUBLE_EQ(hw->memoryComputeOverlap, 0);
  EXPECT_EQ(hw->parallelRanks, 2);
  EXPECT_EQ(hw->domainSize, 64);
  // A GPU preset keeps the roofline, no core limit, TF32 at half bf16.
  Hardware h100 = *hardwarePreset("h100-sxm-8");
  EXPECT_DOUBLE_EQ(h100.memoryComputeOverlap, 1);
  EXPECT_EQ(h100.parallelRanks, 0);
  EXPECT_DOUBLE_EQ(h100.gemmFlops(Dtype::FP32), 989e12 / 2);
}

TEST(Hardware, WrittenFilesReadBack) {
  std::string error;
  for (const std::string &name : hardwarePresetNames()) {
    Hardware preset = *hardwarePreset(name);
    std::optional<Hardware> back = parseHardwareJson(hardwareJson(preset),
                                                     error);
    ASSERT_TRUE(back) << name << ": " << error;
    EXPECT_EQ(back->name, preset.name);
    EXPECT_EQ(back->domainSize, preset.domainSize);
    EXPECT_NEAR(back->hbmBandwidth, preset.hbmBandwidth, 1e-3);
    EXPECT_NEAR(back->collectivePerDoubling, preset.collectivePerDoubling,
                1e-15);
    EXPECT_DOUBLE_EQ(back->memoryComputeOverlap, 1);
  }
  Hardware host = *parseHardwareJson(kMeasuredHost, error);
  std::optional<Hardware> back = parseHardwareJson(hardwareJson(host), error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->parallelRanks, 2);
  EXPECT_NEAR(back->aggregateBandwidth, 20e9, 1e-3);
  EXPECT_NEAR(back->flopsFp32, 30e9, 1e-3);
}

TEST(Hardware, MalformedMeasuredFilesAreOneLineErrors) {
  std::string error;
  std::string text = kMeasuredHost;
  auto with = [&](const std::string &from, const std::string &to) {
    std::string edited = text;
    edited.replace(edited.find(from), from.size(), to);
    return edited;
  };
  // A misspelt key is refused rather than left at its default.
  EXPECT_FALSE(parseHardwareJson(
      with("\"parallel_ranks\"", "\"parallel_rank\""), error));
  EXPECT_EQ(error, "unknown hardware field 'parallel_rank'");
  EXPECT_FALSE(parseHardwareJson(with("\"parallel_ranks\": 2",
                                      "\"parallel_ranks\": 1.5"),
                                 error));
  EXPECT_EQ(error, "hardware field 'parallel_ranks' must be a whole number");
  EXPECT_FALSE(parseHardwareJson(with("\"memory_compute_overlap\": 0",
                                      "\"memory_compute_overlap\": 2"),
                                 error));
  EXPECT_EQ(error, "hardware field 'memory_compute_overlap' must be in [0, 1]");
  EXPECT_FALSE(parseHardwareJson(
      with("\"fp32_tflops\": 0.03", "\"fp32_tflops\": \"fast\""), error));
  EXPECT_EQ(error, "hardware field 'fp32_tflops' must be a non-negative number");
  EXPECT_FALSE(parseHardwareJson(with("\"hbm_bandwidth_tb_s\": 0.0125",
                                      "\"hbm_bandwidth_tb_s\": 0"),
                                 error));
  EXPECT_EQ(error, "hardware field 'hbm_bandwidth_tb_s' is missing or not "
                   "positive");
  for (const std::string &bad : {"parallel_rank", "whole number", "[0, 1]"})
    EXPECT_EQ(error.find('\n'), std::string::npos) << bad;
}

TEST(Hardware, RanksBeyondTheCoresTimeShare) {
  std::string error;
  Hardware host = *parseHardwareJson(kMeasuredHost, error);
  // One rank alone: its own bandwidth, all of its core.
  Hardware one = host.sharedBy(1);
  EXPECT_DOUBLE_EQ(one.hbmBandwidth, 12.5e9);
  EXPECT_DOUBLE_EQ(one.gemmFlops(Dtype::FP32), 30e9);
  // Two on two cores split the 20 GB/s the cores reach together.
  Hardware two = host.sharedBy(2);
  EXPECT_DOUBLE_EQ(two.hbmBandwidth, 10e9);
  EXPECT_DOUBLE_EQ(two.gemmFlops(Dtype::FP32), 30e9);
  // Four on two cores run half the time each.
  Hardware four = host.sharedBy(4);
  EXPECT_DOUBLE_EQ(four.hbmBandwidth, 5e9);
  EXPECT_DOUBLE_EQ(four.gemmFlops(Dtype::FP32), 15e9);
  EXPECT_DOUBLE_EQ(four.gemmFlops(Dtype::BF16), 25e9);
  EXPECT_DOUBLE_EQ(four.kernelOverhead, 0.05e-6);
  // GPUs: every rank has its own device.
  Hardware gb200 = *hardwarePreset("gb200-nvl72");
  Hardware many = gb200.sharedBy(64);
  EXPECT_DOUBLE_EQ(many.hbmBandwidth, gb200.hbmBandwidth);
  EXPECT_DOUBLE_EQ(many.gemmFlops(Dtype::FP4), gb200.gemmFlops(Dtype::FP4));
}

} // namespace
