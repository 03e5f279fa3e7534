//===- LowerHelixOps.cpp - helix compute ops -> runtime microkernel calls -===//
//
// One function per op family; each allocates the result buffer(s) and calls
// the runtime entry point of docs/abi.md with the rank context, ids from the
// manifest and attributes as scalars. The glue (RMSNorm, the LSE merge,
// shard sums, argmax) is a call too, on both targets: the runtime's kernel
// is its one implementation (docs/design.md).
//
//===----------------------------------------------------------------------===//
#include "StepBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using helix_rt::abi::Entry;

namespace helix {
namespace {

/// Operand `value` (optional) as an i64: an index value cast, or `fallback`.
Value optionalIndex(StepBuilder &s, Location loc, Value value, int64_t fallback) {
  return value ? s.indexToI64(loc, s.buffer(value)) : s.i64(loc, fallback);
}

Value mapped(StepBuilder &s, Value value) { return s.buffer(value); }

/// RMSNorm, the LSE merge, shard sums and argmax: one input, one output.
LogicalResult lowerGlue(StepBuilder &s, Operation *op) {
  Location loc = op->getLoc();
  Value in = mapped(s, op->getOperand(0));
  Value out = s.alloc(loc, op->getResult(0).getType(), in);
  s.mapping().map(op->getResult(0), out);
  if (auto norm = dyn_cast<RmsNormOp>(op)) {
    int64_t id =
        s.manifestBuilder().weightsOf(cast<WeightUserOpInterface>(op))[0];
    s.call(loc, Entry::rms_norm,
           {s.i64(loc, id), s.f32(loc, norm.getEpsilon().convertToDouble()), in,
            out});
  } else if (isa<LseMergeOp>(op)) {
    s.call(loc, Entry::lse_merge, {in, out});
  } else if (isa<SumShardsOp>(op)) {
    s.call(loc, Entry::sum_shards, {in, out});
  } else {
    s.call(loc, Entry::argmax, {in, out});
  }
  return success();
}

LogicalResult lowerEmbedLike(StepBuilder &s, Operation *op) {
  Location loc = op->getLoc();
  auto user = cast<WeightUserOpInterface>(op);
  std::vector<int64_t> ids = s.manifestBuilder().weightsOf(user);
  Value in = mapped(s, op->getOperand(0));
  Value out = s.alloc(loc, op->getResult(0).getType(), in);
  if (isa<EmbedOp>(op))
    s.call(loc, Entry::embed, {s.i64(loc, ids[0]), in, out});
  else if (auto linear = dyn_cast<LinearOp>(op); linear && linear.getLogits())
    s.call(loc, Entry::logits,
           {s.i64(loc, ids[0]), in, out,
            optionalIndex(s, loc, linear.getRowOffset(), 0)});
  else if (isa<LinearOp>(op))
    s.call(loc, Entry::linear, {s.i64(loc, ids[0]), in, out});
  else if (isa<MergeLinearOp>(op))
    s.call(loc, Entry::merge_linear, {s.i64(loc, ids[0]), in, out});
  else if (isa<SwigluMlpOp>(op))
    s.call(loc, Entry::swiglu,
           {s.i64(loc, ids[0]), s.i64(loc, ids[1]), s.i64(loc, ids[2]), in, out});
  else
    return op->emitOpError("has no runtime lowering");
  s.mapping().map(op->getResult(0), out);
  return success();
}

LogicalResult lowerRope(StepBuilder &s, RopeOp op) {
  Location loc = op.getLoc();
  Value in = mapped(s, op.getInput());
  Value out = s.alloc(loc, op.getType(), in);
  s.call(loc, Entry::rope,
         {s.i64(loc, s.manifestBuilder().rope(op.getRope())),
          s.i64(loc, op.getHeads()), s.i64(loc, op.getHeadDim()),
          s.i64(loc, op.getRotaryDim()), in, mapped(s, op.getPositions()), out});
  s.mapping().map(op.getResult(), out);
  return success();
}

/// Appends share one entry point shape: owner defaults to the positions
/// buffer (unused) and the KVP rank to -1 ("every rank stores").
template <typename AppendOp>
LogicalResult lowerAppend(StepBuilder &s, AppendOp op, Entry entry) {
  Location loc = op.getLoc();
  Value positions = mapped(s, op.getPositions());
  Value owner = op.getOwner() ? mapped(s, op.getOwner()) : positions;
  s.call(loc, entry,
         {s.i64(loc, op.getLayer()), mapped(s, op->getOperand(1)),
          mapped(s, op->getOperand(2)), positions, owner,
          optionalIndex(s, loc, op.getRank(), -1),
          optionalIndex(s, loc, op.getRowOffset(), 0)});
  return success();
}

LogicalResult lowerGqa(StepBuilder &s, Operation *op) {
  Location loc = op->getLoc();
  if (auto attn = dyn_cast<GqaAttentionOp>(op)) {
    Value q = mapped(s, attn.getQuery());
    Value out = s.alloc(loc, attn.getType(), q);
    s.call(loc, Entry::gqa_attention,
           {s.i64(loc, attn.getLayer()), q, mapped(s, attn.getPositions()),
            s.i64(loc, 0), s.i64(loc, attn.getNumHeads()),
            s.f32(loc, attn.getScale().convertToDouble()), out});
    s.mapping().map(attn.getResult(), out);
    return success();
  }
  auto attn = cast<GqaPartialAttentionOp>(op);
  Value q = mapped(s, attn.getQuery());
  Value out = s.alloc(loc, attn.getType(), q);
  s.call(loc, Entry::gqa_partial_attention,
         {s.i64(loc, attn.getLayer()), q, mapped(s, attn.getPositions()),
          optionalIndex(s, loc, attn.getRank(), -1),
          optionalIndex(s, loc, attn.getRowOffset(), 0),
          s.i64(loc, attn.getNumHeads()),
          s.f32(loc, attn.getScale().convertToDouble()), out});
  s.mapping().map(attn.getResult(), out);
  return success();
}

LogicalResult lowerMla(StepBuilder &s, Operation *op) {
  Location loc = op->getLoc();
  int64_t kvb = s.manifestBuilder().weightsOf(cast<WeightUserOpInterface>(op))[0];
  if (auto attn = dyn_cast<MlaAttentionOp>(op)) {
    Value q = mapped(s, attn.getQuery());
    Value out = s.alloc(loc, attn.getType(), q);
    s.call(loc, Entry::mla_attention,
           {s.i64(loc, attn.getLayer()), s.i64(loc, kvb), q,
            mapped(s, attn.getPositions()), s.i64(loc, 0),
            s.i64(loc, attn.getNumHeads()), s.i64(loc, attn.getQkNopeHeadDim()),
            s.i64(loc, attn.getVHeadDim()),
            s.f32(loc, attn.getScale().convertToDouble()), out});
    s.mapping().map(attn.getResult(), out);
    return success();
  }
  auto attn = cast<MlaPartialAttentionOp>(op);
  Value q = mapped(s, attn.getQuery());
  Value out = s.alloc(loc, attn.getType(), q);
  s.call(loc, Entry::mla_partial_attention,
         {s.i64(loc, attn.getLayer()), s.i64(loc, kvb), q,
          mapped(s, attn.getPositions()),
          optionalIndex(s, loc, attn.getRank(), -1),
          optionalIndex(s, loc, attn.getRowOffset(), 0),
          s.i64(loc, attn.getNumHeads()), s.i64(loc, attn.getQkNopeHeadDim()),
          s.i64(loc, attn.getVHeadDim()),
          s.f32(loc, attn.getScale().convertToDouble()), out});
  s.mapping().map(attn.getResult(), out);
  return success();
}

LogicalResult lowerMoe(StepBuilder &s, Operation *op) {
  Location loc = op->getLoc();
  if (auto route = dyn_cast<MoeRouteOp>(op)) {
    std::vector<int64_t> ids =
        s.manifestBuilder().weightsOf(cast<WeightUserOpInterface>(op));
    Value in = mapped(s, route.getInput());
    Value experts = s.alloc(loc, route.getExpertIds().getType(), in);
    Value weights = s.alloc(loc, route.getExpertWeights().getType(), in);
    s.call(loc, Entry::moe_route,
           {s.i64(loc, ids[0]), s.i64(loc, ids[1]), s.i64(loc, route.getTopK()),
            s.i64(loc, route.getNGroup()), s.i64(loc, route.getTopkGroup()),
            s.i64(loc, route.getNormTopkProb() ? 1 : 0),
            s.f32(loc, route.getRoutedScalingFactor().convertToDouble()), in,
            experts, weights});
    s.mapping().map(route.getExpertIds(), experts);
    s.mapping().map(route.getExpertWeights(), weights);
    return success();
  }
  auto moe = cast<MoeExpertsOp>(op);
  Value in = mapped(s, moe.getInput());
  Value out = s.alloc(loc, moe.getType(), in);
  s.call(loc, Entry::moe_experts,
         {s.i64(loc, s.manifestBuilder().moe(moe)), in,
          mapped(s, moe.getExpertIds()), mapped(s, moe.getExpertWeights()), out});
  s.mapping().map(moe.getResult(), out);
  return success();
}

/// W_UV, plain (`mla_value_projection`) or with the LSE merge fused in
/// (`merge_value_projection`, from helix-fuse-merge-into-linear).
template <typename ProjectionOp>
LogicalResult lowerValueProjection(StepBuilder &s, ProjectionOp proj,
                                   Entry entry) {
  Location loc = proj.getLoc();
  Value in = mapped(s, proj->getOperand(0));
  Value out = s.alloc(loc, proj.getType(), in);
  int64_t kvb = s.manifestBuilder().weightsOf(
      cast<WeightUserOpInterface>(proj.getOperation()))[0];
  s.call(loc, entry,
         {s.i64(loc, kvb), s.i64(loc, proj.getQkNopeHeadDim()),
          s.i64(loc, proj.getVHeadDim()), in, out});
  s.mapping().map(proj.getResult(), out);
  return success();
}

} // namespace

LogicalResult lowerHelixOp(StepBuilder &s, Operation *op) {
  if (isa<RmsNormOp, LseMergeOp, SumShardsOp, ArgmaxOp>(op))
    return lowerGlue(s, op);
  if (isa<EmbedOp, LinearOp, MergeLinearOp, SwigluMlpOp>(op))
    return lowerEmbedLike(s, op);
  if (auto rope = dyn_cast<RopeOp>(op))
    return lowerRope(s, rope);
  if (auto append = dyn_cast<KvAppendOp>(op))
    return lowerAppend(s, append, Entry::kv_append);
  if (auto append = dyn_cast<LatentAppendOp>(op))
    return lowerAppend(s, append, Entry::latent_append);
  if (isa<GqaAttentionOp, GqaPartialAttentionOp>(op))
    return lowerGqa(s, op);
  if (isa<MlaAttentionOp, MlaPartialAttentionOp>(op))
    return lowerMla(s, op);
  if (isa<MoeRouteOp, MoeExpertsOp>(op))
    return lowerMoe(s, op);
  if (auto proj = dyn_cast<MlaValueProjectionOp>(op))
    return lowerValueProjection(s, proj, Entry::mla_value_projection);
  if (auto proj = dyn_cast<MergeValueProjectionOp>(op))
    return lowerValueProjection(s, proj, Entry::merge_value_projection);
  return op->emitOpError("has no runtime lowering");
}

} // namespace helix
