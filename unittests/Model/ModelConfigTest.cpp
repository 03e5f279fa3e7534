//===- ModelConfigTest.cpp - config.json parsing, field by field ----------===//
#include "helix/Model/ModelConfig.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>

using helix::Architecture;
using helix::ModelConfig;
using helix::RopeScalingKind;
using json = nlohmann::json;

namespace {

json llamaJson() {
  return json::parse(R"({
    "architectures": ["LlamaForCausalLM"], "hidden_act": "silu",
    "attention_bias": false, "mlp_bias": false,
    "hidden_size": 64, "intermediate_size": 160, "num_hidden_layers": 3,
    "num_attention_heads": 8, "num_key_value_heads": 2, "vocab_size": 300,
    "max_position_embeddings": 4096, "rms_norm_eps": 1e-5,
    "rope_theta": 500000.0, "tie_word_embeddings": true,
    "torch_dtype": "bfloat16",
    "rope_scaling": {"rope_type": "llama3", "factor": 8.0,
      "low_freq_factor": 1.0, "high_freq_factor": 4.0,
      "original_max_position_embeddings": 8192}})");
}

json deepseekJson() {
  return json::parse(R"({
    "architectures": ["DeepseekV3ForCausalLM"], "hidden_act": "silu",
    "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 4,
    "num_attention_heads": 4, "num_key_value_heads": 4, "vocab_size": 200,
    "q_lora_rank": 24, "kv_lora_rank": 16, "qk_nope_head_dim": 8,
    "qk_rope_head_dim": 4, "v_head_dim": 8, "n_routed_experts": 8,
    "n_shared_experts": 2, "num_experts_per_tok": 2, "n_group": 4,
    "topk_group": 2, "moe_intermediate_size": 32, "first_k_dense_replace": 1,
    "moe_layer_freq": 1, "norm_topk_prob": true, "routed_scaling_factor": 2.5,
    "scoring_func": "sigmoid", "topk_method": "noaux_tc",
    "rms_norm_eps": 1e-6, "rope_theta": 10000, "torch_dtype": "float32",
    "rope_scaling": {"type": "yarn", "factor": 40, "beta_fast": 32,
      "beta_slow": 1, "mscale": 1.0, "mscale_all_dim": 1.0,
      "original_max_position_embeddings": 4096}})");
}

std::optional<ModelConfig> parse(const json &config, std::string &error) {
  return helix::parseModelConfig(config.dump(), error);
}

/// Parses `config` expecting failure; returns the message.
std::string failure(const json &config) {
  std::string error;
  EXPECT_FALSE(parse(config, error).has_value());
  return error;
}

TEST(ModelConfig, LlamaFields) {
  std::string error;
  auto model = parse(llamaJson(), error);
  ASSERT_TRUE(model) << error;
  EXPECT_EQ(model->architecture, Architecture::Llama);
  EXPECT_EQ(model->architectureName, "LlamaForCausalLM");
  EXPECT_EQ(model->hiddenSize, 64);
  EXPECT_EQ(model->intermediateSize, 160);
  EXPECT_EQ(model->numLayers, 3);
  EXPECT_EQ(model->numHeads, 8);
  EXPECT_EQ(model->numKvHeads, 2);
  EXPECT_EQ(model->headDim, 8);
  EXPECT_EQ(model->vocabSize, 300);
  EXPECT_EQ(model->maxPositionEmbeddings, 4096);
  EXPECT_DOUBLE_EQ(model->rmsNormEps, 1e-5);
  EXPECT_TRUE(model->tieWordEmbeddings);
  EXPECT_EQ(model->torchDtype, "bfloat16");
  EXPECT_EQ(model->weightBytesPerElement(), 2);
  EXPECT_DOUBLE_EQ(model->rope.theta, 500000.0);
  EXPECT_EQ(model->rope.scaling, RopeScalingKind::Llama3);
  EXPECT_FALSE(model->rope.interleaved);
  EXPECT_DOUBLE_EQ(model->rope.factor, 8.0);
  EXPECT_DOUBLE_EQ(model->rope.lowFreqFactor, 1.0);
  EXPECT_DOUBLE_EQ(model->rope.highFreqFactor, 4.0);
  EXPECT_EQ(model->rope.originalMaxPositions, 8192);
  EXPECT_FALSE(model->mla.has_value());
  EXPECT_FALSE(model->moe.has_value());
  EXPECT_FALSE(model->isMoeLayer(1));
  EXPECT_EQ(model->kvBytesPerTokenPerLayer(2), 2 * 2 * 8 * 2);
  EXPECT_DOUBLE_EQ(model->attentionScale(), 1.0 / std::sqrt(8.0));
}

TEST(ModelConfig, LlamaDefaults) {
  json config = llamaJson();
  for (const char *field : {"num_key_value_heads", "rms_norm_eps", "rope_theta",
                            "tie_word_embeddings", "torch_dtype", "rope_scaling",
                            "max_position_embeddings", "hidden_act"})
    config.erase(field);
  std::string error;
  auto model = parse(config, error);
  ASSERT_TRUE(model) << error;
  EXPECT_EQ(model->numKvHeads, 8);
  EXPECT_DOUBLE_EQ(model->rmsNormEps, 1e-6);
  EXPECT_DOUBLE_EQ(model->rope.theta, 10000.0);
  EXPECT_FALSE(model->tieWordEmbeddings);
  EXPECT_EQ(model->torchDtype, "float32");
  EXPECT_EQ(model->rope.scaling, RopeScalingKind::None);
  EXPECT_EQ(model->maxPositionEmbeddings, 2048);
}

TEST(ModelConfig, LlamaExplicitHeadDimMustMatch) {
  json config = llamaJson();
  config["head_dim"] = 8;
  std::string error;
  EXPECT_TRUE(parse(config, error)) << error;
  config["head_dim"] = 16;
  EXPECT_NE(failure(config).find("'head_dim'"), std::string::npos);
}

TEST(ModelConfig, DeepseekFields) {
  std::string error;
  auto model = parse(deepseekJson(), error);
  ASSERT_TRUE(model) << error;
  EXPECT_EQ(model->architecture, Architecture::DeepseekV3);
  ASSERT_TRUE(model->mla);
  EXPECT_EQ(model->mla->qLoraRank, 24);
  EXPECT_EQ(model->mla->kvLoraRank, 16);
  EXPECT_EQ(model->mla->qkNopeHeadDim, 8);
  EXPECT_EQ(model->mla->qkRopeHeadDim, 4);
  EXPECT_EQ(model->mla->vHeadDim, 8);
  EXPECT_EQ(model->headDim, 12);
  ASSERT_TRUE(model->moe);
  EXPECT_EQ(model->moe->numRoutedExperts, 8);
  EXPECT_EQ(model->moe->numSharedExperts, 2);
  EXPECT_EQ(model->moe->expertsPerToken, 2);
  EXPECT_EQ(model->moe->numGroups, 4);
  EXPECT_EQ(model->moe->topkGroup, 2);
  EXPECT_EQ(model->moe->intermediateSize, 32);
  EXPECT_EQ(model->moe->firstKDenseReplace, 1);
  EXPECT_EQ(model->moe->layerFreq, 1);
  EXPECT_TRUE(model->moe->normTopkProb);
  EXPECT_DOUBLE_EQ(model->moe->routedScalingFactor, 2.5);
  EXPECT_FALSE(model->isMoeLayer(0));
  EXPECT_TRUE(model->isMoeLayer(1));
  EXPECT_TRUE(model->isMoeLayer(3));
  EXPECT_EQ(model->rope.scaling, RopeScalingKind::Yarn);
  EXPECT_TRUE(model->rope.interleaved);
  EXPECT_DOUBLE_EQ(model->rope.factor, 40.0);
  EXPECT_DOUBLE_EQ(model->rope.betaFast, 32.0);
  EXPECT_DOUBLE_EQ(model->rope.betaSlow, 1.0);
  EXPECT_DOUBLE_EQ(model->rope.mscale, 1.0);
  EXPECT_DOUBLE_EQ(model->rope.mscaleAllDim, 1.0);
  EXPECT_EQ(model->rope.originalMaxPositions, 4096);
  EXPECT_EQ(model->kvBytesPerTokenPerLayer(2), (16 + 4) * 2);
  double mscale = 0.1 * std::log(40.0) + 1.0;
  EXPECT_DOUBLE_EQ(model->attentionScale(),
                   mscale * mscale / std::sqrt(12.0));
}

TEST(ModelConfig, DeepseekWithoutQLora) {
  json config = deepseekJson();
  config["q_lora_rank"] = nullptr;
  config["rope_interleave"] = false;
  config["moe_layer_freq"] = 2;
  std::string error;
  auto model = parse(config, error);
  ASSERT_TRUE(model) << error;
  EXPECT_EQ(model->mla->qLoraRank, 0);
  EXPECT_FALSE(model->rope.interleaved);
  EXPECT_TRUE(model->isMoeLayer(2));
  EXPECT_FALSE(model->isMoeLayer(3));
}

TEST(ModelConfig, RejectsUnsupported) {
  json config = llamaJson();
  config["architectures"] = {"MistralForCausalLM"};
  EXPECT_NE(failure(config).find("'architectures' is 'MistralForCausalLM'"),
            std::string::npos);
  config = llamaJson();
  config["hidden_act"] = "gelu";
  EXPECT_NE(failure(config).find("'hidden_act' is 'gelu'"), std::string::npos);
  config = llamaJson();
  config["attention_bias"] = true;
  EXPECT_NE(failure(config).find("'attention_bias'"), std::string::npos);
  config = llamaJson();
  config["mlp_bias"] = true;
  EXPECT_NE(failure(config).find("'mlp_bias'"), std::string::npos);
  config = llamaJson();
  config["rope_scaling"]["rope_type"] = "yarn";
  EXPECT_NE(failure(config).find("'rope_scaling.rope_type' is 'yarn'"),
            std::string::npos);
  config = llamaJson();
  config["torch_dtype"] = "float8_e4m3fn";
  EXPECT_NE(failure(config).find("'torch_dtype'"), std::string::npos);
  config = deepseekJson();
  config["scoring_func"] = "softmax";
  EXPECT_NE(failure(config).find("'scoring_func' is 'softmax'"),
            std::string::npos);
  config = deepseekJson();
  config["topk_method"] = "greedy";
  EXPECT_NE(failure(config).find("'topk_method'"), std::string::npos);
}

TEST(ModelConfig, RejectsMissingAndMistypedFields) {
  for (const char *field : {"hidden_size", "intermediate_size",
                            "num_hidden_layers", "num_attention_heads",
                            "vocab_size"}) {
    json config = llamaJson();
    config.erase(field);
    EXPECT_EQ(failure(config),
              std::string("missing required field '") + field + "'");
  }
  for (const char *field : {"kv_lora_rank", "qk_nope_head_dim",
                            "qk_rope_head_dim", "v_head_dim",
                            "n_routed_experts", "num_experts_per_tok",
                            "moe_intermediate_size"}) {
    json config = deepseekJson();
    config.erase(field);
    EXPECT_EQ(failure(config),
              std::string("missing required field '") + field + "'");
  }
  json config = llamaJson();
  config["hidden_size"] = "64";
  EXPECT_EQ(failure(config),
            "field 'hidden_size' must be an integer, got \"64\"");
  config = llamaJson();
  config["num_hidden_layers"] = 0;
  EXPECT_EQ(failure(config), "field 'num_hidden_layers' must be positive, got 0");
  config = llamaJson();
  config["rope_scaling"].erase("factor");
  EXPECT_EQ(failure(config), "missing required field 'rope_scaling.factor'");
  EXPECT_EQ(failure(json::array()), "config must be a JSON object");
  std::string error;
  EXPECT_FALSE(helix::parseModelConfig("{not json", error));
  EXPECT_EQ(error, "config is not valid JSON");
}

TEST(ModelConfig, RejectsInconsistentSizes) {
  json config = llamaJson();
  config["num_attention_heads"] = 7;
  EXPECT_NE(failure(config).find("'hidden_size' (64) must be divisible by "
                                 "'num_attention_heads' (7)"),
            std::string::npos);
  config = llamaJson();
  config["num_key_value_heads"] = 3;
  EXPECT_NE(failure(config).find("'num_key_value_heads' (3)"),
            std::string::npos);
  config = deepseekJson();
  config["n_group"] = 3;
  EXPECT_NE(failure(config).find("'n_group' (3)"), std::string::npos);
  config = deepseekJson();
  config["topk_group"] = 5;
  EXPECT_NE(failure(config).find("'topk_group' (5)"), std::string::npos);
  config = deepseekJson();
  config["num_experts_per_tok"] = 5;
  EXPECT_NE(failure(config).find("'num_experts_per_tok' (5)"),
            std::string::npos);
  config = deepseekJson();
  config["first_k_dense_replace"] = 9;
  EXPECT_NE(failure(config).find("'first_k_dense_replace'"), std::string::npos);
  config = deepseekJson();
  config["qk_rope_head_dim"] = 5;
  EXPECT_NE(failure(config).find("'qk_rope_head_dim' must be even"),
            std::string::npos);
}

TEST(ModelConfig, LoadReportsPaths) {
  std::string error;
  EXPECT_FALSE(helix::loadModelConfig("/nonexistent/model", error));
  EXPECT_NE(error.find("/nonexistent/model"), std::string::npos);
}

TEST(ModelConfig, YarnMscale) {
  EXPECT_DOUBLE_EQ(helix::yarnMscale(1.0, 1.0), 1.0);
  EXPECT_DOUBLE_EQ(helix::yarnMscale(40.0, 0.707), 0.1 * 0.707 * std::log(40.0) + 1);
}

} // namespace

namespace {

TEST(ModelConfig, SizesPastAnyModelAreRefusedByName) {
  // Each would otherwise reach IR construction or an allocation (issue #15).
  const std::pair<const char *, int64_t> llama[] = {
      {"num_hidden_layers", int64_t(1) << 31},
      {"hidden_size", int64_t(1) << 40},
      {"vocab_size", int64_t(1) << 40},
      {"intermediate_size", int64_t(1) << 40},
      {"max_position_embeddings", int64_t(1) << 40}};
  for (auto [field, value] : llama) {
    json config = llamaJson();
    config[field] = value;
    std::string error = failure(config);
    EXPECT_NE(error.find(std::string("'") + field + "' is " +
                         std::to_string(value) + ", above the largest"),
              std::string::npos)
        << error;
  }
  json experts = deepseekJson();
  experts["n_routed_experts"] = int64_t(1) << 31;
  experts["n_group"] = 1;
  experts["topk_group"] = 1;
  EXPECT_NE(failure(experts).find("'n_routed_experts' is 2147483648, above"),
            std::string::npos);
  json noPositions = llamaJson();
  noPositions["max_position_embeddings"] = 0;
  EXPECT_NE(failure(noPositions).find("'max_position_embeddings' must be "
                                      "positive"),
            std::string::npos);
}

} // namespace
