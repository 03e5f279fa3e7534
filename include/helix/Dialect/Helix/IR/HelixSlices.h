//===- HelixSlices.h - resolve #helix.slice against its grid ----*- C++ -*-===//
#ifndef HELIX_DIALECT_HELIX_IR_HELIXSLICES_H
#define HELIX_DIALECT_HELIX_IR_HELIXSLICES_H

#include "helix/Dialect/Helix/IR/HelixOps.h"

namespace helix {

/// The grid a slice refers to, looked up from `from`; null if missing.
mlir::shard::GridOp lookupSliceGrid(mlir::Operation *from, SliceAttr slice);

/// How many blocks `slice` cuts its dimension into (the product of its axes'
/// sizes on the grid); 0 if the grid or an axis does not exist.
int64_t sliceParts(mlir::Operation *from, SliceAttr slice);

/// `slice` as a WeightSlice (parts resolved), or nullopt for no slice.
std::optional<WeightSlice> toWeightSlice(mlir::Operation *from,
                                         SliceAttr slice);

/// A [rows, cols] block of checkpoint tensor `name` read through `slice`:
/// the ref carries the full shape (the sliced dimension times its parts).
WeightRef slicedWeight(mlir::Operation *from, llvm::StringRef name,
                       int64_t rows, int64_t cols, SliceAttr slice);

} // namespace helix

#endif // HELIX_DIALECT_HELIX_IR_HELIXSLICES_H
