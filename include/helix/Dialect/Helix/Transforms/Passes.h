//===- Passes.h - helix passes ----------------------------------*- C++ -*-===//
#ifndef HELIX_DIALECT_HELIX_TRANSFORMS_PASSES_H
#define HELIX_DIALECT_HELIX_TRANSFORMS_PASSES_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace helix {

#define GEN_PASS_DECL
#include "helix/Dialect/Helix/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "helix/Dialect/Helix/Transforms/Passes.h.inc"

} // namespace helix

#endif // HELIX_DIALECT_HELIX_TRANSFORMS_PASSES_H
