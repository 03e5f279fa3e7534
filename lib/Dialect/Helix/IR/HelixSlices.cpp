//===- HelixSlices.cpp - resolve #helix.slice against its grid ------------===//
#include "helix/Dialect/Helix/IR/HelixSlices.h"

#include "mlir/IR/SymbolTable.h"

using namespace mlir;

namespace helix {

shard::GridOp lookupSliceGrid(Operation *from, SliceAttr slice) {
  return SymbolTable::lookupNearestSymbolFrom<shard::GridOp>(from,
                                                             slice.getGrid());
}

int64_t sliceParts(Operation *from, SliceAttr slice) {
  shard::GridOp grid = lookupSliceGrid(from, slice);
  if (!grid)
    return 0;
  ArrayRef<int64_t> shape = grid.getShape();
  int64_t parts = 1;
  for (int64_t axis : slice.getAxes()) {
    if (axis < 0 || axis >= static_cast<int64_t>(shape.size()) ||
        ShapedType::isDynamic(shape[axis]))
      return 0;
    parts *= shape[axis];
  }
  return parts;
}

std::optional<WeightSlice> toWeightSlice(Operation *from, SliceAttr slice) {
  if (!slice)
    return std::nullopt;
  WeightSlice result;
  result.dim = slice.getDim();
  result.parts = sliceParts(from, slice);
  result.grid = slice.getGrid().getValue().str();
  result.axes.assign(slice.getAxes().begin(), slice.getAxes().end());
  return result;
}

WeightRef slicedWeight(Operation *from, StringRef name, int64_t rows,
                       int64_t cols, SliceAttr slice) {
  WeightRef ref{name.str(), {rows, cols}, toWeightSlice(from, slice)};
  if (ref.slice)
    ref.shape[ref.slice->dim] *= ref.slice->parts;
  return ref;
}

} // namespace helix
