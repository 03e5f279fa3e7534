//===- VerifyUtils.cpp - shape checks shared by helix op verifiers --------===//
#include "VerifyUtils.h"
#include "helix/Dialect/Helix/IR/HelixOps.h"
#include "helix/Dialect/Helix/IR/HelixSlices.h"

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

LogicalResult verifySlice(Operation *op, Attribute attr, int64_t maxDim) {
  auto slice = dyn_cast_or_null<SliceAttr>(attr);
  if (!slice)
    return success();
  if (slice.getDim() < 0 || slice.getDim() > maxDim)
    return op->emitOpError("slice dim ")
           << slice.getDim() << " is out of range 0.." << maxDim;
  if (!lookupSliceGrid(op, slice))
    return op->emitOpError("slice refers to unknown grid ") << slice.getGrid();
  if (slice.getAxes().empty() || sliceParts(op, slice) == 0)
    return op->emitOpError("slice axes must be static axes of grid ")
           << slice.getGrid();
  return success();
}

LogicalResult verifyOwnership(Operation *op, int64_t tokenShards, bool hasOwner,
                              bool hasRank) {
  if (tokenShards > 1 && !hasRank)
    return op->emitOpError("needs the KVP rank on a cache sharded over ")
           << tokenShards << " ranks";
  if (hasOwner && !hasRank)
    return op->emitOpError("owner needs the KVP rank");
  if (tokenShards == 1 && (hasOwner || hasRank))
    return op->emitOpError("owner and rank apply only to token-sharded caches");
  return success();
}

LogicalResult verifyAppendOwnership(Operation *op, int64_t tokenShards,
                                    bool hasOwner, bool hasRank) {
  if (failed(verifyOwnership(op, tokenShards, hasOwner, hasRank)))
    return failure();
  if (tokenShards > 1 && !hasOwner)
    return op->emitOpError("needs the owner on a token-sharded cache");
  return success();
}

LogicalResult
verifyBounds(function_ref<InFlightDiagnostic()> emitError, StringRef what,
             ArrayRef<SizeBound> sizes) {
  for (const SizeBound &size : sizes)
    if (size.value > size.max)
      return emitError() << what << " " << size.name << " is " << size.value
                         << ", above the largest supported (" << size.max
                         << ")";
  return success();
}

LogicalResult verifyBoundedShapes(Operation *op) {
  auto check = [&](Type type) -> LogicalResult {
    auto tensor = dyn_cast<RankedTensorType>(type);
    if (!tensor)
      return success();
    int64_t elements = 1;
    for (int64_t dim : tensor.getShape()) {
      if (ShapedType::isDynamic(dim))
        continue;
      // Divides first: the product must not overflow before the check.
      if (dim > 0 && elements > limits::kMaxTensorElements / dim)
        return op->emitOpError("tensor ")
               << tensor << " has more than " << limits::kMaxTensorElements
               << " elements, the largest supported";
      elements *= dim;
    }
    return success();
  };
  for (Type type : op->getOperandTypes())
    if (failed(check(type)))
      return failure();
  for (Type type : op->getResultTypes())
    if (failed(check(type)))
      return failure();
  return success();
}

} // namespace helix
