//===- DecodeGraphTest.cpp - the imported graph reads the right tensors ---===//
#include "helix/Dialect/Helix/IR/HelixOps.h"
#include "helix/Import/DecodeGraph.h"

#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

#include <set>

using namespace helix;

namespace {

ModelConfig tinyLlama() {
  ModelConfig config;
  config.architectureName = "LlamaForCausalLM";
  config.hiddenSize = 32;
  config.intermediateSize = 48;
  config.numLayers = 2;
  config.numHeads = 4;
  config.numKvHeads = 2;
  config.headDim = 8;
  config.vocabSize = 50;
  return config;
}

ModelConfig tinyDeepseek(int64_t qLoraRank) {
  ModelConfig config = tinyLlama();
  config.architecture = Architecture::DeepseekV3;
  config.architectureName = "DeepseekV3ForCausalLM";
  config.numLayers = 3;
  config.numKvHeads = config.numHeads;
  config.mla = MlaConfig{qLoraRank, 16, 8, 4, 8};
  config.headDim = 12;
  MoeConfig moe;
  moe.numRoutedExperts = 4;
  moe.numSharedExperts = 1;
  moe.expertsPerToken = 2;
  moe.intermediateSize = 16;
  moe.firstKDenseReplace = 1;
  config.moe = moe;
  return config;
}

/// name -> shape of every tensor the module reads.
std::map<std::string, std::vector<int64_t>> weightsOf(mlir::ModuleOp module) {
  std::map<std::string, std::vector<int64_t>> weights;
  module.walk([&](WeightUserOpInterface op) {
    llvm::SmallVector<WeightRef> refs;
    op.getWeights(refs);
    for (const WeightRef &ref : refs)
      weights[ref.name] = std::vector<int64_t>(ref.shape.begin(), ref.shape.end());
  });
  return weights;
}

TEST(DecodeGraph, LlamaReadsHuggingFaceTensors) {
  mlir::MLIRContext context;
  auto module = buildDecodeGraph(context, tinyLlama());
  ASSERT_TRUE(module);
  auto weights = weightsOf(*module);
  using Shape = std::vector<int64_t>;
  EXPECT_EQ(weights["model.embed_tokens.weight"], (Shape{50, 32}));
  EXPECT_EQ(weights["lm_head.weight"], (Shape{50, 32}));
  EXPECT_EQ(weights["model.norm.weight"], (Shape{32}));
  for (int layer = 0; layer < 2; ++layer) {
    std::string p = "model.layers." + std::to_string(layer) + ".";
    EXPECT_EQ(weights[p + "self_attn.q_proj.weight"], (Shape{32, 32}));
    EXPECT_EQ(weights[p + "self_attn.k_proj.weight"], (Shape{16, 32}));
    EXPECT_EQ(weights[p + "self_attn.v_proj.weight"], (Shape{16, 32}));
    EXPECT_EQ(weights[p + "self_attn.o_proj.weight"], (Shape{32, 32}));
    EXPECT_EQ(weights[p + "mlp.gate_proj.weight"], (Shape{48, 32}));
    EXPECT_EQ(weights[p + "mlp.up_proj.weight"], (Shape{48, 32}));
    EXPECT_EQ(weights[p + "mlp.down_proj.weight"], (Shape{32, 48}));
    EXPECT_EQ(weights[p + "input_layernorm.weight"], (Shape{32}));
    EXPECT_EQ(weights[p + "post_attention_layernorm.weight"], (Shape{32}));
  }
  EXPECT_EQ(weights.size(), 3u + 2u * 9u);
}

TEST(DecodeGraph, TiedEmbeddingsHaveNoLmHead) {
  mlir::MLIRContext context;
  ModelConfig config = tinyLlama();
  config.tieWordEmbeddings = true;
  auto module = buildDecodeGraph(context, config);
  ASSERT_TRUE(module);
  auto weights = weightsOf(*module);
  EXPECT_EQ(weights.count("lm_head.weight"), 0u);
  EXPECT_EQ(weights.size(), 2u + 2u * 9u);
}

TEST(DecodeGraph, DeepseekReadsMlaAndMoeTensors) {
  mlir::MLIRContext context;
  auto module = buildDecodeGraph(context, tinyDeepseek(/*qLoraRank=*/24));
  ASSERT_TRUE(module);
  auto weights = weightsOf(*module);
  using Shape = std::vector<int64_t>;
  std::string a = "model.layers.1.self_attn.";
  EXPECT_EQ(weights[a + "q_a_proj.weight"], (Shape{24, 32}));
  EXPECT_EQ(weights[a + "q_a_layernorm.weight"], (Shape{24}));
  EXPECT_EQ(weights[a + "q_b_proj.weight"], (Shape{4 * 12, 24}));
  EXPECT_EQ(weights[a + "kv_a_proj_with_mqa.weight"], (Shape{16 + 4, 32}));
  EXPECT_EQ(weights[a + "kv_a_layernorm.weight"], (Shape{16}));
  EXPECT_EQ(weights[a + "kv_b_proj.weight"], (Shape{4 * (8 + 8), 16}));
  EXPECT_EQ(weights[a + "o_proj.weight"], (Shape{32, 4 * 8}));
  EXPECT_EQ(weights["model.layers.0.mlp.gate_proj.weight"], (Shape{48, 32}));
  std::string m = "model.layers.1.mlp.";
  EXPECT_EQ(weights.count(m + "gate_proj.weight"), 0u);
  EXPECT_EQ(weights[m + "gate.weight"], (Shape{4, 32}));
  EXPECT_EQ(weights[m + "gate.e_score_correction_bias"], (Shape{4}));
  EXPECT_EQ(weights[m + "experts.3.down_proj.weight"], (Shape{32, 16}));
  EXPECT_EQ(weights[m + "shared_experts.up_proj.weight"], (Shape{16, 32}));
  EXPECT_EQ(weights.count(m + "experts.4.down_proj.weight"), 0u);
}

TEST(DecodeGraph, DeepseekWithoutQLoraUsesQProj) {
  mlir::MLIRContext context;
  auto module = buildDecodeGraph(context, tinyDeepseek(/*qLoraRank=*/0));
  ASSERT_TRUE(module);
  auto weights = weightsOf(*module);
  EXPECT_EQ(weights.count("model.layers.0.self_attn.q_proj.weight"), 1u);
  EXPECT_EQ(weights.count("model.layers.0.self_attn.q_a_proj.weight"), 0u);
}

TEST(DecodeGraph, ThreadsOneCacheThroughEveryLayer) {
  mlir::MLIRContext context;
  auto module = buildDecodeGraph(context, tinyLlama());
  ASSERT_TRUE(module);
  int appends = 0;
  module->walk([&](KvAppendOp op) {
    EXPECT_EQ(op.getLayer(), appends);
    ++appends;
  });
  EXPECT_EQ(appends, 2);
}

} // namespace
