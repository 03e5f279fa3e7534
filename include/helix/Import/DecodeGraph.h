//===- DecodeGraph.h - build the decode-step graph of a model ---*- C++ -*-===//
#ifndef HELIX_IMPORT_DECODEGRAPH_H
#define HELIX_IMPORT_DECODEGRAPH_H

#include "helix/Model/ModelConfig.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace helix {

/// Name of the function that runs one decode step.
inline constexpr const char *kDecodeStepFunction = "decode_step";

/// Builds the module holding `func.func @decode_step(%tokens: tensor<?xi64>,
/// %positions: tensor<?xi64>, %cache) -> (next tokens, logits, cache)` for
/// `config`, unsharded, and verifies it. Loads the dialects it needs. A
/// non-empty `configJson` (the config.json text) is kept on the module as
/// `helix.hf_config` so that later passes (auto layout) can read the model.
mlir::OwningOpRef<mlir::ModuleOp>
buildDecodeGraph(mlir::MLIRContext &context, const ModelConfig &config,
                 llvm::StringRef configJson = {});

} // namespace helix

#endif // HELIX_IMPORT_DECODEGRAPH_H
