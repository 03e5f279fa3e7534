//===- Passes.td - helix conversion passes -----------------*- tablegen -*-===//
#ifndef HELIX_CONVERSION_PASSES_TD
#define HELIX_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def HelixLowerToRuntime : Pass<"helix-lower-to-runtime", "::mlir::ModuleOp"> {
  let summary = "Lower the decode step to buffers and runtime calls";
  let description = [{
    Rewrites `@decode_step` (sharded or not) into the function the CPU
    runtime calls (docs/abi.md):

    ```mlir
    func.func @decode_step(%ctx: i64, %tokens: memref<?xi64>,
        %positions: memref<?xi64>, %next: memref<?xi64>,
        %logits: memref<?xVxf32>) attributes {llvm.emit_c_interface}
    ```

    Every tensor becomes a buffer from the runtime (`helix_rt_alloc` shaped
    by `memref.view`, freed through `helix_rt_free` after its last use; the
    runtime checks each allocation, so running out of memory ends the rank
    with an error rather than a null pointer); slicing and concatenation become subviews and copies. Every op on
    the data is a call into the runtime (`@helix_rt_*`, declared with C
    interfaces), which gets the rank context `%ctx`, weight ids and group
    ids: the GEMM-, attention- and routing-heavy helix ops, the `shard`
    collectives, and the glue too (copies, residual adds, RMSNorm, the LSE
    merge, shard sums, argmax, the KV owner rule), so each op has one
    implementation on the host, the runtime's kernel (docs/design.md). The cache values
    disappear: the runtime owns each rank's cache. The manifest the runtime
    needs (weights with slices, RoPE variants, collective groups, layout,
    cache shape) is attached as the `helix.manifest` string attribute.

    With `target=cuda` the buffers live on the runtime's device too: every
    one comes from `@helix_rt_alloc` (device memory on a GPU rank, shaped
    with `memref.view`) and goes back through `@helix_rt_free`. The module
    is then host code that enqueues kernels and collectives, and the
    manifest says `"target": "cuda"`. The fused
    `helix.merge_linear` / `helix.merge_value_projection` (from
    `helix-fuse-merge-into-linear`, which the `target=cuda` pipeline runs
    first) become `@helix_rt_merge_linear` / `@helix_rt_merge_value_projection`,
    which take the all-to-all's receive buffer.

    ```mlir
    %raw = func.call @helix_rt_alloc(%ctx, %bytes) : (i64, i64) -> memref<?xi8>
    %x = memref.view %raw[%c0][%batch] : memref<?xi8> to memref<?x64xf32>
    func.call @helix_rt_rms_norm(%ctx, %w, %eps, %h, %x) : ...
    func.call @helix_rt_free(%ctx, %raw) : (i64, memref<?xi8>) -> ()
    ```
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"cpu\"",
           "Where the step's buffers live: `cpu` (host memory the module "
           "allocates) or `cuda` (the runtime's device memory)">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
    "::mlir::memref::MemRefDialect"
  ];
}

#endif // HELIX_CONVERSION_PASSES_TD
