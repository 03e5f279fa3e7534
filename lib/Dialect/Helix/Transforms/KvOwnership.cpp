//===- KvOwnership.cpp - staggered round-robin KV placement ---------------===//
#include "helix/Dialect/Helix/IR/HelixOps.h"
#include "helix/Dialect/Helix/Transforms/LayoutUtils.h"
#include "helix/Dialect/Helix/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace helix {
#define GEN_PASS_DEF_HELIXKVOWNERSHIP
#include "helix/Dialect/Helix/Transforms/Passes.h.inc"
} // namespace helix

using namespace mlir;
using namespace helix;

namespace {

struct HelixKvOwnershipPass
    : public helix::impl::HelixKvOwnershipBase<HelixKvOwnershipPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<LayoutAttr> layout = requireLayout(module, getArgument());
    if (failed(layout))
      return signalPassFailure();
    int64_t kvp = layout->getKvp(), block = layout->getKvBlock();
    if (kvp == 1)
      return; // every rank holds all tokens of its heads

    bool alreadySharded = false;
    module.walk([&](Operation *op) {
      if (isa<KvOwnerOp>(op))
        alreadySharded = true;
    });
    if (alreadySharded) {
      module.emitError("helix-kv-ownership: KV ownership is already assigned");
      return signalPassFailure();
    }

    module.walk([&](func::FuncOp func) { assignOwners(func, kvp, block); });
    retypeCaches(module, [&](Type type) -> Type {
      if (auto kv = dyn_cast<KvCacheType>(type))
        return KvCacheType::get(kv.getContext(), kv.getLayers(),
                                kv.getKvHeads(), kv.getHeadDim(),
                                kv.getElementType(), kvp, block);
      auto latent = cast<LatentCacheType>(type);
      return LatentCacheType::get(latent.getContext(), latent.getLayers(),
                                  latent.getKvLoraRank(), latent.getRopeDim(),
                                  latent.getElementType(), kvp, block);
    });
  }

  /// One owner computation per positions value, one KVP coordinate per
  /// function; every append and partial attention gets them.
  void assignOwners(func::FuncOp func, int64_t kvp, int64_t block) {
    if (func.isExternal())
      return;
    OpBuilder b = OpBuilder::atBlockBegin(&func.front());
    Location loc = func.getLoc();
    Value rank = shard::ProcessMultiIndexOp::create(
                     b, loc, TypeRange{b.getIndexType()},
                     FlatSymbolRefAttr::get(b.getContext(), kAttentionGrid),
                     b.getDenseI16ArrayAttr({kKvpAxis}))
                     .getResult()[0];
    DenseMap<Value, Value> owners;
    auto ownerOf = [&](Value positions) {
      Value &owner = owners[positions];
      if (!owner) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointAfterValue(positions);
        if (isa<BlockArgument>(positions))
          b.setInsertionPointAfter(rank.getDefiningOp());
        owner = KvOwnerOp::create(b, loc, positions.getType(), positions,
                                  block, kvp);
      }
      return owner;
    };
    func.walk([&](Operation *op) {
      if (auto append = dyn_cast<KvAppendOp>(op)) {
        append.getOwnerMutable().assign(ownerOf(append.getPositions()));
        append.getRankMutable().assign(rank);
      } else if (auto append = dyn_cast<LatentAppendOp>(op)) {
        append.getOwnerMutable().assign(ownerOf(append.getPositions()));
        append.getRankMutable().assign(rank);
      } else if (auto attn = dyn_cast<GqaPartialAttentionOp>(op)) {
        attn.getRankMutable().assign(rank);
      } else if (auto attn = dyn_cast<MlaPartialAttentionOp>(op)) {
        attn.getRankMutable().assign(rank);
      }
    });
  }
};

} // namespace
