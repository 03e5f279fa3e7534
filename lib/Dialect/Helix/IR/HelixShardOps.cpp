//===- HelixShardOps.cpp - ops of sharded decode graphs -------------------===//
#include "helix/Dialect/Helix/IR/HelixOps.h"
#include "helix/Dialect/Helix/IR/HelixSlices.h"
#include "VerifyUtils.h"

using namespace mlir;
using namespace helix;

/// Fails unless `packed` is [1, B, heads, width + 1].
static LogicalResult verifyPackedPartials(Operation *op, Value packed,
                                          int64_t heads, int64_t width) {
  auto type = cast<RankedTensorType>(packed.getType());
  ArrayRef<int64_t> shape = type.getShape();
  if (shape[0] != 1 || shape[2] != heads || shape[3] != width + 1)
    return op->emitOpError("expects packed partials of shape [1, B, ")
           << heads << ", " << width + 1 << "], got " << type;
  return success();
}

LogicalResult GqaPartialAttentionOp::verify() {
  KvCacheType cache = getCache().getType();
  int64_t heads = getNumHeads(), headDim = cache.getHeadDim();
  if (heads % cache.getKvHeads() != 0)
    return emitOpError("num_heads (")
           << heads << ") must be a multiple of the cache's kv_heads ("
           << cache.getKvHeads() << ")";
  if (!(getScale().convertToDouble() > 0))
    return emitOpError("expects a positive softmax scale");
  if (failed(verifyOwnership(*this, cache.getTokenShards(), false,
                             !!getRank())) ||
      failed(verifyLayerIndex(*this, getLayer(), cache.getLayers())) ||
      failed(verifyFeatureDim(*this, getQuery(), heads * headDim,
                              "query (num_heads x head_dim)")) ||
      failed(verifyPackedPartials(*this, getResult(), heads, headDim)))
    return failure();
  return success();
}

LogicalResult MlaPartialAttentionOp::verify() {
  LatentCacheType cache = getCache().getType();
  int64_t heads = getNumHeads();
  if (!(getScale().convertToDouble() > 0))
    return emitOpError("expects a positive softmax scale");
  if (failed(verifyOwnership(*this, cache.getTokenShards(), false,
                             !!getRank())) ||
      failed(verifyLayerIndex(*this, getLayer(), cache.getLayers())) ||
      failed(verifyFeatureDim(
          *this, getQuery(), heads * (getQkNopeHeadDim() + cache.getRopeDim()),
          "query (num_heads x (qk_nope_head_dim + rope_dim))")) ||
      failed(verifyPackedPartials(*this, getResult(), heads,
                                  cache.getKvLoraRank())))
    return failure();
  return success();
}

void MlaPartialAttentionOp::getWeights(SmallVectorImpl<WeightRef> &weights) {
  int64_t rows = getNumHeads() * (getQkNopeHeadDim() + getVHeadDim());
  weights.push_back(
      {getKvBProj().str(), {rows, getCache().getType().getKvLoraRank()}});
}

/// Fails unless `partials` [K, B, heads, width + 1] has static heads and
/// width >= 1 and a batch that matches `result`'s.
static LogicalResult verifyMergeInput(Operation *op, Value partials,
                                      Value result) {
  ArrayRef<int64_t> shape =
      cast<RankedTensorType>(partials.getType()).getShape();
  if (ShapedType::isDynamic(shape[2]) || ShapedType::isDynamic(shape[3]))
    return op->emitOpError("expects static heads and head width");
  if (shape[3] < 2)
    return op->emitOpError(
        "expects at least one output channel before the LSE");
  int64_t batch = cast<RankedTensorType>(result.getType()).getDimSize(0);
  if (!ShapedType::isDynamic(batch) && !ShapedType::isDynamic(shape[1]) &&
      batch != shape[1])
    return op->emitOpError("expects the result batch to match the partials'");
  return success();
}

/// Features of the merged activation: heads x head width.
static int64_t mergedWidth(Value partials) {
  ArrayRef<int64_t> shape =
      cast<RankedTensorType>(partials.getType()).getShape();
  return shape[2] * (shape[3] - 1);
}

LogicalResult LseMergeOp::verify() {
  if (failed(verifyMergeInput(*this, getPartials(), getResult())))
    return failure();
  return verifyFeatureDim(*this, getResult(), mergedWidth(getPartials()),
                          "result (heads x head width)");
}

LogicalResult MergeLinearOp::verify() {
  if (failed(verifyMergeInput(*this, getPartials(), getResult())))
    return failure();
  if (ShapedType::isDynamic(featureDim(getResult())))
    return emitOpError("expects static output features");
  return verifySlice(*this, getSliceAttr(), /*maxDim=*/1);
}

void MergeLinearOp::getWeights(SmallVectorImpl<WeightRef> &weights) {
  weights.push_back(slicedWeight(*this, getWeight(), featureDim(getResult()),
                                 mergedWidth(getPartials()), getSliceAttr()));
}

LogicalResult MergeValueProjectionOp::verify() {
  if (failed(verifyMergeInput(*this, getPartials(), getResult())))
    return failure();
  int64_t heads = getPartials().getType().getDimSize(2);
  return verifyFeatureDim(*this, getResult(), heads * getVHeadDim(),
                          "result (heads x v_head_dim)");
}

void MergeValueProjectionOp::getWeights(SmallVectorImpl<WeightRef> &weights) {
  int64_t rows = getNumHeads() * (getQkNopeHeadDim() + getVHeadDim());
  int64_t rank = getPartials().getType().getDimSize(3) - 1;
  weights.push_back({getKvBProj().str(), {rows, rank},
                     toWeightSlice(*this, getSliceAttr())});
}

LogicalResult SumShardsOp::verify() {
  ArrayRef<int64_t> in = getInput().getType().getShape();
  ArrayRef<int64_t> out = getResult().getType().getShape();
  if (in[2] != out[1] || (!ShapedType::isDynamic(in[1]) &&
                          !ShapedType::isDynamic(out[0]) && in[1] != out[0]))
    return emitOpError("expects [K, B, F] -> [B, F]");
  return success();
}

void MlaValueProjectionOp::getWeights(SmallVectorImpl<WeightRef> &weights) {
  int64_t rows = getNumHeads() * (getQkNopeHeadDim() + getVHeadDim());
  int64_t localHeads = featureDim(getResult()) / getVHeadDim();
  int64_t rank = featureDim(getInput()) / std::max<int64_t>(localHeads, 1);
  weights.push_back({getKvBProj().str(), {rows, rank},
                     toWeightSlice(*this, getSliceAttr())});
}

Operation *CollectiveStartOp::getCollective() {
  Block &body = getBody().front();
  return body.empty() ? nullptr : &body.front();
}

LogicalResult CollectiveStartOp::verify() {
  Block &body = getBody().front();
  if (body.getOperations().size() != 2)
    return emitOpError("expects exactly one collective and a helix.yield");
  Operation *collective = &body.front();
  if (!isa<shard::AllToAllOp, shard::AllReduceOp, shard::AllGatherOp>(
          collective))
    return emitOpError("expects a shard.all_to_all, shard.all_reduce or "
                       "shard.all_gather, got ")
           << collective->getName();
  auto yield = cast<YieldOp>(body.getTerminator());
  if (yield.getValue() != collective->getResult(0))
    return emitOpError("must yield the collective's result");
  if (getRequest().getType().getResultType() != yield.getValue().getType())
    return emitOpError("request type must carry the yielded type");
  return success();
}
