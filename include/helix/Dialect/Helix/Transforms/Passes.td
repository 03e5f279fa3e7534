//===- Passes.td - helix pass definitions ------------------*- tablegen -*-===//
#ifndef HELIX_DIALECT_HELIX_TRANSFORMS_PASSES_TD
#define HELIX_DIALECT_HELIX_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def HelixGraphSummary : Pass<"helix-graph-summary", "::mlir::ModuleOp"> {
  let summary = "Print layers, op counts, parameters and KV bytes per token";
  let description = [{
    An analysis that leaves the IR unchanged and prints, to standard output,
    what one decode step of the module does: the model and its layer count,
    how many of each op it runs, the number of checkpoint parameters it reads
    (each named tensor once, through `WeightUserOpInterface`) and the bytes
    the KV cache grows by per token.

    ```
    $ helix-opt --helix-graph-summary llama.mlir -o /dev/null
    model:              LlamaForCausalLM
    layers:             126
    parameters:         405853388800 (405.85 B)
    kv bytes per token: 516096 (4096 per layer, bf16)
    ```
  }];
}

def HelixSetLayout : Pass<"helix-set-layout", "::mlir::ModuleOp"> {
  let summary = "Check a Helix layout against the model and attach it";
  let description = [{
    Checks that the layout can run the imported model (the rules of
    `helix::sharding::validateLayout`: N = kvp*tpa = tpf*ep, tpa divides the
    KV heads and is 1 for MLA, query heads divisible by N, dense FFN width by
    N, experts by ep, expert width by tpf, ...) and fails with one diagnostic
    naming the rule broken. On success it sets `helix.layout` on the module
    and declares the two device grids the sharding passes use:

    ```mlir
    module attributes {helix.layout = #helix.layout<kvp = 8, tpa = 8, tpf = 64,
                                                   ep = 1, microbatches = 1, kv_block = 16>} {
      shard.grid @helix_attention(shape = 8x8)   // kvp x tpa
      shard.grid @helix_ffn(shape = 1x64)        // ep x tpf
      ...
    }
    ```

    With `auto=true ranks=N`, the layout (kvp, tpa, tpf, ep, micro-batches)
    is the planner's lowest-latency Helix layout of N GPUs of `hardware` at
    `context` tokens (`helix::planner::chooseHelixLayout`), reported as a
    remark; the explicit factors are then ignored.
  }];
  let options = [
    Option<"kvp", "kvp", "int64_t", "1", "KV (sequence) parallelism in attention">,
    Option<"tpa", "tpa", "int64_t", "1", "Tensor (head) parallelism in attention">,
    Option<"tpf", "tpf", "int64_t", "1", "Tensor parallelism inside an FFN expert group">,
    Option<"ep", "ep", "int64_t", "1", "Expert parallelism (number of expert groups)">,
    Option<"microbatches", "microbatches", "int64_t", "1", "HOP-B micro-batches">,
    Option<"kvBlock", "kv-block", "int64_t", "16",
           "Consecutive tokens appended to one KVP rank">,
    Option<"autoLayout", "auto", "bool", "false",
           "Ask the planner for the best layout of `ranks` GPUs (needs the "
           "helix.hf_config attribute helix-import attaches)">,
    Option<"ranks", "ranks", "int64_t", "0", "World size for auto">,
    Option<"hardware", "hardware", "std::string", "\"h100-sxm-8\"",
           "Planner hardware preset (or JSON path) for auto">,
    Option<"context", "context", "int64_t", "131072",
           "Context length in tokens the auto layout is chosen for">
  ];
  let dependentDialects = ["::mlir::shard::ShardDialect"];
}

def HelixShardAttention : Pass<"helix-shard-attention", "::mlir::ModuleOp"> {
  let summary = "Rewrite attention into KVP x TPA partial attention + LSE merge";
  let description = [{
    For every layer: the Q/K/V projections read only the rank's TPA head
    shard (replicated across KVP ranks, so no gather of Q), attention becomes
    a partial attention over the rank's KV slice returning output and LSE
    packed together, one `shard.all_to_all` inside the KVP group scatters the
    query heads (Hq/N per rank), `helix.lse_merge` combines the partials
    exactly, and the output projection runs row-parallel over all N ranks
    followed by `shard.all_reduce`. MLA uses the absorbed form: attention over
    the latent cache, merge in latent space, then `W_UV`
    (`helix.mla_value_projection`) for the rank's heads.

    Before (one GQA layer, Hq = 4, K = 2, d = 8):
    ```mlir
    %o = helix.gqa_attention %q, %kv[0] at %pos {num_heads = 4 : i64, ...}
    %a = helix.linear %o weight "...o_proj.weight" : tensor<?x32xf32> -> tensor<?x32xf32>
    ```
    After (kvp = 2, tpa = 2):
    ```mlir
    %p = helix.gqa_partial_attention %q, %kv[0] at %pos {num_heads = 2 : i64, ...}
           : ... -> tensor<1x?x2x9xf32>
    %x = shard.all_to_all %p on @helix_attention grid_axes = [0] split_axis = 2
           concat_axis = 0 : tensor<1x?x2x9xf32> -> tensor<2x?x1x9xf32>
    %m = helix.lse_merge %x : tensor<2x?x1x9xf32> -> tensor<?x8xf32>
    %s = helix.linear %m weight "...o_proj.weight"
           {slice = #helix.slice<dim = 1, grid = @helix_attention, axes = [1, 0]>}
           : tensor<?x8xf32> -> tensor<?x32xf32>
    %a = shard.all_reduce %s on @helix_attention grid_axes = [0, 1] : ...
    ```
  }];
  let dependentDialects = ["::mlir::shard::ShardDialect"];
}

def HelixKvOwnership : Pass<"helix-kv-ownership", "::mlir::ModuleOp"> {
  let summary = "Shard cached tokens over KVP ranks in staggered blocks";
  let description = [{
    Splits every cache's tokens over the kvp ranks of the layout
    (`token_shards = kvp`, `block = kv_block`): the new token of position p
    is appended only by the KVP rank `(p / kv_block) % kvp`, computed in the
    IR by `helix.kv_owner` and compared by each append with the rank's KVP
    coordinate (`shard.process_multi_index`). Partial attention then reads
    the rank's own slice. Positions stay global. With kvp = 1 nothing changes.

    ```mlir
    %me = shard.process_multi_index on @helix_attention axes = [0] : index
    %own = helix.kv_owner %pos {block = 16 : i64, shards = 8 : i64} : tensor<?xi64>
    %kv1 = helix.kv_append %kv0[0], %k, %v at %pos owner %own : tensor<?xi64> if kvp = %me ...
    ```
  }];
  let dependentDialects = ["::mlir::shard::ShardDialect"];
}

def HelixShardFfn : Pass<"helix-shard-ffn", "::mlir::ModuleOp"> {
  let summary = "Reshard the FFN as TP over N, or TP x EP for MoE";
  let description = [{
    Dense SwiGLU: gate/up column-parallel and down row-parallel over all N
    ranks, then `shard.all_reduce` over the whole `@helix_ffn` grid. MoE:
    routing stays replicated (every rank computes it); each rank runs the
    experts of its EP group with TP (tpf) inside the group, plus its 1/N
    block of the shared experts; `shard.all_reduce` over the group (tpf
    axis), `shard.all_gather` across groups (ep axis) and `helix.sum_shards`
    give the replicated result.

    ```mlir
    %p = helix.moe_experts %x, %ids, %w prefix "model.layers.3.mlp"
           {expert_slice = #helix.slice<dim = 0, grid = @helix_ffn, axes = [0]>,
            width_slice = #helix.slice<dim = 0, grid = @helix_ffn, axes = [1]>, ...}
    %r = shard.all_reduce %p on @helix_ffn grid_axes = [1] : ...
    %g = shard.all_gather %e on @helix_ffn grid_axes = [0] gather_axis = 0 : ...
    %y = helix.sum_shards %g : tensor<64x?x7168xf32> -> tensor<?x7168xf32>
    ```
  }];
  let dependentDialects = ["::mlir::shard::ShardDialect", "::mlir::tensor::TensorDialect"];
}

def HelixShardLmHead : Pass<"helix-shard-lm-head", "::mlir::ModuleOp"> {
  let summary = "Split the LM head over the vocabulary across all N ranks";
  let description = [{
    The LM head reads a `[vocab, hidden]` matrix every step, as much as a
    few layers of a small model; replicated, it would cap how far decode
    scales with N. This pass gives each rank `vocab / N` rows (block = its
    rank) and gathers the logits with one `shard.all_gather` over the whole
    attention grid along the vocabulary axis, so every rank holds the full
    logits for the argmax. Skipped (left replicated) when N does not divide
    the vocabulary.

    ```mlir
    %p = helix.linear %n weight "lm_head.weight"
           {slice = #helix.slice<dim = 0, grid = @helix_attention, axes = [0, 1]>}
           : tensor<?x16384xf32> -> tensor<?x2004xf32>
    %l = shard.all_gather %p on @helix_attention grid_axes = [0, 1] gather_axis = 1
           : tensor<?x2004xf32> -> tensor<?x128256xf32>
    ```
  }];
  let dependentDialects = ["::mlir::shard::ShardDialect"];
}

def HelixHopb : Pass<"helix-hopb", "::mlir::ModuleOp"> {
  let summary = "HOP-B: pipeline micro-batches so collectives overlap compute";
  let description = [{
    Splits the decode step into `microbatches` (from the layout) chains over
    row ranges of the batch (sizes differ by at most one), turns every
    collective into `helix.collective_start` / `helix.collective_wait`, and
    interleaves the chains segment by segment (a segment is the compute
    between two collectives): micro-batch m's collective is in flight while
    micro-batch m+1 computes, through attention, the output projection, the
    FFN and across layer boundaries. Waits sit right before the first use.
    With one micro-batch the plain schedule is kept unchanged.

    ```
    seg s:   compute(0,s) start(0,s) | compute(1,s) start(1,s) | ...
    seg s+1: wait(0,s) compute(0,s+1) start(0,s+1) | wait(1,s) compute(1,s+1) ...
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::tensor::TensorDialect"];
}

def HelixFuseMergeIntoLinear
    : Pass<"helix-fuse-merge-into-linear", "::mlir::ModuleOp"> {
  let summary = "Fuse an LSE merge into the projection it feeds";
  let description = [{
    A `helix.lse_merge` whose only user is a `helix.linear` (the attention
    output projection `W_O`) becomes one `helix.merge_linear`; one whose
    only user is a `helix.mla_value_projection` (MLA's `W_UV`) becomes one
    `helix.merge_value_projection`. A device then merges the all-to-all's
    receive buffer straight into the GEMM's input (docs/gpu.md). Merges with
    other or several users stay. The `target=cuda` lowering pipeline
    (`helix-lower-to-llvm target=cuda`) runs it; the CPU target compiles
    the merge as a loop instead and does not.

    ```mlir
    %m = helix.lse_merge %parts : tensor<2x?x1x5xf32> -> tensor<?x4xf32>
    %o = helix.linear %m weight "o" : tensor<?x4xf32> -> tensor<?x8xf32>
    // becomes
    %o = helix.merge_linear %parts weight "o" : tensor<2x?x1x5xf32> -> tensor<?x8xf32>
    ```
  }];
}

def HelixVerifySharding : Pass<"helix-verify-sharding", "::mlir::ModuleOp"> {
  let summary = "Check that a sharded module is consistent with its layout";
  let description = [{
    Run between the sharding phases. Fails with a diagnostic on the first op
    that breaks the layout: grids whose shape is not kvp x tpa / ep x tpf,
    collectives on the wrong grid or axes (all-to-all only over the KVP axis
    of the attention grid, all-reduce over the whole attention grid after the
    output projection, over the FFN grid or its tpf axis, all-gather over the
    ep axis), partial-attention head counts other than Hq/tpa, all-to-all
    results other than Hq/N heads, weight slices whose block count differs
    from the layout's, caches whose KV heads or token shards do not match.
  }];
}

#endif // HELIX_DIALECT_HELIX_TRANSFORMS_PASSES_TD
