//===- VerifyUtils.h - shape checks shared by helix op verifiers -*- C++ -*-===//
#ifndef HELIX_LIB_DIALECT_HELIX_IR_VERIFYUTILS_H
#define HELIX_LIB_DIALECT_HELIX_IR_VERIFYUTILS_H

#include "helix/Model/Limits.h"

#include "mlir/IR/Attributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Operation.h"

namespace helix {
/// A type's or attribute's size and its bound (helix/Model/Limits.h).
struct SizeBound {
  llvm::StringRef name;
  int64_t value, max;
};
/// Fails naming the first size above its bound, in config.json's words.
mlir::LogicalResult
verifyBounds(llvm::function_ref<mlir::InFlightDiagnostic()> emitError,
             llvm::StringRef what, llvm::ArrayRef<SizeBound> sizes);
/// Fails unless every value is a ranked tensor whose static leading (batch)
/// dimensions agree.
mlir::LogicalResult verifySameBatch(mlir::Operation *op,
                                    mlir::ValueRange values);
/// The static size of the last dimension of a ranked tensor value.
int64_t featureDim(mlir::Value value);
/// Fails with "expects <what> to have <expected> columns" unless the last
/// dimension of `value` is static and equal to `expected`.
mlir::LogicalResult verifyFeatureDim(mlir::Operation *op, mlir::Value value,
                                     int64_t expected, llvm::StringRef what);
/// Fails unless `layer` indexes one of the cache's `layers`.
mlir::LogicalResult verifyLayerIndex(mlir::Operation *op, int64_t layer,
                                     int64_t layers);
/// Fails unless `slice` (if any) cuts a dimension <= maxDim and names a
/// grid that exists, with valid axes.
mlir::LogicalResult verifySlice(mlir::Operation *op, mlir::Attribute slice,
                                int64_t maxDim);
/// Fails unless a token-sharded cache comes with owner and rank operands and
/// an unsharded one without them.
mlir::LogicalResult verifyOwnership(mlir::Operation *op, int64_t tokenShards,
                                    bool hasOwner, bool hasRank);
/// verifyOwnership, and an append to a token-sharded cache names the owner.
mlir::LogicalResult verifyAppendOwnership(mlir::Operation *op,
                                          int64_t tokenShards, bool hasOwner,
                                          bool hasRank);
} // namespace helix

#endif // HELIX_LIB_DIALECT_HELIX_IR_VERIFYUTILS_H
