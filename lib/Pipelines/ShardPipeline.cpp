//===- ShardPipeline.cpp - the whole Helix sharding pipeline --------------===//
#include "helix/Pipelines/ShardPipeline.h"
#include "helix/Dialect/Helix/Transforms/Passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace helix {

void buildShardPipeline(OpPassManager &pm,
                        const ShardPipelineOptions &options) {
  HelixSetLayoutOptions layout;
  layout.kvp = options.kvp;
  layout.tpa = options.tpa;
  layout.tpf = options.tpf;
  layout.ep = options.ep;
  layout.microbatches = options.microbatches;
  layout.kvBlock = options.kvBlock;
  layout.autoLayout = options.autoLayout;
  layout.ranks = options.ranks;
  layout.hardware = options.hardware;
  layout.context = options.context;
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

void registerShardPipeline() {
  PassPipelineRegistration<ShardPipelineOptions>(
      "helix-shard-pipeline",
      "Shard a decode step for N ranks with a Helix layout: KVP x TPA "
      "attention with LSE merge, TP/EP FFN, staggered KV, HOP-B",
      buildShardPipeline);
}

} // namespace helix
