//===- HelixBase.td - The helix dialect definition ---------*- tablegen -*-===//
#ifndef HELIX_DIALECT_HELIX_IR_HELIXBASE_TD
#define HELIX_DIALECT_HELIX_IR_HELIXBASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def Helix_Dialect : Dialect {
  let name = "helix";
  let cppNamespace = "::helix";
  let summary = "Transformer decode-step graphs for Helix-parallel LLM decoding";
  let description = [{
    The `helix` dialect expresses one autoregressive decode step of a whole
    transformer (Llama-style GQA and DeepSeek-style MLA + MoE) as a graph with
    tensor semantics. Activations are `f32` tensors whose leading dimension is
    the (dynamic) batch; weights are referenced by their Hugging Face tensor
    names and are never SSA values, so the same IR describes a 1-rank and an
    N-rank program until the sharding passes rewrite it. The KV cache is
    explicit state: a `!helix.kv_cache` or `!helix.latent_cache` value is
    threaded through `append` and attention ops, one layer at a time.
  }];
  let useDefaultAttributePrinterParser = 1;
  let useDefaultTypePrinterParser = 1;
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::shard::ShardDialect",
                           "::mlir::tensor::TensorDialect"];
}

// A size bounded by helix/Model/Limits.h's `limit`, as config.json's are:
// products of sizes then stay inside int64.
class Helix_AtMost<string limit> : AttrConstraint<
    CPred<"::llvm::cast<::mlir::IntegerAttr>($_self).getInt() <= "
          "::helix::limits::" # limit>,
    "at most helix::limits::" # limit>;

// Every helix op: tensor operands and results of a bounded static extent
// (helix/Model/Limits.h), so buffer sizes the lowering forms fit in int64.
def Helix_BoundedShapes : NativeOpTrait<"BoundedShapes"> {
  let cppNamespace = "::helix";
}

class Helix_Op<string mnemonic, list<Trait> traits = []>
    : Op<Helix_Dialect, mnemonic, !listconcat(traits, [Helix_BoundedShapes])>;

#endif // HELIX_DIALECT_HELIX_IR_HELIXBASE_TD
