//===- Manifest.cpp - parse the manifest of a compiled module -------------===//
#include "Manifest.h"

#include <nlohmann/json.hpp>

namespace helix_rt {
namespace {

using json = nlohmann::json;

std::vector<int64_t> ints(const json &value) {
  return value.get<std::vector<int64_t>>();
}

kernels::RopeParams parseRope(const json &j) {
  kernels::RopeParams rope;
  rope.theta = j.at("theta").get<double>();
  std::string scaling = j.at("scaling").get<std::string>();
  rope.scaling = scaling == "llama3" ? kernels::RopeScaling::Llama3
                 : scaling == "yarn" ? kernels::RopeScaling::Yarn
                                     : kernels::RopeScaling::None;
  rope.interleaved = j.at("interleaved").get<bool>();
  rope.factor = j.at("factor").get<double>();
  rope.lowFreqFactor = j.at("low_freq_factor").get<double>();
  rope.highFreqFactor = j.at("high_freq_factor").get<double>();
  rope.originalMaxPosition = j.at("original_max_position").get<int64_t>();
  rope.betaFast = j.at("beta_fast").get<double>();
  rope.betaSlow = j.at("beta_slow").get<double>();
  rope.mscale = j.at("mscale").get<double>();
  rope.mscaleAllDim = j.at("mscale_all_dim").get<double>();
  return rope;
}

void parseInto(const json &doc, Manifest &m) {
  m.abiVersion = doc.at("abi_version").get<int64_t>();
  m.target = doc.value("target", std::string("cpu"));
  const json &model = doc.at("model");
  m.architecture = model.at("architecture").get<std::string>();
  m.numLayers = model.at("num_layers").get<int64_t>();
  m.hiddenSize = model.at("hidden_size").get<int64_t>();
  m.vocabSize = model.at("vocab_size").get<int64_t>();
  const json &layout = doc.at("layout");
  m.kvp = layout.at("kvp").get<int64_t>();
  m.tpa = layout.at("tpa").get<int64_t>();
  m.tpf = layout.at("tpf").get<int64_t>();
  m.ep = layout.at("ep").get<int64_t>();
  m.microbatches = layout.at("microbatches").get<int64_t>();
  m.kvBlock = layout.at("kv_block").get<int64_t>();
  for (const auto &[name, shape] : doc.at("grids").items())
    m.grids[name] = ints(shape);
  if (!doc.at("cache").is_null()) {
    const json &c = doc.at("cache");
    CacheSpec cache;
    cache.latent = c.at("kind").get<std::string>() == "latent";
    cache.layers = c.at("layers").get<int64_t>();
    if (cache.latent) {
      cache.kvLoraRank = c.at("kv_lora_rank").get<int64_t>();
      cache.ropeDim = c.at("rope_dim").get<int64_t>();
    } else {
      cache.kvHeads = c.at("kv_heads").get<int64_t>();
      cache.headDim = c.at("head_dim").get<int64_t>();
    }
    cache.tokenShards = c.at("token_shards").get<int64_t>();
    cache.block = c.at("block").get<int64_t>();
    m.cache = cache;
  }
  for (const json &w : doc.at("weights")) {
    WeightSpec spec;
    spec.name = w.at("name").get<std::string>();
    spec.shape = ints(w.at("shape"));
    if (!w.at("slice").is_null()) {
      const json &s = w.at("slice");
      spec.slice = SliceSpec{s.at("dim").get<int64_t>(), s.at("parts").get<int64_t>(),
                             s.at("grid").get<std::string>(), ints(s.at("axes"))};
    }
    if (!w.at("owners").is_null()) {
      const json &o = w.at("owners");
      spec.owners = OwnerSpec{o.at("grid").get<std::string>(), ints(o.at("axes")),
                              o.at("parts").get<int64_t>(),
                              o.at("index").get<int64_t>()};
    }
    m.weights.push_back(std::move(spec));
  }
  for (const json &r : doc.at("ropes"))
    m.ropes.push_back(parseRope(r));
  for (const json &g : doc.at("groups"))
    m.groups.push_back({g.at("grid").get<std::string>(), ints(g.at("axes"))});
  for (const json &e : doc.at("moe")) {
    MoeSpec moe;
    moe.numExperts = e.at("num_experts").get<int64_t>();
    moe.width = e.at("width").get<int64_t>();
    moe.sharedWidth = e.at("shared_width").get<int64_t>();
    for (const json &ids : e.at("experts"))
      moe.experts.push_back(ints(ids));
    if (!e.at("shared").is_null())
      moe.shared = ints(e.at("shared"));
    m.moes.push_back(std::move(moe));
  }
}

} // namespace

bool parseManifest(const std::string &text, Manifest &out, std::string &error) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    error = "the module's manifest is not a JSON object";
    return false;
  }
  try {
    parseInto(doc, out);
  } catch (const json::exception &e) {
    error = std::string("the module's manifest is malformed: ") + e.what();
    return false;
  }
  if (out.abiVersion != 1) {
    error = "the module has ABI version " + std::to_string(out.abiVersion) +
            "; this runtime reads version 1 (recompile the module)";
    return false;
  }
  if (out.target != "cpu" && out.target != "cuda") {
    error = "the module is for an unknown target '" + out.target + "'";
    return false;
  }
  if (!out.cache) {
    error = "the module's manifest has no cache";
    return false;
  }
  return true;
}

} // namespace helix_rt
