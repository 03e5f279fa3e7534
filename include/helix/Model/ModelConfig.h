//===- ModelConfig.h - Hugging Face config.json, parsed and checked -*- C++ -*-===//
//
// Plain C++ (no MLIR), the base library (HelixModel) that the importer, the
// sharding rules, the planner, the passes and the tools build on: the one
// parser of config.json. Parsing never throws; every problem is reported as
// one message that names the offending config field.
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_MODEL_MODELCONFIG_H
#define HELIX_MODEL_MODELCONFIG_H

#include <cstdint>
#include <optional>
#include <string>

namespace helix {

enum class Architecture { Llama, DeepseekV3 };
enum class RopeScalingKind { None, Llama3, Yarn };

struct RopeConfig {
  double theta = 10000.0;
  RopeScalingKind scaling = RopeScalingKind::None;
  bool interleaved = false;
  double factor = 1.0;
  double lowFreqFactor = 1.0;  // llama3
  double highFreqFactor = 4.0; // llama3
  int64_t originalMaxPositions = 0;
  double betaFast = 32.0; // yarn
  double betaSlow = 1.0;  // yarn
  double mscale = 1.0;    // yarn
  double mscaleAllDim = 0.0;
};

/// Multi-head latent attention sizes (DeepSeek-V2/V3).
struct MlaConfig {
  int64_t qLoraRank = 0; // 0: queries use a plain q_proj
  int64_t kvLoraRank = 0;
  int64_t qkNopeHeadDim = 0;
  int64_t qkRopeHeadDim = 0;
  int64_t vHeadDim = 0;
  int64_t qkHeadDim() const { return qkNopeHeadDim + qkRopeHeadDim; }
};

/// DeepSeek-V3 mixture of experts.
struct MoeConfig {
  int64_t numRoutedExperts = 0;
  int64_t numSharedExperts = 0;
  int64_t expertsPerToken = 0;
  int64_t numGroups = 1;
  int64_t topkGroup = 1;
  int64_t intermediateSize = 0; // per routed expert
  int64_t firstKDenseReplace = 0;
  int64_t layerFreq = 1;
  bool normTopkProb = true;
  double routedScalingFactor = 1.0;
};

struct ModelConfig {
  Architecture architecture = Architecture::Llama;
  std::string architectureName;
  int64_t hiddenSize = 0;
  int64_t intermediateSize = 0; // dense FFN width
  int64_t numLayers = 0;
  int64_t numHeads = 0;
  int64_t numKvHeads = 0;
  int64_t headDim = 0; // GQA head size (MLA: see mla)
  int64_t vocabSize = 0;
  int64_t maxPositionEmbeddings = 0;
  double rmsNormEps = 1e-6;
  bool tieWordEmbeddings = false;
  std::string torchDtype = "float32";
  RopeConfig rope;
  std::optional<MlaConfig> mla;
  std::optional<MoeConfig> moe;

  /// Whether the FFN of `layer` is the MoE block (else dense SwiGLU).
  bool isMoeLayer(int64_t layer) const;
  /// Bytes of one checkpoint element (2 for bf16/f16, 4 for f32).
  int64_t weightBytesPerElement() const;
  /// Bytes one token adds to the cache of one layer, at `bytesPerElement`.
  int64_t kvBytesPerTokenPerLayer(int64_t bytesPerElement) const;
  /// The softmax scale Hugging Face uses (YaRN mscale included).
  double attentionScale() const;
};

/// Parses config.json text. On failure returns nullopt and sets `error` to
/// one line naming the field, e.g. "field 'hidden_act' is 'gelu'; ...".
std::optional<ModelConfig> parseModelConfig(const std::string &jsonText,
                                            std::string &error);

/// Reads `path` (a model directory holding config.json, or the file itself).
/// `jsonText`, when given, receives the file's text.
std::optional<ModelConfig> loadModelConfig(const std::string &path,
                                           std::string &error,
                                           std::string *jsonText = nullptr);

/// YaRN's attention-scale correction, 0.1 * m * ln(s) + 1 for s > 1.
double yarnMscale(double scale, double mscale);

} // namespace helix

#endif // HELIX_MODEL_MODELCONFIG_H
