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
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
    "::mlir::linalg::LinalgDialect", "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect"
  ];
}

#endif // HELIX_CONVERSION_PASSES_TD
