//===- ValidateLayoutTest.cpp - every layout rule, with its exact message -===//
#include "ShardingTestUtils.h"

#include <gtest/gtest.h>

using namespace helix::sharding;
using namespace helix::sharding::testing;

namespace {

Layout makeLayout(int64_t kvp, int64_t tpa, int64_t tpf, int64_t ep) {
  Layout layout;
  layout.kvp = kvp;
  layout.tpa = tpa;
  layout.tpf = tpf;
  layout.ep = ep;
  return layout;
}

std::string errorOf(const Layout &layout, const ModelShape &model) {
  std::optional<std::string> message = validateLayout(layout, model);
  return message ? *message : "<accepted>";
}

TEST(ValidateLayoutTest, AcceptsRealLayouts) {
  EXPECT_EQ(validateLayout(llama405bLayout(), llama405bShape()), std::nullopt);
  EXPECT_EQ(validateLayout(deepseekR1Layout(), deepseekR1Shape()),
            std::nullopt);
  EXPECT_EQ(validateLayout(sixHeadsLayout(), sixHeadsShape()), std::nullopt);
  // Plain TP (kvp = 1) and plain KVP (tpa = 1) are Helix layouts too.
  EXPECT_EQ(validateLayout(makeLayout(1, 8, 8, 1), llama405bShape()),
            std::nullopt);
  EXPECT_EQ(validateLayout(makeLayout(64, 1, 64, 1), llama405bShape()),
            std::nullopt);
  EXPECT_EQ(validateLayout(Layout(), llama405bShape()), std::nullopt);
  // R1 with TP inside expert groups: 256 experts over 8 groups of 8.
  EXPECT_EQ(validateLayout(makeLayout(64, 1, 8, 8), deepseekR1Shape()),
            std::nullopt);
}

TEST(ValidateLayoutTest, FactorsMustBePositive) {
  ModelShape model = llama405bShape();
  EXPECT_EQ(errorOf(makeLayout(0, 8, 64, 1), model), "kvp must be >= 1, got 0");
  EXPECT_EQ(errorOf(makeLayout(8, 0, 64, 1), model), "tpa must be >= 1, got 0");
  EXPECT_EQ(errorOf(makeLayout(8, 8, -2, 1), model),
            "tpf must be >= 1, got -2");
  EXPECT_EQ(errorOf(makeLayout(8, 8, 64, 0), model), "ep must be >= 1, got 0");
  Layout layout = llama405bLayout();
  layout.microbatches = 0;
  EXPECT_EQ(errorOf(layout, model), "microbatches must be >= 1, got 0");
  layout.microbatches = 1;
  layout.kvBlock = 0;
  EXPECT_EQ(errorOf(layout, model), "kv-block must be >= 1, got 0");
  // The first broken factor is named.
  EXPECT_EQ(errorOf(makeLayout(0, 0, 0, 0), model), "kvp must be >= 1, got 0");
}

TEST(ValidateLayoutTest, ModelSizesMustBeSane) {
  ModelShape model = llama405bShape();
  model.queryHeads = 0;
  EXPECT_EQ(errorOf(Layout(), model), "model: query heads must be >= 1, got 0");
  model = llama405bShape();
  model.kvHeads = 0;
  EXPECT_EQ(errorOf(Layout(), model), "model: KV heads must be >= 1, got 0");
  model = llama405bShape();
  model.kvHeads = 3;
  EXPECT_EQ(errorOf(Layout(), model),
            "model: query heads (128) must be a multiple of KV heads (3)");
  model = llama405bShape();
  model.denseFfn = -1;
  EXPECT_EQ(errorOf(Layout(), model),
            "model: dense FFN width must be >= 0, got -1");
  model = deepseekR1Shape();
  model.expertFfn = 0;
  EXPECT_EQ(errorOf(Layout(), model),
            "model: expert width must be >= 1 for a model with experts, got 0");
}

TEST(ValidateLayoutTest, WorldSizesMustMatch) {
  EXPECT_EQ(errorOf(makeLayout(2, 8, 8, 1), llama405bShape()),
            "kvp*tpa = 16 must equal tpf*ep = 8");
  EXPECT_EQ(errorOf(makeLayout(64, 1, 1, 32), deepseekR1Shape()),
            "kvp*tpa = 64 must equal tpf*ep = 32");
  EXPECT_EQ(errorOf(makeLayout(INT64_MAX, 2, 1, 1), llama405bShape()),
            "kvp*tpa or tpf*ep overflows 64 bits");
}

TEST(ValidateLayoutTest, TpaMustFitTheKvHeads) {
  EXPECT_EQ(errorOf(makeLayout(4, 16, 64, 1), llama405bShape()),
            "tpa = 16 exceeds the 8 KV heads");
  ModelShape model = sixHeadsShape(); // 3 KV heads
  EXPECT_EQ(errorOf(makeLayout(3, 2, 6, 1), model),
            "tpa = 2 must divide the 3 KV heads");
}

TEST(ValidateLayoutTest, MlaNeedsTpaOne) {
  EXPECT_EQ(errorOf(makeLayout(32, 2, 1, 64), deepseekR1Shape()),
            "tpa must be 1 for MLA (the latent cache is shared by all heads), "
            "got 2");
}

TEST(ValidateLayoutTest, QueryHeadsMustSplitOverN) {
  // 6 heads, 3 KV heads, N = 4 * 3 = 12.
  EXPECT_EQ(errorOf(makeLayout(4, 3, 12, 1), sixHeadsShape()),
            "query heads (6) must be divisible by N = kvp*tpa = 12");
}

TEST(ValidateLayoutTest, DenseFfnMustSplitOverN) {
  ModelShape model = llama405bShape();
  model.denseFfn = 53248 + 8;
  EXPECT_EQ(errorOf(llama405bLayout(), model),
            "dense FFN width 53256 must be divisible by N = 64 (dense layers "
            "run TP over all N ranks)");
}

TEST(ValidateLayoutTest, ExpertsMustSplitOverEp) {
  ModelShape model = deepseekR1Shape();
  model.experts = 96;
  EXPECT_EQ(errorOf(deepseekR1Layout(), model),
            "experts (96) must be divisible by ep = 64");
}

TEST(ValidateLayoutTest, ExpertWidthMustSplitOverTpf) {
  ModelShape model = deepseekR1Shape();
  model.expertFfn = 2048 + 4;
  EXPECT_EQ(errorOf(makeLayout(64, 1, 8, 8), model),
            "expert width 2052 must be divisible by tpf = 8");
}

TEST(ValidateLayoutTest, SharedExpertMustSplitOverN) {
  ModelShape model = deepseekR1Shape();
  model.sharedFfn = 2048 + 32;
  EXPECT_EQ(errorOf(deepseekR1Layout(), model),
            "shared-expert width 2080 must be divisible by N = 64 (shared "
            "experts are sharded over all N ranks)");
}

TEST(ValidateLayoutTest, EpNeedsExperts) {
  EXPECT_EQ(errorOf(makeLayout(8, 8, 32, 2), llama405bShape()),
            "ep = 2 needs a model with experts (this model has none)");
}

TEST(ValidateLayoutTest, RulesAreCheckedInOrder) {
  // Breaks the world size and the KV-head rule: world size comes first.
  EXPECT_EQ(errorOf(makeLayout(1, 16, 8, 1), llama405bShape()),
            "kvp*tpa = 16 must equal tpf*ep = 8");
  // Breaks the MLA rule and the expert split: MLA comes first.
  ModelShape model = deepseekR1Shape();
  model.experts = 100;
  EXPECT_EQ(errorOf(makeLayout(32, 2, 1, 64), model),
            "tpa must be 1 for MLA (the latent cache is shared by all heads), "
            "got 2");
  // Breaks the expert split and the expert width: experts come first.
  model = deepseekR1Shape();
  model.experts = 12;
  model.expertFfn = 100;
  EXPECT_EQ(errorOf(makeLayout(64, 1, 8, 8), model),
            "experts (12) must be divisible by ep = 8");
}

} // namespace
