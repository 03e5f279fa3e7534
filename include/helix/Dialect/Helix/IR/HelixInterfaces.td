//===- HelixInterfaces.td - helix op interfaces ------------*- tablegen -*-===//
#ifndef HELIX_DIALECT_HELIX_IR_HELIXINTERFACES_TD
#define HELIX_DIALECT_HELIX_IR_HELIXINTERFACES_TD

include "mlir/IR/OpBase.td"

def Helix_WeightUserOpInterface : OpInterface<"WeightUserOpInterface"> {
  let cppNamespace = "::helix";
  let description = [{
    Ops that read checkpoint tensors by their Hugging Face names. The graph
    summary counts parameters through it and the runtime learns from it which
    tensors to load (and, after sharding, which slice of each).
  }];
  let methods = [
    InterfaceMethod<[{
        Appends every checkpoint tensor this op reads, with its full shape.
      }], "void", "getWeights",
      (ins "::llvm::SmallVectorImpl<::helix::WeightRef> &":$weights)>
  ];
}

#endif // HELIX_DIALECT_HELIX_IR_HELIXINTERFACES_TD
