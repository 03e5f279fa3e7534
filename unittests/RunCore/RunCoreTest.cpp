//===- RunCoreTest.cpp - prompts, schedule and prefill chunk of the tools --===//
#include "RunCore/Decode.h"
#include "RunCore/Launch.h"
#include "RunCore/Prompts.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <unistd.h>

using namespace helix::run;

namespace {

/// prompts.json with `text`, removed at the end of the test.
class PromptsFile : public ::testing::Test {
protected:
  std::optional<Prompts> load(const std::string &text, int64_t vocab = 10) {
    std::ofstream(path) << text;
    return loadPrompts(path, vocab, error);
  }
  void TearDown() override { std::remove(path.c_str()); }
  std::string path = ::testing::TempDir() + "prompts-" +
                     std::to_string(::getpid()) + ".json";
  std::string error;
};

TEST_F(PromptsFile, ReadsListsOfIds) {
  std::optional<Prompts> p = load("[[1, 2, 3], [9]]");
  ASSERT_TRUE(p) << error;
  EXPECT_EQ(*p, (Prompts{{1, 2, 3}, {9}}));
}

TEST_F(PromptsFile, RefusesWhatIsNotAListOfIdLists) {
  EXPECT_FALSE(load("{\"a\": 1}"));
  EXPECT_EQ(error,
            path + ": prompts must be a JSON list of token-id lists or strings");
  EXPECT_FALSE(load("[]"));
  EXPECT_EQ(error, path + ": the prompt list is empty");
  EXPECT_FALSE(load("[[1], []]"));
  EXPECT_EQ(error, path + ": prompt 1 is empty");
  EXPECT_FALSE(load("[[1, \"x\"]]"));
  EXPECT_EQ(error, path + ": prompt 0 holds \"x\", not an integer token id");
  EXPECT_FALSE(load("[\"text\"]")); // text needs a tokenizer
  EXPECT_EQ(error, path + ": prompt 0 is text, but the model directory has "
                          "no tokenizer.json");
  EXPECT_FALSE(load("[{\"ids\": [1]}]"));
  EXPECT_EQ(error, path + ": prompt 0 is neither a list of token ids nor a string");
}

TEST_F(PromptsFile, RefusesIdsOutsideTheVocabulary) {
  EXPECT_FALSE(load("[[1, 10]]"));
  EXPECT_EQ(error, path + ": prompt 0 holds token id 10, outside the "
                          "vocabulary [0, 10)");
  EXPECT_FALSE(load("[[-1]]"));
}

TEST(Schedule, PositionsTheLongestPromptNeeds) {
  // The longest prompt's last position, then one per further new token.
  EXPECT_EQ(stepsNeeded({{1, 2, 3, 4}, {5}}, 6), 9);
  EXPECT_EQ(stepsNeeded({{1}}, 1), 1);
}

TEST(Schedule, MedianOfStepTimes) {
  EXPECT_EQ(medianMs({}), 0);
  EXPECT_EQ(medianMs({3, 1, 2}), 2);
  EXPECT_EQ(medianMs({4, 1, 3, 2}), 2.5);
}

TEST(PrefillChunk, ChosenPerDeviceWhenNotGiven) {
  int64_t chunk = 0;
  std::string error;
  const Prompts prompts = {{1, 2, 3}, {4}};
  ASSERT_TRUE(resolvePrefillChunk(0, /*gpu=*/false, prompts, chunk, error));
  EXPECT_EQ(chunk, 128); // 256 rows a step over 2 prompts
  ASSERT_TRUE(resolvePrefillChunk(0, false, {{1}}, chunk, error));
  EXPECT_EQ(chunk, 256);
  ASSERT_TRUE(resolvePrefillChunk(0, false, Prompts(64, {1}), chunk, error));
  EXPECT_EQ(chunk, 32); // at least 32 per prompt
  ASSERT_TRUE(resolvePrefillChunk(0, /*gpu=*/true, prompts, chunk, error));
  EXPECT_EQ(chunk, 1);
  ASSERT_TRUE(resolvePrefillChunk(7, /*gpu=*/false, prompts, chunk, error));
  EXPECT_EQ(chunk, 7);
  ASSERT_TRUE(resolvePrefillChunk(16, /*gpu=*/true, prompts, chunk, error));
  EXPECT_EQ(chunk, 16);
}

TEST(PrefillChunk, RefusesNegativeAndGpuStepsPastTheGrid) {
  int64_t chunk = 0;
  std::string error;
  EXPECT_FALSE(resolvePrefillChunk(-1, false, {{1}}, chunk, error));
  EXPECT_EQ(error, "--prefill-chunk must be a positive integer");
  // Rows a step = sum of min(C, prompt length): 2 x 40000 > 65535.
  const Prompts two(2, std::vector<int64_t>(40000, 1));
  EXPECT_FALSE(resolvePrefillChunk(40000, true, two, chunk, error));
  EXPECT_NE(error.find("steps of 80000 rows"), std::string::npos) << error;
  EXPECT_TRUE(resolvePrefillChunk(30000, true, two, chunk, error)) << error;
  // The CPU device has no such limit.
  EXPECT_TRUE(resolvePrefillChunk(40000, false, two, chunk, error)) << error;
}

} // namespace
