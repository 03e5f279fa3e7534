//===- HelixAttentionOps.cpp - KV/latent cache and attention ops ----------===//
#include "helix/Dialect/Helix/IR/HelixOps.h"
#include "VerifyUtils.h"

using namespace mlir;
using namespace helix;

static LogicalResult verifyScale(Operation *op, FloatAttr scale) {
  if (!(scale.getValueAsDouble() > 0))
    return op->emitOpError("expects a positive softmax scale");
  return success();
}

//===----------------------------------------------------------------------===//
// GQA
//===----------------------------------------------------------------------===//

LogicalResult KvAppendOp::verify() {
  KvCacheType cache = getCache().getType();
  int64_t width = cache.getKvHeads() * cache.getHeadDim();
  if (failed(verifyAppendOwnership(*this, cache.getTokenShards(), !!getOwner(),
                                   !!getRank())))
    return failure();
  if (failed(verifyLayerIndex(*this, getLayer(), cache.getLayers())) ||
      failed(verifyFeatureDim(*this, getKey(), width, "key (kv_heads x head_dim)")) ||
      failed(verifyFeatureDim(*this, getValue(), width,
                              "value (kv_heads x head_dim)")))
    return failure();
  return verifySameBatch(*this, {getKey(), getValue(), getPositions()});
}

LogicalResult GqaAttentionOp::verify() {
  KvCacheType cache = getCache().getType();
  if (cache.getTokenShards() != 1)
    return emitOpError("reads whole sequences; a token-sharded cache needs "
                       "helix.gqa_partial_attention");
  int64_t numHeads = getNumHeads();
  if (numHeads % cache.getKvHeads() != 0)
    return emitOpError("num_heads (")
           << numHeads << ") must be a multiple of the cache's kv_heads ("
           << cache.getKvHeads() << ")";
  int64_t width = numHeads * cache.getHeadDim();
  if (failed(verifyLayerIndex(*this, getLayer(), cache.getLayers())) ||
      failed(verifyScale(*this, getScaleAttr())) ||
      failed(verifyFeatureDim(*this, getQuery(), width,
                              "query (num_heads x head_dim)")) ||
      failed(verifyFeatureDim(*this, getResult(), width,
                              "result (num_heads x head_dim)")))
    return failure();
  return verifySameBatch(*this, {getQuery(), getPositions(), getResult()});
}

//===----------------------------------------------------------------------===//
// MLA
//===----------------------------------------------------------------------===//

LogicalResult LatentAppendOp::verify() {
  LatentCacheType cache = getCache().getType();
  if (failed(verifyAppendOwnership(*this, cache.getTokenShards(), !!getOwner(),
                                   !!getRank())))
    return failure();
  if (failed(verifyLayerIndex(*this, getLayer(), cache.getLayers())) ||
      failed(verifyFeatureDim(*this, getLatent(), cache.getKvLoraRank(),
                              "latent (kv_lora_rank)")) ||
      failed(verifyFeatureDim(*this, getKeyRope(), cache.getRopeDim(),
                              "key_rope (rope_dim)")))
    return failure();
  return verifySameBatch(*this, {getLatent(), getKeyRope(), getPositions()});
}

LogicalResult MlaAttentionOp::verify() {
  LatentCacheType cache = getCache().getType();
  if (cache.getTokenShards() != 1)
    return emitOpError("reads whole sequences; a token-sharded cache needs "
                       "helix.mla_partial_attention");
  int64_t heads = getNumHeads();
  int64_t qkWidth = heads * (getQkNopeHeadDim() + cache.getRopeDim());
  if (failed(verifyLayerIndex(*this, getLayer(), cache.getLayers())) ||
      failed(verifyScale(*this, getScaleAttr())) ||
      failed(verifyFeatureDim(*this, getQuery(), qkWidth,
                              "query (num_heads x (qk_nope_head_dim + rope_dim))")) ||
      failed(verifyFeatureDim(*this, getResult(), heads * getVHeadDim(),
                              "result (num_heads x v_head_dim)")))
    return failure();
  return verifySameBatch(*this, {getQuery(), getPositions(), getResult()});
}

void MlaAttentionOp::getWeights(SmallVectorImpl<WeightRef> &weights) {
  int64_t rows = getNumHeads() * (getQkNopeHeadDim() + getVHeadDim());
  weights.push_back({getKvBProj().str(),
                     {rows, getCache().getType().getKvLoraRank()}});
}
