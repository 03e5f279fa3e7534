//===- ShardPipeline.cpp - the whole Helix sharding pipeline --------------===//
#include "helix/Pipelines/ShardPipeline.h"
#include "helix/Dialect/Helix/Transforms/Passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace helix {

namespace {

/// The options helix-set-layout takes for `layout` (field by field only here:
/// pass options are MLIR's own syntax).
HelixSetLayoutOptions setLayoutOptions(const Layout &layout) {
  HelixSetLayoutOptions options;
  options.kvp = layout.kvp;
  options.tpa = layout.tpa;
  options.tpf = layout.tpf;
  options.ep = layout.ep;
  options.microbatches = layout.microbatches;
  options.kvBlock = layout.kvBlock;
  return options;
}

void addShardPasses(OpPassManager &pm, const HelixSetLayoutOptions &layout) {
  pm.addPass(createHelixSetLayout(layout));
  pm.addPass(createHelixShardAttention());
  pm.addPass(createHelixKvOwnership());
  pm.addPass(createHelixShardFfn());
  pm.addPass(createHelixShardLmHead());
  pm.addPass(createHelixVerifySharding());
  pm.addPass(createHelixHopb());
  // Micro-batch clones repeat rank and row arithmetic; fold the duplicates.
  pm.addPass(createCSEPass());
  pm.addPass(createHelixVerifySharding());
}

} // namespace

void buildShardPipelineForLayout(OpPassManager &pm, const Layout &layout) {
  addShardPasses(pm, setLayoutOptions(layout));
}

void buildShardPipeline(OpPassManager &pm,
                        const ShardPipelineOptions &options) {
  HelixSetLayoutOptions layout = setLayoutOptions(options.layout());
  layout.autoLayout = options.autoLayout;
  layout.ranks = options.ranks;
  layout.hardware = options.hardware;
  layout.context = options.context;
  addShardPasses(pm, layout);
}

void registerShardPipeline() {
  PassPipelineRegistration<ShardPipelineOptions>(
      "helix-shard-pipeline",
      "Shard a decode step for N ranks with a Helix layout: KVP x TPA "
      "attention with LSE merge, TP/EP FFN, staggered KV, HOP-B",
      buildShardPipeline);
}

} // namespace helix
