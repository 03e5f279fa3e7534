//===- Passes.td - helix conversion passes -----------------*- tablegen -*-===//
#ifndef HELIX_CONVERSION_PASSES_TD
#define HELIX_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def HelixLowerToRuntime : Pass<"helix-lower-to-runtime", "::mlir::ModuleOp"> {
  let summary = "Lower the decode step to memrefs, loops and runtime calls";
  let description = [{
    Rewrites `@decode_step` (sharded or not) into the function the CPU
    runtime calls (docs/abi.md):

    ```mlir
    func.func @decode_step(%ctx: i64, %tokens: memref<?xi64>,
        %positions: memref<?xi64>, %next: memref<?xi64>,
        %logits: memref<?xVxf32>) attributes {llvm.emit_c_interface}
    ```

    Every tensor becomes a buffer (`memref.alloc`, freed after its last
    use); residual adds, RMSNorm, the LSE merge, shard sums, argmax,
    slicing, concatenation and the KV owner rule become loops (linalg / scf
    / math) compiled with the module; the GEMM-, attention- and routing-heavy
    helix ops and `shard` collectives become calls to the runtime's
    microkernels and
    communicators (`@helix_rt_*`, declared with C interfaces), which get the
    rank context `%ctx`, weight ids and group ids. The cache values
    disappear: the runtime owns each rank's cache. The manifest the runtime
    needs (weights with slices, RoPE variants, collective groups, layout,
    cache shape) is attached as the `helix.manifest` string attribute.

    With `target=cuda` no data is touched by the module itself: every
    buffer comes from `@helix_rt_alloc` (device memory on a GPU rank,
    shaped with `memref.view`) and goes back through `@helix_rt_free`;
    copies, residual adds, RMSNorm, the LSE merge, shard sums, argmax and
    the KV owner rule become runtime calls (`@helix_rt_copy_f32_2d`,
    `@helix_rt_add`, `@helix_rt_rms_norm`, ...) that the runtime's device
    runs as kernels. The module is then host code that enqueues kernels and
    collectives, and the manifest says `"target": "cuda"`. The fused
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
           "Where the step's buffers live: `cpu` (loops compiled into the "
           "module) or `cuda` (every buffer and op through the runtime's "
           "device)">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
    "::mlir::linalg::LinalgDialect", "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect"
  ];
}

#endif // HELIX_CONVERSION_PASSES_TD
