//===- IrFuzz.cpp - helix IR text: parse, verify, shard, lower ------------===//
//
// The input is MLIR text as helix-opt reads it (the helix dialect with
// func, arith, tensor and shard). What parses and verifies goes down both
// paths helix-run compiles: the CPU lowering to the LLVM dialect as is, and
// the sharding pipeline for a small layout followed by the same lowering.
// LLVM's own code generation is left out: it is upstream's, and slow. Every
// failure must end as a diagnostic, never a crash or an abort.
//
//===----------------------------------------------------------------------===//
#include "helix/Dialect/Helix/IR/HelixDialect.h"
#include "helix/Pipelines/ShardPipeline.h"
#include "helix/Target/Cpu/SharedObject.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

#include <cstddef>
#include <cstdint>

using namespace mlir;

namespace {

// Small enough for the tiny models of the seeds, and every pass has work:
// KV and FFN split in two, two HOP-B micro-batches, a short KV block.
helix::Layout fuzzLayout() {
  helix::Layout layout;
  layout.kvp = 2;
  layout.tpa = 1;
  layout.tpf = 2;
  layout.ep = 1;
  layout.microbatches = 2;
  layout.kvBlock = 4;
  return layout;
}

void lower(ModuleOp module, bool shard) {
  PassManager pm(module->getContext());
  if (shard)
    helix::buildShardPipelineForLayout(pm, fuzzLayout());
  helix::buildCpuLoweringPipeline(pm, "cpu");
  (void)pm.run(module);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  DialectRegistry registry;
  registry.insert<helix::HelixDialect, arith::ArithDialect, func::FuncDialect,
                  shard::ShardDialect, tensor::TensorDialect>();
  // A context per input: attributes and types are never freed in one.
  MLIRContext context(registry, MLIRContext::Threading::DISABLED);
  context.printOpOnDiagnostic(false);
  ScopedDiagnosticHandler quiet(&context, [](Diagnostic &) { return success(); });
  // A NUL-terminated copy, as helix-opt's file buffers are: MLIR's lexer
  // reads the terminator (libFuzzer's bytes have none).
  llvm::SourceMgr sources;
  sources.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(
          StringRef(reinterpret_cast<const char *>(data), size), "input"),
      llvm::SMLoc());
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sources, &context);
  if (!module) // Parse or verifier error.
    return 0;
  OwningOpRef<ModuleOp> unsharded(module->clone());
  lower(*unsharded, /*shard=*/false);
  lower(*module, /*shard=*/true);
  return 0;
}
