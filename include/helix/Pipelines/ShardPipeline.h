//===- ShardPipeline.h - the whole Helix sharding pipeline ------*- C++ -*-===//
#ifndef HELIX_PIPELINES_SHARDPIPELINE_H
#define HELIX_PIPELINES_SHARDPIPELINE_H

#include "helix/Sharding/Layout.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace helix {

struct ShardPipelineOptions
    : public mlir::PassPipelineOptions<ShardPipelineOptions> {
  Option<int64_t> kvp{*this, "kvp", llvm::cl::desc("KV parallelism"),
                      llvm::cl::init(1)};
  Option<int64_t> tpa{*this, "tpa", llvm::cl::desc("Attention tensor parallelism"),
                      llvm::cl::init(1)};
  Option<int64_t> tpf{*this, "tpf", llvm::cl::desc("FFN tensor parallelism"),
                      llvm::cl::init(1)};
  Option<int64_t> ep{*this, "ep", llvm::cl::desc("Expert parallelism"),
                     llvm::cl::init(1)};
  Option<int64_t> microbatches{*this, "microbatches",
                               llvm::cl::desc("HOP-B micro-batches"),
                               llvm::cl::init(1)};
  Option<int64_t> kvBlock{*this, "kv-block",
                          llvm::cl::desc("Tokens per staggered KV block"),
                          llvm::cl::init(16)};
  Option<bool> autoLayout{*this, "auto",
                          llvm::cl::desc("Let the planner choose the layout"),
                          llvm::cl::init(false)};
  Option<int64_t> ranks{*this, "ranks", llvm::cl::desc("World size for auto"),
                        llvm::cl::init(0)};
  Option<std::string> hardware{*this, "hardware",
                               llvm::cl::desc("Planner hardware for auto"),
                               llvm::cl::init("h100-sxm-8")};
  Option<int64_t> context{*this, "context",
                          llvm::cl::desc("Context tokens for auto"),
                          llvm::cl::init(131072)};

  /// The explicit layout the options name (ignored with `auto`).
  Layout layout() const {
    return {kvp, tpa, tpf, ep, microbatches, kvBlock};
  }
};

/// set-layout, shard-attention, kv-ownership, shard-ffn, shard-lm-head,
/// verify, hopb, cse, verify.
void buildShardPipeline(mlir::OpPassManager &pm,
                        const ShardPipelineOptions &options);
/// The same for an explicit layout.
void buildShardPipelineForLayout(mlir::OpPassManager &pm,
                                 const Layout &layout);

/// Registers `helix-shard-pipeline` for helix-opt.
void registerShardPipeline();

} // namespace helix

#endif // HELIX_PIPELINES_SHARDPIPELINE_H
