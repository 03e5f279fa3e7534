//===- StepBuilder.h - emit the lowered decode step -------------*- C++ -*-===//
#ifndef HELIX_LIB_CONVERSION_HELIXTORUNTIME_STEPBUILDER_H
#define HELIX_LIB_CONVERSION_HELIXTORUNTIME_STEPBUILDER_H

#include "helix/Conversion/HelixToRuntime/Manifest.h"

#include "helix_rt/abi.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

namespace helix {

/// Buffers, constants and runtime calls for the lowered step: the small
/// vocabulary the per-op lowerings are written in.
class StepBuilder {
public:
  /// Buffers come from the runtime (helix_rt_alloc: device memory on a GPU,
  /// and on either device an allocation that is checked, so a failure ends
  /// the rank with an error instead of a null pointer used). The module
  /// never reads or writes their data itself: every op on them is a
  /// runtime call.
  StepBuilder(mlir::ModuleOp module, mlir::OpBuilder &b, mlir::Value ctx,
              ManifestBuilder &manifest)
      : module(module), b(b), ctx(ctx), manifest(manifest) {}

  mlir::OpBuilder &builder() { return b; }
  ManifestBuilder &manifestBuilder() { return manifest; }
  mlir::IRMapping &mapping() { return map; }

  /// The buffer a tensor value of the original step became.
  mlir::Value buffer(mlir::Value tensor) { return map.lookup(tensor); }
  /// A fresh identity-layout buffer shaped like `tensorType`, whose dynamic
  /// dimensions (the batch) take the size of `like`'s dynamic dimension.
  mlir::Value alloc(mlir::Location loc, mlir::Type tensorType, mlir::Value like);
  /// A buffer of `type` with `sizes`, freed after its last use: a
  /// `helix_rt_alloc` block shaped by memref.view.
  mlir::Value allocBuffer(mlir::Location loc, mlir::MemRefType type,
                          mlir::ValueRange sizes);
  /// Frees a buffer from allocations() (`helix_rt_free`).
  void release(mlir::Location loc, mlir::Value allocation);
  /// Copies `src` into `dst` (same shape, any strides):
  /// `helix_rt_copy_<type>_<rank>d`.
  void copy(mlir::Location loc, mlir::Value src, mlir::Value dst);
  /// Size of the first dynamic dimension of a buffer (the batch).
  mlir::Value batchOf(mlir::Location loc, mlir::Value buffer);

  mlir::Value i64(mlir::Location loc, int64_t value);
  mlir::Value f32(mlir::Location loc, double value);
  mlir::Value indexToI64(mlir::Location loc, mlir::Value index);

  /// Calls the entry point `helix_rt_<name>(ctx, args...)`, declaring it
  /// (with a C interface) on first use. Returns the i64 result when
  /// `returnsI64`.
  mlir::Value call(mlir::Location loc, helix_rt::abi::Entry entry,
                   mlir::ValueRange args, bool returnsI64 = false);

  /// Calls `helix_rt_<name>(ctx, args...)` returning a memref of `type`
  /// (through the C interface's result pointer).
  mlir::Value callReturning(mlir::Location loc, helix_rt::abi::Entry entry,
                            mlir::ValueRange args, mlir::MemRefType type);

  /// Calls the entry point with `operands` (ctx included) as they are.
  mlir::func::CallOp emitCall(mlir::Location loc, helix_rt::abi::Entry entry,
                              mlir::ValueRange operands,
                              mlir::TypeRange results);

  /// Every allocation so far (freed before the step returns): the
  /// memref.alloc results, or the raw `helix_rt_alloc` blocks under the views.
  llvm::ArrayRef<mlir::Value> allocations() const { return allocs; }
  /// An allocation's size: `unitBytes` times each of its `dynamicDims`
  /// dynamic sizes (the step's rows or a micro-batch's, at most the rows).
  struct AllocationSize {
    int64_t unitBytes = 0;
    int64_t dynamicDims = 0;
  };
  AllocationSize sizeOf(mlir::Value allocation) const {
    return sizes.lookup(allocation);
  }

private:
  mlir::ModuleOp module;
  mlir::OpBuilder &b;
  mlir::Value ctx;
  ManifestBuilder &manifest;
  mlir::IRMapping map;
  llvm::SmallVector<mlir::Value> allocs;
  llvm::DenseMap<mlir::Value, AllocationSize> sizes;
};

/// Frees every buffer right after its last use (views and started
/// collectives included). The block must end with its terminator.
void placeDeallocations(StepBuilder &step, mlir::Block &block);

/// The peak of the step's live buffers over `block` (after
/// placeDeallocations), as bytes per step row plus fixed bytes; fails at
/// a buffer whose size is not of that form.
mlir::FailureOr<helix_rt::ScratchSpec> peakScratch(const StepBuilder &step,
                                                   mlir::Block &block);

/// Lowers one op of the original step; fails with a diagnostic on ops it
/// does not know.
mlir::LogicalResult lowerOp(StepBuilder &step, mlir::Operation *op);

} // namespace helix

#endif // HELIX_LIB_CONVERSION_HELIXTORUNTIME_STEPBUILDER_H
