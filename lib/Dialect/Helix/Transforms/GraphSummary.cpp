//===- GraphSummary.cpp - print what one decode step does -----------------===//
#include "helix/Dialect/Helix/IR/HelixOps.h"
#include "helix/Dialect/Helix/Transforms/Passes.h"

#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

namespace helix {
#define GEN_PASS_DEF_HELIXGRAPHSUMMARY
#include "helix/Dialect/Helix/Transforms/Passes.h.inc"
} // namespace helix

using namespace mlir;
using namespace helix;

namespace {

struct CacheFacts {
  int64_t layers = 0;
  int64_t bytesPerTokenPerLayer = 0;
  Type elementType;
};

std::optional<CacheFacts> cacheFacts(Type type) {
  if (auto kv = dyn_cast<KvCacheType>(type))
    return CacheFacts{kv.getLayers(), kv.getBytesPerTokenPerLayer(),
                      kv.getElementType()};
  if (auto latent = dyn_cast<LatentCacheType>(type))
    return CacheFacts{latent.getLayers(), latent.getBytesPerTokenPerLayer(),
                      latent.getElementType()};
  return std::nullopt;
}

/// "405.85 B ", "4.16 M ", or "" below a thousand.
std::string humanCount(int64_t count) {
  static const std::pair<double, const char *> units[] = {
      {1e9, "B"}, {1e6, "M"}, {1e3, "K"}};
  for (const auto &[scale, suffix] : units)
    if (count >= scale)
      return llvm::formatv("{0:F2} {1} ", count / scale, suffix).str();
  return "";
}

struct HelixGraphSummaryPass
    : public helix::impl::HelixGraphSummaryBase<HelixGraphSummaryPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    llvm::MapVector<StringRef, int64_t> opCounts;
    llvm::StringMap<int64_t> weights; // name -> elements, each name once
    std::optional<CacheFacts> cache;
    module.walk([&](Operation *op) {
      if (isa<ModuleOp>(op))
        return;
      ++opCounts[op->getName().getStringRef()];
      if (auto user = dyn_cast<WeightUserOpInterface>(op)) {
        SmallVector<WeightRef> refs;
        user.getWeights(refs);
        for (const WeightRef &ref : refs)
          weights.try_emplace(ref.name, ref.numElements());
      }
      for (Value result : op->getResults())
        if (!cache)
          cache = cacheFacts(result.getType());
    });

    llvm::raw_ostream &os = llvm::outs();
    if (auto model = module->getAttrOfType<ModelAttr>("helix.model")) {
      os << "model:              " << model.getArchitecture() << "\n";
      os << "layers:             " << model.getNumLayers() << "\n";
      os << "hidden size:        " << model.getHiddenSize() << "\n";
      os << "vocabulary:         " << model.getVocabSize() << "\n";
    }
    int64_t parameters = 0;
    for (const auto &entry : weights)
      parameters += entry.second;
    os << "parameters:         " << parameters << " (" << humanCount(parameters)
       << "in " << weights.size() << " tensors)\n";
    if (cache) {
      os << "kv bytes per token: "
         << cache->layers * cache->bytesPerTokenPerLayer << " ("
         << cache->bytesPerTokenPerLayer << " per layer, "
         << cache->elementType << ")\n";
    }
    os << "ops per decode step:\n";
    for (const auto &[name, count] : opCounts)
      os << "  " << llvm::left_justify(name, 24) << count << "\n";
    markAllAnalysesPreserved();
  }
};

} // namespace
