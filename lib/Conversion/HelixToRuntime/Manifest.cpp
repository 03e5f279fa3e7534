//===- Manifest.cpp - the JSON manifest a compiled module carries ---------===//
#include "helix/Conversion/HelixToRuntime/Manifest.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <nlohmann/json.hpp>

using namespace mlir;
using json = nlohmann::ordered_json;

namespace helix {
namespace {

/// Interns `entry` in (list, ids) and returns its id.
int64_t intern(std::vector<std::string> &list,
               std::map<std::string, int64_t> &ids, const json &entry) {
  std::string key = entry.dump();
  auto [it, inserted] = ids.try_emplace(key, static_cast<int64_t>(list.size()));
  if (inserted)
    list.push_back(key);
  return it->second;
}

json cacheJson(Type type) {
  if (auto kv = dyn_cast<KvCacheType>(type))
    return {{"kind", "kv"},           {"layers", kv.getLayers()},
            {"kv_heads", kv.getKvHeads()}, {"head_dim", kv.getHeadDim()},
            {"token_shards", kv.getTokenShards()}, {"block", kv.getBlock()}};
  auto latent = cast<LatentCacheType>(type);
  return {{"kind", "latent"},
          {"layers", latent.getLayers()},
          {"kv_lora_rank", latent.getKvLoraRank()},
          {"rope_dim", latent.getRopeDim()},
          {"token_shards", latent.getTokenShards()},
          {"block", latent.getBlock()}};
}

} // namespace

int64_t ManifestBuilder::weight(const WeightRef &ref) {
  json entry = {{"name", ref.name},
                {"shape", std::vector<int64_t>(ref.shape.begin(), ref.shape.end())}};
  entry["slice"] = nullptr;
  entry["owners"] = nullptr;
  if (ref.slice)
    entry["slice"] = {{"dim", ref.slice->dim},
                      {"parts", ref.slice->parts},
                      {"grid", ref.slice->grid},
                      {"axes", std::vector<int64_t>(ref.slice->axes.begin(),
                                                    ref.slice->axes.end())}};
  if (ref.owners)
    entry["owners"] = {{"grid", ref.owners->grid},
                       {"axes", std::vector<int64_t>(ref.owners->axes.begin(),
                                                     ref.owners->axes.end())},
                       {"parts", ref.owners->parts},
                       {"index", ref.owners->index}};
  return intern(weights, weightIds, entry);
}

std::vector<int64_t> ManifestBuilder::weightsOf(WeightUserOpInterface op) {
  SmallVector<WeightRef> refs;
  op.getWeights(refs);
  std::vector<int64_t> ids;
  for (const WeightRef &ref : refs)
    ids.push_back(weight(ref));
  return ids;
}

int64_t ManifestBuilder::rope(RopeAttr rope) {
  json entry = {{"theta", static_cast<double>(rope.getTheta())},
                {"scaling", stringifyRopeScaling(rope.getScaling()).str()},
                {"interleaved", rope.getLayout() == RopeLayout::interleaved},
                {"factor", static_cast<double>(rope.getFactor())},
                {"low_freq_factor", static_cast<double>(rope.getLowFreqFactor())},
                {"high_freq_factor", static_cast<double>(rope.getHighFreqFactor())},
                {"original_max_position", rope.getOriginalMaxPosition()},
                {"beta_fast", static_cast<double>(rope.getBetaFast())},
                {"beta_slow", static_cast<double>(rope.getBetaSlow())},
                {"mscale", static_cast<double>(rope.getMscale())},
                {"mscale_all_dim", static_cast<double>(rope.getMscaleAllDim())}};
  return intern(ropes, ropeIds, entry);
}

int64_t ManifestBuilder::group(StringRef grid, ArrayRef<int16_t> axes) {
  json entry = {{"grid", grid.str()},
                {"axes", std::vector<int64_t>(axes.begin(), axes.end())}};
  return intern(groups, groupIds, entry);
}

int64_t ManifestBuilder::moe(MoeExpertsOp op) {
  std::vector<int64_t> ids = weightsOf(cast<WeightUserOpInterface>(*op));
  int64_t experts = op.getNumExperts();
  json entry = {{"num_experts", experts},
                {"width", op.getIntermediateSize()},
                {"shared_width", op.getSharedIntermediateSize()}};
  json list = json::array();
  for (int64_t e = 0; e < experts; ++e)
    list.push_back({ids[3 * e], ids[3 * e + 1], ids[3 * e + 2]});
  entry["experts"] = list;
  entry["shared"] = nullptr;
  if (op.getSharedIntermediateSize() > 0)
    entry["shared"] = {ids[3 * experts], ids[3 * experts + 1],
                       ids[3 * experts + 2]};
  moes.push_back(entry.dump());
  return static_cast<int64_t>(moes.size()) - 1;
}

std::string ManifestBuilder::render() const {
  ModuleOp module = this->module; // getOps is not const
  json doc;
  doc["abi_version"] = 1;
  doc["target"] = target;
  if (auto model = module->getAttrOfType<ModelAttr>("helix.model")) {
    std::string dtype;
    llvm::raw_string_ostream os(dtype);
    os << model.getWeightDtype();
    doc["model"] = {{"architecture", model.getArchitecture().str()},
                    {"num_layers", model.getNumLayers()},
                    {"hidden_size", model.getHiddenSize()},
                    {"vocab_size", model.getVocabSize()},
                    {"weight_dtype", dtype}};
  }
  json layout = {{"kvp", 1}, {"tpa", 1}, {"tpf", 1}, {"ep", 1},
                 {"microbatches", 1}, {"kv_block", 1}};
  if (auto attr = module->getAttrOfType<LayoutAttr>("helix.layout"))
    layout = {{"kvp", attr.getKvp()}, {"tpa", attr.getTpa()},
              {"tpf", attr.getTpf()}, {"ep", attr.getEp()},
              {"microbatches", attr.getMicrobatches()},
              {"kv_block", attr.getKvBlock()}};
  doc["layout"] = layout;
  json grids = json::object();
  for (auto grid : module.getOps<shard::GridOp>())
    grids[grid.getSymName().str()] =
        std::vector<int64_t>(grid.getShape().begin(), grid.getShape().end());
  doc["grids"] = grids;
  doc["cache"] = nullptr;
  for (auto func : module.getOps<func::FuncOp>())
    for (Type type : func.getArgumentTypes())
      if (isa<KvCacheType, LatentCacheType>(type))
        doc["cache"] = cacheJson(type);
  auto parse = [](const std::vector<std::string> &list) {
    json array = json::array();
    for (const std::string &entry : list)
      array.push_back(json::parse(entry));
    return array;
  };
  doc["weights"] = parse(weights);
  doc["ropes"] = parse(ropes);
  doc["groups"] = parse(groups);
  doc["moe"] = parse(moes);
  return doc.dump();
}

} // namespace helix
