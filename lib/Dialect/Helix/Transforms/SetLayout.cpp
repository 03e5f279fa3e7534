//===- SetLayout.cpp - check a Helix layout and declare its grids ---------===//
#include "helix/Dialect/Helix/IR/HelixOps.h"
#include "helix/Dialect/Helix/Transforms/LayoutUtils.h"
#include "helix/Dialect/Helix/Transforms/Passes.h"
#include "helix/Sharding/Layout.h"

#include "mlir/IR/Builders.h"

namespace helix {
#define GEN_PASS_DEF_HELIXSETLAYOUT
#include "helix/Dialect/Helix/Transforms/Passes.h.inc"
} // namespace helix

using namespace mlir;
using namespace helix;

namespace {

/// The sizes the layout rules need, read off the imported graph.
sharding::ModelShape readModelShape(ModuleOp module) {
  sharding::ModelShape shape;
  module.walk([&](Operation *op) {
    if (auto attn = dyn_cast<GqaAttentionOp>(op)) {
      shape.numHeads = attn.getNumHeads();
      shape.numKvHeads = attn.getCache().getType().getKvHeads();
    } else if (auto attn = dyn_cast<MlaAttentionOp>(op)) {
      shape.numHeads = attn.getNumHeads();
      shape.numKvHeads = 1;
      shape.mla = true;
    } else if (auto mlp = dyn_cast<SwigluMlpOp>(op)) {
      shape.denseFfnWidth = mlp.getIntermediateSize();
    } else if (auto moe = dyn_cast<MoeExpertsOp>(op)) {
      shape.numExperts = moe.getNumExperts();
      shape.expertWidth = moe.getIntermediateSize();
      shape.sharedExpertWidth = moe.getSharedIntermediateSize();
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
    sharding::Layout layout{kvp, tpa, tpf, ep, microbatches, kvBlock};
    sharding::ModelShape shape = readModelShape(module);
    if (shape.numHeads == 0) {
      module.emitError("helix-set-layout found no attention op to shard");
      return signalPassFailure();
    }
    if (std::optional<std::string> error =
            sharding::validateLayout(layout, shape)) {
      module.emitError("layout ") << layout.str() << " cannot run this model: "
                                  << *error;
      return signalPassFailure();
    }
    MLIRContext *context = module.getContext();
    module->setAttr("helix.layout",
                    LayoutAttr::get(context, kvp, tpa, tpf, ep, microbatches,
                                    kvBlock));
    OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
    shard::GridOp::create(b, module.getLoc(), kAttentionGrid,
                          ArrayRef<int64_t>{kvp, tpa});
    shard::GridOp::create(b, module.getLoc(), kFfnGrid,
                          ArrayRef<int64_t>{ep, tpf});
  }
};

} // namespace
