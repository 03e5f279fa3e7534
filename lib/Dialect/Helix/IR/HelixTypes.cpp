//===- HelixTypes.cpp - helix type verifiers ------------------------------===//
#include "helix/Dialect/Helix/IR/HelixOps.h"
#include "VerifyUtils.h"

using namespace mlir;
using namespace helix;

static LogicalResult verifyCacheElementType(
    function_ref<InFlightDiagnostic()> emitError, Type elementType) {
  if (!elementType.isF32() && !elementType.isBF16() && !elementType.isF16())
    return emitError() << "cache element_type must be f32, bf16 or f16, got "
                       << elementType;
  return success();
}

static int64_t byteWidth(Type type) {
  return (type.getIntOrFloatBitWidth() + 7) / 8;
}

static LogicalResult verifyTokenSharding(
    function_ref<InFlightDiagnostic()> emitError, int64_t tokenShards,
    int64_t block) {
  if (tokenShards < 1 || block < 1)
    return emitError() << "cache token_shards and block must be >= 1, got "
                       << tokenShards << " and " << block;
  return verifyBounds(emitError, "cache",
                      {{"token_shards", tokenShards, limits::kMaxRanks},
                       {"block", block, limits::kMaxPositions}});
}

LogicalResult KvCacheType::verify(function_ref<InFlightDiagnostic()> emitError,
                                  int64_t layers, int64_t kvHeads,
                                  int64_t headDim, Type elementType,
                                  int64_t tokenShards, int64_t block) {
  if (layers <= 0 || kvHeads <= 0 || headDim <= 0)
    return emitError() << "kv_cache sizes must be positive (layers = " << layers
                       << ", kv_heads = " << kvHeads
                       << ", head_dim = " << headDim << ")";
  if (failed(verifyBounds(emitError, "kv_cache",
                          {{"layers", layers, limits::kMaxLayers},
                           {"kv_heads", kvHeads, limits::kMaxHeads},
                           {"head_dim", headDim, limits::kMaxHeadDim}})))
    return failure();
  if (failed(verifyTokenSharding(emitError, tokenShards, block)))
    return failure();
  return verifyCacheElementType(emitError, elementType);
}

int64_t KvCacheType::getBytesPerTokenPerLayer() const {
  return 2 * getKvHeads() * getHeadDim() * byteWidth(getElementType());
}

LogicalResult
LatentCacheType::verify(function_ref<InFlightDiagnostic()> emitError,
                        int64_t layers, int64_t kvLoraRank, int64_t ropeDim,
                        Type elementType, int64_t tokenShards, int64_t block) {
  if (layers <= 0 || kvLoraRank <= 0 || ropeDim <= 0)
    return emitError() << "latent_cache sizes must be positive (layers = "
                       << layers << ", kv_lora_rank = " << kvLoraRank
                       << ", rope_dim = " << ropeDim << ")";
  if (failed(verifyBounds(emitError, "latent_cache",
                          {{"layers", layers, limits::kMaxLayers},
                           {"kv_lora_rank", kvLoraRank, limits::kMaxKvLoraRank},
                           {"rope_dim", ropeDim, limits::kMaxHeadDim}})))
    return failure();
  if (failed(verifyTokenSharding(emitError, tokenShards, block)))
    return failure();
  return verifyCacheElementType(emitError, elementType);
}

int64_t LatentCacheType::getBytesPerTokenPerLayer() const {
  return (getKvLoraRank() + getRopeDim()) * byteWidth(getElementType());
}
