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

LogicalResult LseMergeOp::verify() {
  ArrayRef<int64_t> shape = getPartials().getType().getShape();
  if (ShapedType::isDynamic(shape[2]) || ShapedType::isDynamic(shape[3]))
    return emitOpError("expects static heads and head width");
  if (shape[3] < 2)
    return emitOpError("expects at least one output channel before the LSE");
  if (failed(verifyFeatureDim(*this, getResult(), shape[2] * (shape[3] - 1),
                              "result (heads x head width)")))
    return failure();
  int64_t batch = getResult().getType().getDimSize(0);
  if (!ShapedType::isDynamic(batch) && !ShapedType::isDynamic(shape[1]) &&
      batch != shape[1])
    return emitOpError("expects the result batch to match the partials'");
  return success();
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
