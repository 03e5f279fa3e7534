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

#endif // HELIX_DIALECT_HELIX_TRANSFORMS_PASSES_TD
