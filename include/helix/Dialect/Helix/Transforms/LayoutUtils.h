//===- LayoutUtils.h - what the sharding passes share -----------*- C++ -*-===//
#ifndef HELIX_DIALECT_HELIX_TRANSFORMS_LAYOUTUTILS_H
#define HELIX_DIALECT_HELIX_TRANSFORMS_LAYOUTUTILS_H

#include "helix/Dialect/Helix/IR/HelixOps.h"

#include "mlir/IR/BuiltinOps.h"

#include "helix_rt/abi.h"

namespace helix {

/// The device grids declared by helix-set-layout (names from the ABI, which
/// the runtime reads them by).
inline constexpr llvm::StringLiteral
    kAttentionGrid(helix_rt::abi::kAttentionGridName); // kvp x tpa
inline constexpr llvm::StringLiteral
    kFfnGrid(helix_rt::abi::kFfnGridName); // ep x tpf
enum AttentionAxis : int64_t { kKvpAxis = 0, kTpaAxis = 1 };
enum FfnAxis : int64_t { kEpAxis = 0, kTpfAxis = 1 };

/// The module's `helix.layout`, or an error naming `pass` when it is missing.
mlir::FailureOr<LayoutAttr> requireLayout(mlir::ModuleOp module,
                                          llvm::StringRef pass);

/// `#helix.slice<dim = dim, grid = @grid, axes = [axes]>`.
SliceAttr makeSlice(mlir::MLIRContext *context, int64_t dim,
                    llvm::StringRef grid, llvm::ArrayRef<int64_t> axes);

/// The last dimension of a ranked tensor value.
inline int64_t featuresOf(mlir::Value value) {
  auto type = llvm::cast<mlir::RankedTensorType>(value.getType());
  return type.getDimSize(type.getRank() - 1);
}

/// `[B, features]` f32 with the batch dimension of `like`.
mlir::RankedTensorType activationLike(mlir::Value like, int64_t features);

/// Replaces every value of cache type in `module`'s functions (block
/// arguments, results, signatures) by `convert(type)`.
void retypeCaches(mlir::ModuleOp module,
                  llvm::function_ref<mlir::Type(mlir::Type)> convert);

} // namespace helix

#endif // HELIX_DIALECT_HELIX_TRANSFORMS_LAYOUTUTILS_H
