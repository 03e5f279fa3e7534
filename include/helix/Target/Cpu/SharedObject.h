//===- SharedObject.h - compile a decode step to a CPU shared object -*- C++ -*-===//
#ifndef HELIX_TARGET_CPU_SHAREDOBJECT_H
#define HELIX_TARGET_CPU_SHAREDOBJECT_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"

#include <string>

namespace helix {

/// helix-lower-to-runtime for `target` ("cpu", or "cuda": host code whose
/// every buffer and op goes through the runtime's device), then upstream
/// conversions down to the LLVM dialect (linalg to loops, SCF to CF,
/// memref/arith/func/cf to LLVM). Both targets compile to host code.
void buildCpuLoweringPipeline(mlir::OpPassManager &pm,
                              const std::string &target = "cpu");

/// Registers `helix-lower-to-llvm` (the pipeline above, option `target`) for
/// helix-opt.
void registerCpuLoweringPipeline();

/// Lowers `module` (sharded or not; modified in place), translates it to
/// LLVM IR, optimizes and compiles it for the host CPU and links the shared
/// object `path` (written atomically). The object exports the symbols of
/// docs/abi.md. On failure returns false with a one-line `error`.
/// `cpu` is "host" or an LLVM CPU name (x86-64-v3, sapphirerapids, ...).
bool compileToSharedObject(mlir::ModuleOp module, const std::string &path,
                           std::string &error,
                           const std::string &target = "cpu",
                           const std::string &cpu = "host");

} // namespace helix

#endif // HELIX_TARGET_CPU_SHAREDOBJECT_H
