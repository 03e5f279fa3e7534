//===- Manifest.cpp - the JSON manifest a compiled module carries ---------===//
#include "helix/Conversion/HelixToRuntime/Manifest.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

using namespace mlir;

namespace helix {
namespace {

/// Interns `entry` in `list` (by its JSON) and returns its id.
template <class T>
int64_t intern(std::vector<T> &list, std::map<std::string, int64_t> &ids,
               T entry) {
  std::string key = helix_rt::manifest_schema::Writer::value(entry).dump();
  auto [it, inserted] = ids.try_emplace(key, static_cast<int64_t>(list.size()));
  if (inserted)
    list.push_back(std::move(entry));
  return it->second;
}

helix_rt::CacheSpec cacheSpec(Type type) {
  helix_rt::CacheSpec cache;
  if (auto kv = dyn_cast<KvCacheType>(type)) {
    cache.layers = kv.getLayers();
    cache.kvHeads = kv.getKvHeads();
    cache.headDim = kv.getHeadDim();
    cache.tokenShards = kv.getTokenShards();
    cache.block = kv.getBlock();
    return cache;
  }
  auto latent = cast<LatentCacheType>(type);
  cache.latent = true;
  cache.layers = latent.getLayers();
  cache.kvLoraRank = latent.getKvLoraRank();
  cache.ropeDim = latent.getRopeDim();
  cache.tokenShards = latent.getTokenShards();
  cache.block = latent.getBlock();
  return cache;
}

helix_rt::kernels::RopeScaling scaling(RopeScaling s) {
  switch (s) {
  case RopeScaling::llama3:
    return helix_rt::kernels::RopeScaling::Llama3;
  case RopeScaling::yarn:
    return helix_rt::kernels::RopeScaling::Yarn;
  default:
    return helix_rt::kernels::RopeScaling::None;
  }
}

} // namespace

int64_t ManifestBuilder::weight(const WeightRef &ref) {
  return intern(manifest.weights, weightIds, ref);
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
  helix_rt::kernels::RopeParams params;
  params.theta = rope.getTheta();
  params.scaling = scaling(rope.getScaling());
  params.interleaved = rope.getLayout() == RopeLayout::interleaved;
  params.factor = rope.getFactor();
  params.lowFreqFactor = rope.getLowFreqFactor();
  params.highFreqFactor = rope.getHighFreqFactor();
  params.originalMaxPosition = rope.getOriginalMaxPosition();
  params.betaFast = rope.getBetaFast();
  params.betaSlow = rope.getBetaSlow();
  params.mscale = rope.getMscale();
  params.mscaleAllDim = rope.getMscaleAllDim();
  return intern(manifest.ropes, ropeIds, params);
}

int64_t ManifestBuilder::group(StringRef grid, ArrayRef<int16_t> axes) {
  return intern(manifest.groups, groupIds,
                helix_rt::GroupSpec{grid.str(), {axes.begin(), axes.end()}});
}

int64_t ManifestBuilder::moe(MoeExpertsOp op) {
  std::vector<int64_t> ids = weightsOf(cast<WeightUserOpInterface>(*op));
  helix_rt::MoeSpec spec;
  spec.numExperts = op.getNumExperts();
  spec.width = op.getIntermediateSize();
  spec.sharedWidth = op.getSharedIntermediateSize();
  for (int64_t e = 0; e < spec.numExperts; ++e)
    spec.experts.push_back({ids[3 * e], ids[3 * e + 1], ids[3 * e + 2]});
  if (spec.sharedWidth > 0) {
    int64_t s = 3 * spec.numExperts;
    spec.shared = std::vector<int64_t>{ids[s], ids[s + 1], ids[s + 2]};
  }
  manifest.moes.push_back(std::move(spec));
  return static_cast<int64_t>(manifest.moes.size()) - 1;
}

FailureOr<std::string> ManifestBuilder::render() const {
  ModuleOp module = this->module; // getOps is not const
  helix_rt::Manifest doc = manifest;
  if (auto model = module->getAttrOfType<ModelAttr>("helix.model")) {
    llvm::raw_string_ostream dtype(doc.model.weightDtype);
    dtype << model.getWeightDtype();
    doc.model.architecture = model.getArchitecture().str();
    doc.model.numLayers = model.getNumLayers();
    doc.model.hiddenSize = model.getHiddenSize();
    doc.model.vocabSize = model.getVocabSize();
  }
  doc.layout.kvBlock = 1; // unsharded: every token on the one rank
  if (auto attr = module->getAttrOfType<LayoutAttr>("helix.layout"))
    doc.layout = attr.getLayout();
  for (auto grid : module.getOps<shard::GridOp>())
    doc.grids[grid.getSymName().str()] =
        std::vector<int64_t>(grid.getShape().begin(), grid.getShape().end());
  for (auto func : module.getOps<func::FuncOp>())
    for (Type type : func.getArgumentTypes())
      if (isa<KvCacheType, LatentCacheType>(type))
        doc.cache = cacheSpec(type);
  try {
    return helix_rt::writeManifest(doc);
  } catch (const nlohmann::json::exception &e) {
    return module.emitError("cannot write the manifest: ") << e.what();
  }
}

} // namespace helix
