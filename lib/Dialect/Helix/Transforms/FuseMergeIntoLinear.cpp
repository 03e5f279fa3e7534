//===- FuseMergeIntoLinear.cpp - LSE merge + the GEMM it feeds -> one op --===//
#include "helix/Dialect/Helix/IR/HelixOps.h"
#include "helix/Dialect/Helix/Transforms/Passes.h"

namespace helix {
#define GEN_PASS_DEF_HELIXFUSEMERGEINTOLINEAR
#include "helix/Dialect/Helix/Transforms/Passes.h.inc"
} // namespace helix

using namespace mlir;
using namespace helix;

namespace {

/// Replaces `user` (the merge's only user) by the fused op and drops the
/// merge.
void fuse(LseMergeOp merge, Operation *user) {
  OpBuilder b(user);
  Value partials = merge.getPartials();
  Operation *fused = nullptr;
  if (auto linear = dyn_cast<LinearOp>(user))
    fused = MergeLinearOp::create(b, linear.getLoc(), linear.getType(),
                                  partials, linear.getWeightAttr(),
                                  linear.getSliceAttr());
  else if (auto proj = dyn_cast<MlaValueProjectionOp>(user))
    fused = MergeValueProjectionOp::create(
        b, proj.getLoc(), proj.getType(), partials, proj.getKvBProjAttr(),
        proj.getNumHeadsAttr(), proj.getQkNopeHeadDimAttr(),
        proj.getVHeadDimAttr(), proj.getSliceAttr());
  user->replaceAllUsesWith(fused);
  user->erase();
  merge.erase();
}

struct HelixFuseMergeIntoLinearPass
    : public helix::impl::HelixFuseMergeIntoLinearBase<
          HelixFuseMergeIntoLinearPass> {
  void runOnOperation() override {
    SmallVector<std::pair<LseMergeOp, Operation *>> pairs;
    getOperation().walk([&](LseMergeOp merge) {
      if (!merge->hasOneUse())
        return;
      Operation *user = *merge->getUsers().begin();
      if (isa<LinearOp, MlaValueProjectionOp>(user))
        pairs.push_back({merge, user});
    });
    for (auto [merge, user] : pairs)
      fuse(merge, user);
  }
};

} // namespace
