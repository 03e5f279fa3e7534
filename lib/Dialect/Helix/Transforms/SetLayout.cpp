//===- SetLayout.cpp - check a Helix layout and declare its grids ---------===//
#include "helix/Dialect/Helix/IR/HelixOps.h"
#include "helix/Dialect/Helix/Transforms/LayoutUtils.h"
#include "helix/Dialect/Helix/Transforms/Passes.h"
#include "helix/Planner/AutoLayout.h"
#include "helix/Sharding/Layout.h"

#include "mlir/IR/Builders.h"

namespace helix {
#define GEN_PASS_DEF_HELIXSETLAYOUT
#include "helix/Dialect/Helix/Transforms/Passes.h.inc"
} // namespace helix

using namespace mlir;
using namespace helix;

namespace {

/// The sizes the layout rules need, read off the imported graph (the
/// module's config, if any, is not consulted: the graph is what is sharded).
ModelShape readModelShape(ModuleOp module) {
  ModelShape shape;
  module.walk([&](Operation *op) {
    if (auto attn = dyn_cast<GqaAttentionOp>(op)) {
      shape.queryHeads = attn.getNumHeads();
      shape.kvHeads = attn.getCache().getType().getKvHeads();
      ++shape.layers;
    } else if (auto attn = dyn_cast<MlaAttentionOp>(op)) {
      shape.queryHeads = attn.getNumHeads();
      shape.kvHeads = 1;
      shape.mla = true;
      ++shape.layers;
    } else if (auto mlp = dyn_cast<SwigluMlpOp>(op)) {
      shape.denseFfn = mlp.getIntermediateSize();
    } else if (auto moe = dyn_cast<MoeExpertsOp>(op)) {
      shape.experts = moe.getNumExperts();
      shape.expertFfn = moe.getIntermediateSize();
      shape.sharedFfn = moe.getSharedIntermediateSize();
      ++shape.moeLayers;
    }
  });
  return shape;
}

struct HelixSetLayoutPass
    : public helix::impl::HelixSetLayoutBase<HelixSetLayoutPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (module->hasAttr("helix.layout")) {
      module.emitError("module already has a helix.layout");
      return signalPassFailure();
    }
    Layout layout{kvp, tpa, tpf, ep, microbatches, kvBlock};
    if (autoLayout && failed(chooseAutomatically(module, layout)))
      return signalPassFailure();
    ModelShape shape = readModelShape(module);
    if (shape.queryHeads == 0) {
      module.emitError("helix-set-layout found no attention op to shard");
      return signalPassFailure();
    }
    if (std::optional<std::string> error =
            sharding::validateLayout(layout, shape)) {
      module.emitError("layout ") << layout.str() << " cannot run this model: "
                                  << *error;
      return signalPassFailure();
    }
    MLIRContext *ctx = module.getContext();
    module->setAttr("helix.layout", LayoutAttr::get(ctx, layout));
    OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
    shard::GridOp::create(b, module.getLoc(), kAttentionGrid,
                          ArrayRef<int64_t>{layout.kvp, layout.tpa});
    shard::GridOp::create(b, module.getLoc(), kFfnGrid,
                          ArrayRef<int64_t>{layout.ep, layout.tpf});
  }

  /// The planner's layout for `ranks` GPUs, from the imported config.
  LogicalResult chooseAutomatically(ModuleOp module, Layout &layout) {
    auto text = module->getAttrOfType<StringAttr>("helix.hf_config");
    if (!text)
      return module.emitError("helix-set-layout auto needs the helix.hf_config "
                              "attribute that helix-import attaches");
    if (ranks < 1)
      return module.emitError("helix-set-layout auto needs ranks >= 1, got ")
             << static_cast<int64_t>(ranks);
    std::string error;
    std::optional<ModelConfig> config =
        parseModelConfig(text.getValue().str(), error);
    if (!config)
      return module.emitError("helix.hf_config: ") << error;
    auto choice = planner::chooseHelixLayout(*config, hardware, context,
                                             ranks, error);
    if (!choice)
      return module.emitError("auto layout: ") << error;
    int64_t kvBlock = layout.kvBlock; // not the planner's to choose
    layout = choice->layout;
    layout.kvBlock = kvBlock;
    // Not at the module: its location line would echo the whole config.
    mlir::emitRemark(UnknownLoc::get(module.getContext()),
                     "helix-set-layout: auto layout for ")
        << static_cast<int64_t>(ranks) << " ranks of "
        << static_cast<std::string>(hardware) << " at "
        << static_cast<int64_t>(context) << " tokens: " << layout.str();
    return success();
  }
};

} // namespace
