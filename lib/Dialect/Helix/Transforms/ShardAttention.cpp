//===- ShardAttention.cpp - KVP x TPA attention with an exact LSE merge ---===//
//
// Rewrites each layer's attention (see Passes.td for before/after IR). The
// importer's shape of a layer is relied on and checked: the query, key and
// value come from helix.linear (through helix.rope), and the attention
// result feeds exactly one output projection.
//
//===----------------------------------------------------------------------===//
#include "helix/Dialect/Helix/IR/HelixOps.h"
#include "helix/Dialect/Helix/Transforms/Collectives.h"
#include "helix/Dialect/Helix/Transforms/LayoutUtils.h"
#include "helix/Dialect/Helix/Transforms/Passes.h"

namespace helix {
#define GEN_PASS_DEF_HELIXSHARDATTENTION
#include "helix/Dialect/Helix/Transforms/Passes.h.inc"
} // namespace helix

using namespace mlir;
using namespace helix;

namespace {

class AttentionSharder {
public:
  AttentionSharder(LayoutAttr layout) : layout(layout) {}

  LogicalResult shardGqa(GqaAttentionOp attn);
  LogicalResult shardMla(MlaAttentionOp attn);

private:
  /// Narrows a projection to the rank's TPA block of output features.
  LogicalResult shardProjectionByTpa(Operation *user, Value value,
                                     int64_t heads, StringRef what);
  /// The single helix.linear consuming `value` (the output projection).
  FailureOr<LinearOp> outputProjection(Operation *attn, Value value);
  /// all-to-all + merge + (value projection) + W_O + all-reduce after the
  /// packed partials `packed` of `localHeads` heads of `width` channels.
  void mergeAndProject(OpBuilder &b, Location loc, Value packed,
                       int64_t localHeads, int64_t width, LinearOp oProj,
                       function_ref<Value(Value merged)> beforeProjection);

  LayoutAttr layout;
};

/// `value` = rope(linear(x)) or linear(x): returns the linear and the rope.
static FailureOr<std::pair<LinearOp, RopeOp>> projectionOf(Value value) {
  RopeOp rope = value.getDefiningOp<RopeOp>();
  Value input = rope ? rope.getInput() : value;
  auto linear = input.getDefiningOp<LinearOp>();
  if (!linear)
    return failure();
  return std::make_pair(linear, rope);
}

LogicalResult AttentionSharder::shardProjectionByTpa(Operation *user,
                                                     Value value, int64_t heads,
                                                     StringRef what) {
  int64_t tpa = layout.getTpa();
  FailureOr<std::pair<LinearOp, RopeOp>> proj = projectionOf(value);
  if (failed(proj))
    return user->emitOpError("helix-shard-attention expects the ")
           << what << " to come from helix.linear (optionally via helix.rope)";
  auto [linear, rope] = *proj;
  int64_t width = featuresOf(linear.getResult());
  if (tpa == 1)
    return success();
  linear.setSliceAttr(makeSlice(linear.getContext(), 0, kAttentionGrid,
                                {kTpaAxis}));
  linear.getResult().setType(activationLike(linear.getResult(), width / tpa));
  if (rope) {
    rope.setHeads(heads / tpa);
    rope.getResult().setType(linear.getResult().getType());
  }
  return success();
}

FailureOr<LinearOp> AttentionSharder::outputProjection(Operation *attn,
                                                       Value value) {
  if (!value.hasOneUse())
    return attn->emitOpError(
        "helix-shard-attention expects the attention result to feed only the "
        "output projection");
  auto oProj = dyn_cast<LinearOp>(*value.getUsers().begin());
  if (!oProj)
    return attn->emitOpError(
        "helix-shard-attention expects the attention result to feed a "
        "helix.linear output projection");
  return oProj;
}

void AttentionSharder::mergeAndProject(
    OpBuilder &b, Location loc, Value packed, int64_t localHeads, int64_t width,
    LinearOp oProj, function_ref<Value(Value merged)> beforeProjection) {
  int64_t kvp = layout.getKvp();
  int64_t mergedHeads = localHeads / kvp;
  auto packedType = cast<RankedTensorType>(packed.getType());
  auto exchangedType = RankedTensorType::get(
      {kvp, packedType.getDimSize(1), mergedHeads, width + 1},
      packedType.getElementType());
  // One exchange moves outputs and LSEs together, inside each KVP group.
  Value exchanged = buildAllToAll(b, loc, exchangedType, packed, kAttentionGrid,
                                  {kKvpAxis}, /*splitAxis=*/2,
                                  /*concatAxis=*/0);
  Value merged = LseMergeOp::create(
      b, loc, activationLike(oProj.getInput(), mergedHeads * width), exchanged);
  Value projected = beforeProjection(merged);
  // W_O row-parallel over all N ranks: rank's head block tpa_index*kvp+kvp_index.
  oProj.getInputMutable().assign(projected);
  oProj.setSliceAttr(makeSlice(b.getContext(), 1, kAttentionGrid,
                               {kTpaAxis, kKvpAxis}));
  b.setInsertionPointAfter(oProj);
  Value reduced = buildAllReduce(b, loc, oProj.getResult(), kAttentionGrid,
                                 {kKvpAxis, kTpaAxis});
  oProj.getResult().replaceAllUsesExcept(reduced, reduced.getDefiningOp());
}

LogicalResult AttentionSharder::shardGqa(GqaAttentionOp attn) {
  int64_t tpa = layout.getTpa();
  int64_t heads = attn.getNumHeads();
  auto append = attn.getCache().getDefiningOp<KvAppendOp>();
  if (!append)
    return attn.emitOpError("helix-shard-attention expects the cache to come "
                            "from this layer's helix.kv_append");
  int64_t kvHeads = append.getCache().getType().getKvHeads();
  FailureOr<LinearOp> oProj = outputProjection(attn, attn.getResult());
  if (failed(oProj) ||
      failed(shardProjectionByTpa(attn, attn.getQuery(), heads, "query")) ||
      failed(shardProjectionByTpa(append, append.getKey(), kvHeads, "key")) ||
      failed(shardProjectionByTpa(append, append.getValue(), kvHeads,
                                  "value")))
    return failure();

  OpBuilder b(attn);
  Location loc = attn.getLoc();
  int64_t localHeads = heads / tpa;
  int64_t headDim = attn.getCache().getType().getHeadDim();
  auto packedType = RankedTensorType::get(
      {1, cast<RankedTensorType>(attn.getQuery().getType()).getDimSize(0),
       localHeads, headDim + 1},
      b.getF32Type());
  Value packed = GqaPartialAttentionOp::create(
      b, loc, packedType, attn.getQuery(), attn.getCache(), attn.getLayer(),
      attn.getPositions(), /*rank=*/Value(), /*row_offset=*/Value(),
      localHeads, attn.getScale());
  mergeAndProject(b, loc, packed, localHeads, headDim, *oProj,
                  [](Value merged) { return merged; });
  attn.erase();
  return success();
}

LogicalResult AttentionSharder::shardMla(MlaAttentionOp attn) {
  int64_t heads = attn.getNumHeads();
  FailureOr<LinearOp> oProj = outputProjection(attn, attn.getResult());
  if (failed(oProj))
    return failure();
  OpBuilder b(attn);
  Location loc = attn.getLoc();
  LatentCacheType cache = attn.getCache().getType();
  int64_t rank = cache.getKvLoraRank();
  auto packedType = RankedTensorType::get(
      {1, cast<RankedTensorType>(attn.getQuery().getType()).getDimSize(0),
       heads, rank + 1},
      b.getF32Type());
  // Absorbed attention over the latent cache; the merge happens in latent
  // space and W_UV follows for the rank's Hq/N heads (docs/sharding.md).
  Value packed = MlaPartialAttentionOp::create(
      b, loc, packedType, attn.getQuery(), attn.getCache(), attn.getLayer(),
      attn.getPositions(), /*rank=*/Value(), /*row_offset=*/Value(),
      attn.getKvBProj(), heads, attn.getQkNopeHeadDim(), attn.getVHeadDim(),
      attn.getScale());
  int64_t mergedHeads = heads / layout.getWorldSize();
  int64_t vHeadDim = attn.getVHeadDim();
  mergeAndProject(b, loc, packed, heads, rank, *oProj, [&](Value merged) {
    return MlaValueProjectionOp::create(
        b, loc, activationLike(merged, mergedHeads * vHeadDim), merged,
        attn.getKvBProj(), heads, attn.getQkNopeHeadDim(), vHeadDim,
        makeSlice(b.getContext(), 0, kAttentionGrid, {kTpaAxis, kKvpAxis}));
  });
  attn.erase();
  return success();
}

struct HelixShardAttentionPass
    : public helix::impl::HelixShardAttentionBase<HelixShardAttentionPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<LayoutAttr> layout = requireLayout(module, getArgument());
    if (failed(layout))
      return signalPassFailure();
    AttentionSharder sharder(*layout);
    SmallVector<Operation *> attentions;
    module.walk([&](Operation *op) {
      if (isa<GqaAttentionOp, MlaAttentionOp>(op))
        attentions.push_back(op);
    });
    for (Operation *op : attentions) {
      LogicalResult result =
          isa<GqaAttentionOp>(op) ? sharder.shardGqa(cast<GqaAttentionOp>(op))
                                  : sharder.shardMla(cast<MlaAttentionOp>(op));
      if (failed(result))
        return signalPassFailure();
    }
    // Each rank keeps the KV heads of its TPA shard.
    int64_t tpa = layout->getTpa();
    retypeCaches(module, [&](Type type) -> Type {
      if (auto kv = dyn_cast<KvCacheType>(type))
        return KvCacheType::get(kv.getContext(), kv.getLayers(),
                                kv.getKvHeads() / tpa, kv.getHeadDim(),
                                kv.getElementType(), kv.getTokenShards(),
                                kv.getBlock());
      return type;
    });
  }
};

} // namespace
