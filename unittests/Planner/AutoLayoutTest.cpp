//===- AutoLayoutTest.cpp - The layout helix-run --layout auto gets -------===//
#include "helix/Planner/AutoLayout.h"

#include <gtest/gtest.h>

using namespace helix;
using namespace helix::planner;

namespace {

ModelConfig load(const char *name) {
  std::string error;
  std::optional<ModelConfig> config =
      loadModelConfig(std::string(HELIX_TEST_CONFIGS) + "/" + name, error);
  EXPECT_TRUE(config) << error;
  return *config;
}

TEST(AutoLayout, DeepSeekPutsEveryGpuOnTheLatent) {
  std::string error;
  std::optional<HelixLayoutChoice> choice = chooseHelixLayout(
      load("deepseek-r1.json"), "gb200-nvl72", 1 << 20, 64, error, 1,
      Dtype::FP4);
  ASSERT_TRUE(choice) << error;
  EXPECT_EQ(choice->layout.tpa, 1);
  EXPECT_EQ(choice->layout.kvp, 64);
  EXPECT_EQ(choice->layout.tpf * choice->layout.ep, 64);
  EXPECT_TRUE(choice->latentMerge);
  EXPECT_EQ(choice->layout.microbatches, 1); // one request: nothing to overlap
  EXPECT_GT(choice->msPerToken, 0);
}

TEST(AutoLayout, LlamaSplitsHeadsUpToTheKvHeads) {
  std::string error;
  std::optional<HelixLayoutChoice> choice = chooseHelixLayout(
      load("llama-3.1-405b.json"), "gb200-nvl72", 1 << 20, 64, error, 1,
      Dtype::FP4);
  ASSERT_TRUE(choice) << error;
  EXPECT_EQ(choice->layout.tpa, 8);
  EXPECT_EQ(choice->layout.kvp, 8);
  EXPECT_EQ(choice->layout.tpf, 64);
  EXPECT_EQ(choice->layout.ep, 1);
  EXPECT_EQ(choice->layout.str(),
            "kvp=8,tpa=8,tpf=64,ep=1,microbatches=1,kv-block=16");
}

TEST(AutoLayout, RefusesWithOneLine) {
  std::string error;
  EXPECT_FALSE(chooseHelixLayout(load("llama-3.1-405b.json"), "gb200-nvl72",
                                 4096, 3, error));
  EXPECT_EQ(error.find("no valid Helix layout for world size 3"), 0u) << error;
  EXPECT_FALSE(chooseHelixLayout(load("llama-3.1-405b.json"), "h100-sxm-8",
                                 1 << 20, 1, error));
  EXPECT_NE(error.find("fits"), std::string::npos) << error;
  EXPECT_FALSE(chooseHelixLayout(load("llama-3.1-405b.json"), "nope", 4096, 8,
                                 error));
  EXPECT_NE(error.find("unknown hardware 'nope'"), std::string::npos);
  EXPECT_FALSE(chooseHelixLayout(load("llama-3.1-405b.json"), "h100-sxm-8",
                                 0, 8, error));
}

} // namespace
