//===- HelixOps.cpp - embedding, norm, projection, RoPE and sampling ops --===//
#include "helix/Dialect/Helix/IR/HelixOps.h"
#include "VerifyUtils.h"
#include "helix/Dialect/Helix/IR/HelixSlices.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace helix;

#define GET_OP_CLASSES
#include "helix/Dialect/Helix/IR/HelixOps.cpp.inc"

//===----------------------------------------------------------------------===//
// EmbedOp
//===----------------------------------------------------------------------===//

LogicalResult EmbedOp::verify() {
  if (ShapedType::isDynamic(featureDim(getResult())))
    return emitOpError("expects a static hidden size");
  return verifySameBatch(*this, {getTokens(), getResult()});
}

void EmbedOp::getWeights(SmallVectorImpl<WeightRef> &weights) {
  weights.push_back({getWeight().str(),
                     {static_cast<int64_t>(getVocabSize()), featureDim(getResult())}});
}

//===----------------------------------------------------------------------===//
// RmsNormOp
//===----------------------------------------------------------------------===//

LogicalResult RmsNormOp::verify() {
  if (!(getEpsilon().convertToDouble() > 0))
    return emitOpError("expects a positive epsilon");
  if (ShapedType::isDynamic(featureDim(getInput())))
    return emitOpError("expects a static normalized dimension");
  return success();
}

void RmsNormOp::getWeights(SmallVectorImpl<WeightRef> &weights) {
  weights.push_back({getWeight().str(), {featureDim(getInput())}});
}

//===----------------------------------------------------------------------===//
// LinearOp
//===----------------------------------------------------------------------===//

LogicalResult LinearOp::verify() {
  if (ShapedType::isDynamic(featureDim(getInput())) ||
      ShapedType::isDynamic(featureDim(getResult())))
    return emitOpError("expects static input and output features");
  if (failed(verifySlice(*this, getSliceAttr(), /*maxDim=*/1)))
    return failure();
  if (getRowOffset() && !getLogits())
    return emitOpError("has rows from without logits: only the LM head "
                       "looks its rows up");
  return verifySameBatch(*this, {getInput(), getResult()});
}

void LinearOp::getWeights(SmallVectorImpl<WeightRef> &weights) {
  weights.push_back(slicedWeight(*this, getWeight(), featureDim(getResult()),
                                 featureDim(getInput()), getSliceAttr()));
}

//===----------------------------------------------------------------------===//
// RopeOp
//===----------------------------------------------------------------------===//

LogicalResult RopeOp::verify() {
  int64_t headDim = getHeadDim();
  int64_t rotaryDim = getRotaryDim();
  if (rotaryDim > headDim)
    return emitOpError("rotary_dim (")
           << rotaryDim << ") exceeds head_dim (" << headDim << ")";
  if (rotaryDim % 2 != 0)
    return emitOpError("rotary_dim must be even, got ") << rotaryDim;
  if (failed(verifyFeatureDim(*this, getInput(), getHeads() * headDim,
                              "input (heads x head_dim)")))
    return failure();
  return verifySameBatch(*this, {getInput(), getPositions()});
}

//===----------------------------------------------------------------------===//
// ArgmaxOp
//===----------------------------------------------------------------------===//

LogicalResult ArgmaxOp::verify() {
  return verifySameBatch(*this, {getLogits(), getResult()});
}
