//===- ShardLmHead.cpp - vocabulary-parallel LM head ----------------------===//
#include "helix/Dialect/Helix/IR/HelixOps.h"
#include "helix/Dialect/Helix/Transforms/Collectives.h"
#include "helix/Dialect/Helix/Transforms/LayoutUtils.h"
#include "helix/Dialect/Helix/Transforms/Passes.h"

namespace helix {
#define GEN_PASS_DEF_HELIXSHARDLMHEAD
#include "helix/Dialect/Helix/Transforms/Passes.h.inc"
} // namespace helix

using namespace mlir;
using namespace helix;

namespace {

/// The LM head: the unsliced linear whose result is the logits argmax reads.
SmallVector<LinearOp> lmHeads(ModuleOp module) {
  SmallVector<LinearOp> heads;
  module.walk([&](ArgmaxOp argmax) {
    if (auto linear = argmax.getLogits().getDefiningOp<LinearOp>())
      if (!linear.getSliceAttr())
        heads.push_back(linear);
  });
  return heads;
}

struct HelixShardLmHeadPass
    : public helix::impl::HelixShardLmHeadBase<HelixShardLmHeadPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<LayoutAttr> layout = requireLayout(module, getArgument());
    if (failed(layout))
      return signalPassFailure();
    int64_t world = layout->getWorldSize();
    if (world == 1)
      return;
    for (LinearOp head : lmHeads(module)) {
      Value logits = head.getResult();
      int64_t vocab = featuresOf(logits);
      if (vocab % world != 0)
        continue; // stays replicated; every rank computes all logits
      MLIRContext *context = module.getContext();
      head.setSliceAttr(
          makeSlice(context, 0, kAttentionGrid, {kKvpAxis, kTpaAxis}));
      Type fullType = logits.getType();
      logits.setType(activationLike(logits, vocab / world));
      OpBuilder b(context);
      b.setInsertionPointAfter(head);
      SmallVector<OpOperand *> uses;
      for (OpOperand &use : logits.getUses())
        uses.push_back(&use);
      Value gathered = buildAllGather(b, head.getLoc(), fullType, logits,
                                      kAttentionGrid, {kKvpAxis, kTpaAxis},
                                      /*gatherAxis=*/1);
      for (OpOperand *use : uses)
        use->set(gathered);
    }
  }
};

} // namespace
