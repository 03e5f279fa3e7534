//===- VerifyUtils.cpp - shape checks shared by helix op verifiers --------===//
#include "VerifyUtils.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"

using namespace mlir;

namespace helix {

LogicalResult verifySameBatch(Operation *op, ValueRange values) {
  int64_t batch = ShapedType::kDynamic;
  for (Value value : values) {
    auto type = cast<RankedTensorType>(value.getType());
    int64_t dim = type.getDimSize(0);
    if (ShapedType::isDynamic(dim))
      continue;
    if (!ShapedType::isDynamic(batch) && batch != dim)
      return op->emitOpError("expects operands and results to share the batch "
                             "dimension, got ")
             << batch << " and " << dim;
    batch = dim;
  }
  return success();
}

int64_t featureDim(Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  return type.getDimSize(type.getRank() - 1);
}

LogicalResult verifyFeatureDim(Operation *op, Value value, int64_t expected,
                               StringRef what) {
  int64_t actual = featureDim(value);
  if (ShapedType::isDynamic(actual))
    return op->emitOpError("expects ") << what << " to have a static last "
                                       << "dimension";
  if (actual != expected)
    return op->emitOpError("expects ")
           << what << " to have " << expected << " columns, got " << actual;
  return success();
}

LogicalResult verifyLayerIndex(Operation *op, int64_t layer, int64_t layers) {
  if (layer >= layers)
    return op->emitOpError("layer ")
           << layer << " is out of range for a cache of " << layers
           << " layers";
  return success();
}

} // namespace helix
