//===- ShardFfn.cpp - dense TP over N, MoE as TP x EP ---------------------===//
#include "helix/Dialect/Helix/IR/HelixOps.h"
#include "helix/Dialect/Helix/Transforms/Collectives.h"
#include "helix/Dialect/Helix/Transforms/LayoutUtils.h"
#include "helix/Dialect/Helix/Transforms/Passes.h"

namespace helix {
#define GEN_PASS_DEF_HELIXSHARDFFN
#include "helix/Dialect/Helix/Transforms/Passes.h.inc"
} // namespace helix

using namespace mlir;
using namespace helix;

namespace {

/// Replaces the uses of `partial` (other than by the new collectives) with
/// the value `complete` builds from it after `partial`'s producer.
void completeAfter(Value partial,
                   function_ref<Value(OpBuilder &, Location)> complete) {
  Operation *producer = partial.getDefiningOp();
  OpBuilder b(producer->getContext());
  b.setInsertionPointAfter(producer);
  SmallVector<OpOperand *> uses;
  for (OpOperand &use : partial.getUses())
    uses.push_back(&use);
  Value result = complete(b, producer->getLoc());
  for (OpOperand *use : uses)
    use->set(result);
}

void shardDense(SwigluMlpOp mlp) {
  MLIRContext *context = mlp.getContext();
  mlp.setSliceAttr(makeSlice(context, 0, kFfnGrid, {kEpAxis, kTpfAxis}));
  completeAfter(mlp.getResult(), [&](OpBuilder &b, Location loc) {
    return buildAllReduce(b, loc, mlp.getResult(), kFfnGrid,
                          {kEpAxis, kTpfAxis});
  });
}

void shardMoe(MoeExpertsOp moe, LayoutAttr layout) {
  MLIRContext *context = moe.getContext();
  moe.setExpertSliceAttr(makeSlice(context, 0, kFfnGrid, {kEpAxis}));
  moe.setWidthSliceAttr(makeSlice(context, 0, kFfnGrid, {kTpfAxis}));
  if (moe.getSharedIntermediateSize() > 0)
    moe.setSharedSliceAttr(makeSlice(context, 0, kFfnGrid, {kEpAxis, kTpfAxis}));
  completeAfter(moe.getResult(), [&](OpBuilder &b, Location loc) {
    // The expert group's sum (its experts and its shares of the shared
    // experts), then every group's sum gathered and added up locally.
    Value group = buildAllReduce(b, loc, moe.getResult(), kFfnGrid, {kTpfAxis});
    auto type = cast<RankedTensorType>(group.getType());
    int64_t hidden = type.getDimSize(1);
    Value batch = tensor::DimOp::create(b, loc, group, 0);
    auto stacked = RankedTensorType::get({1, type.getDimSize(0), hidden},
                                         type.getElementType());
    SmallVector<OpFoldResult> shape = {b.getIndexAttr(1), batch,
                                       b.getIndexAttr(hidden)};
    Value one = tensor::ExpandShapeOp::create(
        b, loc, stacked, group, ArrayRef<ReassociationIndices>{{0, 1}, {2}},
        shape);
    auto gatheredType = RankedTensorType::get(
        {layout.getEp(), type.getDimSize(0), hidden}, type.getElementType());
    Value gathered = buildAllGather(b, loc, gatheredType, one, kFfnGrid,
                                    {kEpAxis}, /*gatherAxis=*/0);
    return SumShardsOp::create(b, loc, type, gathered);
  });
}

struct HelixShardFfnPass
    : public helix::impl::HelixShardFfnBase<HelixShardFfnPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<LayoutAttr> layout = requireLayout(module, getArgument());
    if (failed(layout))
      return signalPassFailure();
    bool sharded = false;
    module.walk([&](Operation *op) {
      if (auto mlp = dyn_cast<SwigluMlpOp>(op))
        sharded |= !!mlp.getSliceAttr();
      if (auto moe = dyn_cast<MoeExpertsOp>(op))
        sharded |= !!moe.getExpertSliceAttr();
    });
    if (sharded) {
      module.emitError("helix-shard-ffn: the FFN is already sharded");
      return signalPassFailure();
    }
    SmallVector<SwigluMlpOp> dense;
    SmallVector<MoeExpertsOp> moes;
    module.walk([&](SwigluMlpOp op) { dense.push_back(op); });
    module.walk([&](MoeExpertsOp op) { moes.push_back(op); });
    for (SwigluMlpOp mlp : dense)
      shardDense(mlp);
    for (MoeExpertsOp moe : moes)
      shardMoe(moe, *layout);
  }
};

} // namespace
