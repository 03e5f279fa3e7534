//===- Collectives.h - build upstream shard collectives on helix grids -*- C++ -*-===//
#ifndef HELIX_DIALECT_HELIX_TRANSFORMS_COLLECTIVES_H
#define HELIX_DIALECT_HELIX_TRANSFORMS_COLLECTIVES_H

#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/IR/Builders.h"

namespace helix {

/// Sum over the ranks that differ only along `axes` of `grid`.
mlir::Value buildAllReduce(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value input, llvm::StringRef grid,
                           llvm::ArrayRef<int16_t> axes);

/// Splits `input` along `splitAxis` over the group along `axes` and stacks
/// what arrives along `concatAxis`; `resultType` is the local result.
mlir::Value buildAllToAll(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Type resultType, mlir::Value input,
                          llvm::StringRef grid, llvm::ArrayRef<int16_t> axes,
                          int64_t splitAxis, int64_t concatAxis);

/// Concatenates the group's inputs along `gatherAxis`.
mlir::Value buildAllGather(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Type resultType, mlir::Value input,
                           llvm::StringRef grid, llvm::ArrayRef<int16_t> axes,
                           int64_t gatherAxis);

} // namespace helix

#endif // HELIX_DIALECT_HELIX_TRANSFORMS_COLLECTIVES_H
