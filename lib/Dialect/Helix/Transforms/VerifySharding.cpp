//===- VerifySharding.cpp - a sharded module agrees with its layout -------===//
#include "helix/Dialect/Helix/IR/HelixOps.h"
#include "helix/Dialect/Helix/IR/HelixSlices.h"
#include "helix/Dialect/Helix/Transforms/LayoutUtils.h"
#include "helix/Dialect/Helix/Transforms/Passes.h"

#include "mlir/IR/SymbolTable.h"

namespace helix {
#define GEN_PASS_DEF_HELIXVERIFYSHARDING
#include "helix/Dialect/Helix/Transforms/Passes.h.inc"
} // namespace helix

using namespace mlir;
using namespace helix;

namespace {

class ShardingVerifier {
public:
  ShardingVerifier(ModuleOp module, LayoutAttr layout)
      : module(module), layout(layout) {}

  LogicalResult run() {
    if (failed(checkGrid(kAttentionGrid, {layout.getKvp(), layout.getTpa()})) ||
        failed(checkGrid(kFfnGrid, {layout.getEp(), layout.getTpf()})))
      return failure();
    WalkResult walk = module.walk([&](Operation *op) {
      return failed(check(op)) ? WalkResult::interrupt() : WalkResult::advance();
    });
    return failure(walk.wasInterrupted());
  }

private:
  LogicalResult checkGrid(StringRef name, ArrayRef<int64_t> shape) {
    auto grid = SymbolTable::lookupSymbolIn(module, name);
    auto gridOp = dyn_cast_or_null<shard::GridOp>(grid);
    if (!gridOp)
      return module.emitError("sharded module lacks the grid @") << name;
    if (gridOp.getShape() != shape)
      return gridOp.emitOpError("shape does not match the layout ")
             << layout;
    return success();
  }

  static bool axesAre(ArrayRef<int16_t> axes, ArrayRef<int16_t> expected) {
    return axes == expected;
  }

  LogicalResult checkCollective(Operation *op, StringRef grid,
                                ArrayRef<int16_t> axes) {
    bool attn = grid == kAttentionGrid, ffn = grid == kFfnGrid;
    if (auto a2a = dyn_cast<shard::AllToAllOp>(op)) {
      if (!attn || !axesAre(axes, {kKvpAxis}) || a2a.getSplitAxis() != 2 ||
          a2a.getConcatAxis() != 0)
        return op->emitOpError("all-to-all must scatter heads (split_axis 2, "
                               "concat_axis 0) over the KVP axis of @")
               << kAttentionGrid;
      auto in = cast<RankedTensorType>(a2a.getInput().getType());
      auto out = cast<RankedTensorType>(a2a.getResult().getType());
      if (out.getDimSize(0) != layout.getKvp() ||
          in.getDimSize(2) != out.getDimSize(2) * layout.getKvp())
        return op->emitOpError("all-to-all must turn ")
               << in.getDimSize(2) << " local heads into "
               << in.getDimSize(2) / layout.getKvp() << " heads from "
               << layout.getKvp() << " KVP peers";
      return success();
    }
    if (isa<shard::AllReduceOp>(op)) {
      bool whole = axesAre(axes, {0, 1});
      if (!((attn && whole) || (ffn && (whole || axesAre(axes, {kTpfAxis})))))
        return op->emitOpError("all-reduce must span the whole @")
               << kAttentionGrid << " or @" << kFfnGrid
               << " grid, or the tpf axis of @" << kFfnGrid;
      return success();
    }
    auto gather = cast<shard::AllGatherOp>(op);
    bool experts = ffn && axesAre(axes, {kEpAxis}) && gather.getGatherAxis() == 0;
    bool vocab = attn && axesAre(axes, {0, 1}) && gather.getGatherAxis() == 1;
    if (!experts && !vocab)
      return op->emitOpError("all-gather must stack expert groups (ep axis of @")
             << kFfnGrid << ", gather_axis 0) or concatenate the vocabulary "
             << "(whole @" << kAttentionGrid << ", gather_axis 1)";
    return success();
  }

  LogicalResult checkCache(Operation *op, int64_t tokenShards, int64_t block) {
    int64_t kvp = layout.getKvp();
    if (tokenShards != 1 && (tokenShards != kvp || block != layout.getKvBlock()))
      return op->emitOpError("cache token sharding (")
             << tokenShards << " shards of blocks of " << block
             << ") does not match the layout " << layout;
    return success();
  }

  LogicalResult check(Operation *op) {
    if (auto a2a = dyn_cast<shard::AllToAllOp>(op))
      return checkCollective(op, a2a.getGrid(), a2a.getGridAxes());
    if (auto ar = dyn_cast<shard::AllReduceOp>(op))
      return checkCollective(op, ar.getGrid(), ar.getGridAxes());
    if (auto ag = dyn_cast<shard::AllGatherOp>(op))
      return checkCollective(op, ag.getGrid(), ag.getGridAxes());
    if (auto owner = dyn_cast<KvOwnerOp>(op)) {
      if (static_cast<int64_t>(owner.getShards()) != layout.getKvp() ||
          static_cast<int64_t>(owner.getBlock()) != layout.getKvBlock())
        return op->emitOpError("owner rule does not match the layout ")
               << layout;
    }
    for (Value result : op->getResults()) {
      if (auto kv = dyn_cast<KvCacheType>(result.getType()))
        if (failed(checkCache(op, kv.getTokenShards(), kv.getBlock())))
          return failure();
      if (auto latent = dyn_cast<LatentCacheType>(result.getType()))
        if (failed(checkCache(op, latent.getTokenShards(), latent.getBlock())))
          return failure();
    }
    if (auto merge = dyn_cast<LseMergeOp>(op)) {
      Value input = merge.getPartials();
      if (auto wait = input.getDefiningOp<CollectiveWaitOp>())
        input = wait.getRequest()
                    .getDefiningOp<CollectiveStartOp>()
                    .getCollective()
                    ->getResult(0);
      if (!input.getDefiningOp<shard::AllToAllOp>())
        return op->emitOpError("merges partials that did not come through the "
                               "KVP all-to-all");
    }
    for (NamedAttribute attr : op->getAttrs())
      if (auto slice = dyn_cast<SliceAttr>(attr.getValue())) {
        StringRef grid = slice.getGrid().getValue();
        if (grid != kAttentionGrid && grid != kFfnGrid)
          return op->emitOpError("slices over unknown grid @") << grid;
        if (sliceParts(op, slice) == 0)
          return op->emitOpError("slice axes do not exist on @") << grid;
      }
    return success();
  }

  ModuleOp module;
  LayoutAttr layout;
};

struct HelixVerifyShardingPass
    : public helix::impl::HelixVerifyShardingBase<HelixVerifyShardingPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<LayoutAttr> layout = requireLayout(module, getArgument());
    if (failed(layout) || failed(ShardingVerifier(module, *layout).run()))
      return signalPassFailure();
    markAllAnalysesPreserved();
  }
};

} // namespace
