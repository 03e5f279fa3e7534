//===- ModelConfig.cpp - Hugging Face config.json parsing and checks ------===//
#include "helix/Model/ModelConfig.h"
#include "helix/Model/Limits.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>
#include <sys/stat.h>

namespace helix {
namespace {

using json = nlohmann::json;

/// Typed, non-throwing access to the fields of one JSON object. The first
/// problem is kept; later reads become no-ops so callers can read a whole
/// config and check `ok()` once.
class FieldReader {
public:
  FieldReader(const json &object, std::string scope)
      : object(object), scope(std::move(scope)) {}

  bool ok() const { return error.empty(); }
  const std::string &message() const { return error; }
  bool has(const char *name) const {
    return object.contains(name) && !object[name].is_null();
  }

  int64_t requireInt(const char *name) {
    if (!ok())
      return 0;
    if (!has(name))
      return fail("missing required field '" + scope + name + "'"), 0;
    return readInt(name);
  }
  int64_t optionalInt(const char *name, int64_t fallback) {
    return ok() && has(name) ? readInt(name) : fallback;
  }
  int64_t requirePositive(const char *name) {
    int64_t value = requireInt(name);
    if (ok() && value <= 0)
      fail(field(name) + " must be positive, got " + std::to_string(value));
    return value;
  }
  double requireDouble(const char *name) {
    if (!ok())
      return 0;
    if (!has(name))
      return fail("missing required field '" + scope + name + "'"), 0;
    return readDouble(name);
  }
  double optionalDouble(const char *name, double fallback) {
    return ok() && has(name) ? readDouble(name) : fallback;
  }
  bool optionalBool(const char *name, bool fallback) {
    if (!ok() || !has(name))
      return fallback;
    if (!object[name].is_boolean())
      return fail(field(name) + " must be true or false, got " +
                  object[name].dump()),
             fallback;
    return object[name].get<bool>();
  }
  std::string optionalString(const char *name, const std::string &fallback) {
    if (!ok() || !has(name))
      return fallback;
    if (!object[name].is_string())
      return fail(field(name) + " must be a string, got " +
                  object[name].dump()),
             fallback;
    return object[name].get<std::string>();
  }
  void fail(const std::string &what) {
    if (ok())
      error = what;
  }
  std::string field(const char *name) const {
    return "field '" + scope + name + "'";
  }

private:
  int64_t readInt(const char *name) {
    const json &value = object[name];
    if (!value.is_number_integer())
      return fail(field(name) + " must be an integer, got " + value.dump()), 0;
    return value.get<int64_t>();
  }
  double readDouble(const char *name) {
    const json &value = object[name];
    if (!value.is_number())
      return fail(field(name) + " must be a number, got " + value.dump()), 0;
    return value.get<double>();
  }

  const json &object;
  std::string scope;
  std::string error;
};

bool parseRopeScaling(const json &config, ModelConfig &model,
                      std::string &error) {
  RopeConfig &rope = model.rope;
  if (!config.contains("rope_scaling") || config["rope_scaling"].is_null())
    return true;
  const json &scaling = config["rope_scaling"];
  if (!scaling.is_object()) {
    error = "field 'rope_scaling' must be an object or null";
    return false;
  }
  FieldReader reader(scaling, "rope_scaling.");
  // transformers accepts both spellings of the key.
  std::string type = reader.optionalString(
      "rope_type", reader.optionalString("type", "default"));
  bool isLlama = model.architecture == Architecture::Llama;
  if (type == "default") {
    rope.scaling = RopeScalingKind::None;
  } else if (type == "llama3" && isLlama) {
    rope.scaling = RopeScalingKind::Llama3;
    rope.factor = reader.requireDouble("factor");
    rope.lowFreqFactor = reader.requireDouble("low_freq_factor");
    rope.highFreqFactor = reader.requireDouble("high_freq_factor");
    rope.originalMaxPositions =
        reader.requirePositive("original_max_position_embeddings");
    if (reader.ok() && !(rope.highFreqFactor > rope.lowFreqFactor))
      reader.fail("field 'rope_scaling.high_freq_factor' must exceed "
                  "'rope_scaling.low_freq_factor'");
  } else if (type == "yarn" && !isLlama) {
    rope.scaling = RopeScalingKind::Yarn;
    rope.factor = reader.requireDouble("factor");
    rope.originalMaxPositions =
        reader.requirePositive("original_max_position_embeddings");
    rope.betaFast = reader.optionalDouble("beta_fast", 32.0);
    rope.betaSlow = reader.optionalDouble("beta_slow", 1.0);
    rope.mscale = reader.optionalDouble("mscale", 1.0);
    rope.mscaleAllDim = reader.optionalDouble("mscale_all_dim", 0.0);
    if (reader.ok() && !(rope.betaFast > rope.betaSlow))
      reader.fail("field 'rope_scaling.beta_fast' must exceed "
                  "'rope_scaling.beta_slow'");
  } else {
    reader.fail("field 'rope_scaling.rope_type' is '" + type +
                "'; supported for " + model.architectureName + ": " +
                (isLlama ? "'default', 'llama3'" : "'default', 'yarn'"));
  }
  if (reader.ok() && rope.scaling != RopeScalingKind::None &&
      !(rope.factor >= 1.0))
    reader.fail("field 'rope_scaling.factor' must be >= 1");
  error = reader.message();
  return reader.ok();
}

void parseLlama(FieldReader &reader, ModelConfig &model) {
  if (reader.optionalBool("mlp_bias", false))
    reader.fail("field 'mlp_bias' is true; only bias-free MLPs are supported");
  int64_t derived = model.numHeads > 0 ? model.hiddenSize / model.numHeads : 0;
  if (reader.ok() && !reader.has("head_dim") &&
      model.hiddenSize % model.numHeads != 0)
    reader.fail("field 'hidden_size' (" + std::to_string(model.hiddenSize) +
                ") must be divisible by 'num_attention_heads' (" +
                std::to_string(model.numHeads) + ")");
  model.headDim = reader.optionalInt("head_dim", derived);
  if (reader.ok() && model.headDim * model.numHeads != model.hiddenSize)
    reader.fail("field 'head_dim' (" + std::to_string(model.headDim) +
                ") times 'num_attention_heads' (" +
                std::to_string(model.numHeads) +
                ") must equal 'hidden_size' (" +
                std::to_string(model.hiddenSize) + ")");
  if (reader.ok() && model.numHeads % model.numKvHeads != 0)
    reader.fail("field 'num_attention_heads' (" +
                std::to_string(model.numHeads) +
                ") must be a multiple of 'num_key_value_heads' (" +
                std::to_string(model.numKvHeads) + ")");
  model.rope.interleaved = false;
}

void parseDeepseek(FieldReader &reader, ModelConfig &model) {
  MlaConfig mla;
  mla.qLoraRank = reader.optionalInt("q_lora_rank", 0);
  if (reader.ok() && mla.qLoraRank < 0)
    reader.fail("field 'q_lora_rank' must be null or positive");
  mla.kvLoraRank = reader.requirePositive("kv_lora_rank");
  mla.qkNopeHeadDim = reader.requirePositive("qk_nope_head_dim");
  mla.qkRopeHeadDim = reader.requirePositive("qk_rope_head_dim");
  mla.vHeadDim = reader.requirePositive("v_head_dim");
  if (reader.ok() && mla.qkRopeHeadDim % 2 != 0)
    reader.fail("field 'qk_rope_head_dim' must be even");
  model.mla = mla;
  model.headDim = mla.qkHeadDim();

  std::string scoring = reader.optionalString("scoring_func", "sigmoid");
  if (reader.ok() && scoring != "sigmoid")
    reader.fail("field 'scoring_func' is '" + scoring +
                "'; only 'sigmoid' (DeepSeek-V3) is supported");
  std::string topkMethod = reader.optionalString("topk_method", "noaux_tc");
  if (reader.ok() && topkMethod != "noaux_tc")
    reader.fail("field 'topk_method' is '" + topkMethod +
                "'; only 'noaux_tc' is supported");

  MoeConfig moe;
  moe.numRoutedExperts = reader.requirePositive("n_routed_experts");
  moe.expertsPerToken = reader.requirePositive("num_experts_per_tok");
  moe.intermediateSize = reader.requirePositive("moe_intermediate_size");
  moe.numSharedExperts = reader.optionalInt("n_shared_experts", 0);
  moe.numGroups = reader.optionalInt("n_group", 1);
  moe.topkGroup = reader.optionalInt("topk_group", 1);
  moe.firstKDenseReplace = reader.optionalInt("first_k_dense_replace", 0);
  moe.layerFreq = reader.optionalInt("moe_layer_freq", 1);
  moe.normTopkProb = reader.optionalBool("norm_topk_prob", true);
  moe.routedScalingFactor = reader.optionalDouble("routed_scaling_factor", 1.0);
  if (!reader.ok())
    return;
  auto str = [](int64_t v) { return std::to_string(v); };
  if (moe.numSharedExperts < 0)
    reader.fail("field 'n_shared_experts' must not be negative");
  else if (moe.numGroups <= 0 || moe.numRoutedExperts % moe.numGroups != 0)
    reader.fail("field 'n_group' (" + str(moe.numGroups) +
                ") must be positive and divide 'n_routed_experts' (" +
                str(moe.numRoutedExperts) + ")");
  else if (moe.topkGroup <= 0 || moe.topkGroup > moe.numGroups)
    reader.fail("field 'topk_group' (" + str(moe.topkGroup) +
                ") must be in 1..'n_group' (" + str(moe.numGroups) + ")");
  else if (moe.expertsPerToken >
           moe.topkGroup * (moe.numRoutedExperts / moe.numGroups))
    reader.fail("field 'num_experts_per_tok' (" + str(moe.expertsPerToken) +
                ") exceeds the experts in 'topk_group' groups");
  else if (moe.firstKDenseReplace < 0 ||
           moe.firstKDenseReplace > model.numLayers)
    reader.fail("field 'first_k_dense_replace' must be in 0..num_hidden_layers");
  else if (moe.layerFreq <= 0)
    reader.fail("field 'moe_layer_freq' must be positive");
  else if (!(moe.routedScalingFactor > 0))
    reader.fail("field 'routed_scaling_factor' must be positive");
  model.moe = moe;
  model.rope.interleaved = reader.optionalBool("rope_interleave", true);
}

/// A size and its bound (helix/Model/Limits.h).
struct Limit {
  const char *field;
  int64_t value, max;
};

bool checkLimits(const ModelConfig &model, std::string &error) {
  std::vector<Limit> checks = {
      {"num_hidden_layers", model.numLayers, limits::kMaxLayers},
      {"hidden_size", model.hiddenSize, limits::kMaxHidden},
      {"intermediate_size", model.intermediateSize, limits::kMaxIntermediate},
      {"num_attention_heads", model.numHeads, limits::kMaxHeads},
      {"num_key_value_heads", model.numKvHeads, limits::kMaxHeads},
      {"head_dim", model.headDim, limits::kMaxHeadDim},
      {"vocab_size", model.vocabSize, limits::kMaxVocab},
      {"max_position_embeddings", model.maxPositionEmbeddings,
       limits::kMaxPositions}};
  if (model.mla)
    checks.push_back({"kv_lora_rank", model.mla->kvLoraRank,
                      limits::kMaxKvLoraRank});
  if (model.moe) {
    checks.push_back(
        {"n_routed_experts", model.moe->numRoutedExperts, limits::kMaxExperts});
    checks.push_back({"moe_intermediate_size", model.moe->intermediateSize,
                      limits::kMaxIntermediate});
    checks.push_back({"n_shared_experts", model.moe->numSharedExperts,
                      limits::kMaxSharedExperts});
  }
  for (const Limit &l : checks)
    if (l.value > l.max) {
      error = "field '" + std::string(l.field) + "' is " +
              std::to_string(l.value) + ", above the largest supported (" +
              std::to_string(l.max) + ")";
      return false;
    }
  if (model.maxPositionEmbeddings <= 0) {
    error = "field 'max_position_embeddings' must be positive, got " +
            std::to_string(model.maxPositionEmbeddings);
    return false;
  }
  return true;
}

} // namespace

bool ModelConfig::isMoeLayer(int64_t layer) const {
  return moe && layer >= moe->firstKDenseReplace &&
         layer % moe->layerFreq == 0;
}

int64_t ModelConfig::weightBytesPerElement() const {
  return torchDtype == "float32" ? 4 : 2;
}

int64_t ModelConfig::kvBytesPerTokenPerLayer(int64_t bytesPerElement) const {
  if (mla)
    return (mla->kvLoraRank + mla->qkRopeHeadDim) * bytesPerElement;
  return 2 * numKvHeads * headDim * bytesPerElement;
}

double yarnMscale(double scale, double mscale) {
  return scale <= 1.0 ? 1.0 : 0.1 * mscale * std::log(scale) + 1.0;
}

double ModelConfig::attentionScale() const {
  double scale = 1.0 / std::sqrt(static_cast<double>(headDim));
  if (rope.scaling == RopeScalingKind::Yarn && rope.mscaleAllDim != 0.0) {
    double m = yarnMscale(rope.factor, rope.mscaleAllDim);
    scale *= m * m;
  }
  return scale;
}

std::optional<ModelConfig> parseModelConfig(const std::string &jsonText,
                                            std::string &error) {
  json config = json::parse(jsonText, nullptr, /*allow_exceptions=*/false);
  if (config.is_discarded()) {
    error = "config is not valid JSON";
    return std::nullopt;
  }
  if (!config.is_object()) {
    error = "config must be a JSON object";
    return std::nullopt;
  }
  ModelConfig model;
  FieldReader reader(config, "");
  if (!config.contains("architectures") || !config["architectures"].is_array() ||
      config["architectures"].size() != 1 ||
      !config["architectures"][0].is_string()) {
    error = "field 'architectures' must be a list of one architecture name";
    return std::nullopt;
  }
  model.architectureName = config["architectures"][0].get<std::string>();
  if (model.architectureName == "LlamaForCausalLM") {
    model.architecture = Architecture::Llama;
  } else if (model.architectureName == "DeepseekV3ForCausalLM") {
    model.architecture = Architecture::DeepseekV3;
  } else {
    error = "field 'architectures' is '" + model.architectureName +
            "'; supported: LlamaForCausalLM, DeepseekV3ForCausalLM";
    return std::nullopt;
  }

  std::string act = reader.optionalString("hidden_act", "silu");
  if (reader.ok() && act != "silu")
    reader.fail("field 'hidden_act' is '" + act + "'; only 'silu' is supported");
  if (reader.optionalBool("attention_bias", false))
    reader.fail("field 'attention_bias' is true; only bias-free attention "
                "projections are supported");
  model.hiddenSize = reader.requirePositive("hidden_size");
  model.intermediateSize = reader.requirePositive("intermediate_size");
  model.numLayers = reader.requirePositive("num_hidden_layers");
  model.numHeads = reader.requirePositive("num_attention_heads");
  model.numKvHeads = reader.optionalInt("num_key_value_heads", model.numHeads);
  if (reader.ok() && model.numKvHeads <= 0)
    reader.fail("field 'num_key_value_heads' must be positive");
  model.vocabSize = reader.requirePositive("vocab_size");
  model.maxPositionEmbeddings =
      reader.optionalInt("max_position_embeddings", 2048);
  model.rmsNormEps = reader.optionalDouble("rms_norm_eps", 1e-6);
  if (reader.ok() && !(model.rmsNormEps > 0))
    reader.fail("field 'rms_norm_eps' must be positive");
  model.rope.theta = reader.optionalDouble("rope_theta", 10000.0);
  if (reader.ok() && !(model.rope.theta > 0))
    reader.fail("field 'rope_theta' must be positive");
  model.tieWordEmbeddings = reader.optionalBool("tie_word_embeddings", false);
  model.torchDtype = reader.optionalString("torch_dtype", "float32");
  if (reader.ok() && model.torchDtype != "float32" &&
      model.torchDtype != "bfloat16" && model.torchDtype != "float16")
    reader.fail("field 'torch_dtype' is '" + model.torchDtype +
                "'; supported: float32, bfloat16, float16");
  if (reader.ok()) {
    if (model.architecture == Architecture::Llama)
      parseLlama(reader, model);
    else
      parseDeepseek(reader, model);
  }
  if (!reader.ok()) {
    error = reader.message();
    return std::nullopt;
  }
  if (!parseRopeScaling(config, model, error))
    return std::nullopt;
  if (!checkLimits(model, error))
    return std::nullopt;
  return model;
}

std::optional<ModelConfig> loadModelConfig(const std::string &path,
                                           std::string &error,
                                           std::string *jsonText) {
  struct stat info;
  if (stat(path.c_str(), &info) != 0) {
    error = "cannot read '" + path + "': no such file or directory";
    return std::nullopt;
  }
  std::string file = S_ISDIR(info.st_mode) ? path + "/config.json" : path;
  std::ifstream in(file);
  if (!in) {
    error = "cannot read '" + file + "'";
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  std::optional<ModelConfig> model = parseModelConfig(text.str(), error);
  if (!model)
    error = file + ": " + error;
  else if (jsonText)
    *jsonText = text.str();
  return model;
}

} // namespace helix
