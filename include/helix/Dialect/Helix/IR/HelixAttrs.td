//===- HelixAttrs.td - helix attributes and enums ----------*- tablegen -*-===//
#ifndef HELIX_DIALECT_HELIX_IR_HELIXATTRS_TD
#define HELIX_DIALECT_HELIX_IR_HELIXATTRS_TD

include "helix/Dialect/Helix/IR/HelixBase.td"
include "mlir/IR/EnumAttr.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"

// A double-precision parameter printed as an MLIR float literal.
class Helix_DoubleParameter<string desc, string default>
    : DefaultValuedParameter<"::helix::F64", "::helix::F64(" # default # ")", desc> {
  let printer = "$_printer << static_cast<double>($_self)";
}

def Helix_RopeScaling : I32EnumAttr<"RopeScaling",
    "how rotary frequencies are rescaled for long contexts", [
      I32EnumAttrCase<"none", 0>,
      I32EnumAttrCase<"llama3", 1>,
      I32EnumAttrCase<"yarn", 2>]> {
  let cppNamespace = "::helix";
  let genSpecializedAttr = 0;
}

def Helix_RopeLayout : I32EnumAttr<"RopeLayout",
    "which channels of a head form the rotated pairs", [
      I32EnumAttrCase<"half_split", 0>,
      I32EnumAttrCase<"interleaved", 1>]> {
  let cppNamespace = "::helix";
  let genSpecializedAttr = 0;
}

def Helix_RopeAttr : AttrDef<Helix_Dialect, "Rope"> {
  let mnemonic = "rope";
  let summary = "Rotary position embedding variant";
  let description = [{
    Everything needed to compute the rotary frequencies of one model, as
    Hugging Face defines them:

    * `theta`: the base (`rope_theta`).
    * `scaling`: `none` (plain RoPE), `llama3` (`factor`, `low_freq_factor`,
      `high_freq_factor`, `original_max_position`) or `yarn` (`factor`,
      `beta_fast`, `beta_slow`, `mscale`, `mscale_all_dim`,
      `original_max_position`).
    * `layout`: `half_split` pairs channel i with i + d/2 (Llama's
      `rotate_half`); `interleaved` pairs 2i with 2i+1 (DeepSeek-V3's
      `rope_interleave`).

    Positions are always global token indices; the sharding passes never
    rewrite them.

    ```mlir
    #helix.rope<theta = 5.000000e+05, scaling = llama3, layout = half_split,
                factor = 8.000000e+00, original_max_position = 8192>
    ```
  }];
  let parameters = (ins
    Helix_DoubleParameter<"rope_theta", "10000.0">:$theta,
    DefaultValuedParameter<"::helix::RopeScaling", "::helix::RopeScaling::none",
                           "frequency scaling">:$scaling,
    DefaultValuedParameter<"::helix::RopeLayout", "::helix::RopeLayout::half_split",
                           "pairing of rotated channels">:$layout,
    Helix_DoubleParameter<"scaling factor", "1.0">:$factor,
    Helix_DoubleParameter<"llama3 low_freq_factor", "1.0">:$low_freq_factor,
    Helix_DoubleParameter<"llama3 high_freq_factor", "4.0">:$high_freq_factor,
    DefaultValuedParameter<"int64_t", "0",
                           "original_max_position_embeddings">:$original_max_position,
    Helix_DoubleParameter<"yarn beta_fast", "32.0">:$beta_fast,
    Helix_DoubleParameter<"yarn beta_slow", "1.0">:$beta_slow,
    Helix_DoubleParameter<"yarn mscale", "1.0">:$mscale,
    Helix_DoubleParameter<"yarn mscale_all_dim", "0.0">:$mscale_all_dim
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Helix_ModelAttr : AttrDef<Helix_Dialect, "Model"> {
  let mnemonic = "model";
  let summary = "Model-wide facts of an imported decode graph";
  let description = [{
    Attached to the module as `helix.model` by `helix-import`. Holds the
    facts that belong to the model rather than to one op: the Hugging Face
    architecture, the layer count, hidden and vocabulary sizes, the dtype the
    checkpoint stores its weights in and whether the LM head is tied to the
    embedding.

    ```mlir
    module attributes {helix.model = #helix.model<architecture = "LlamaForCausalLM",
        num_layers = 126, hidden_size = 16384, vocab_size = 128256,
        weight_dtype = bf16, tie_word_embeddings = false>} {}
    ```
  }];
  let parameters = (ins
    StringRefParameter<"Hugging Face architecture name">:$architecture,
    "int64_t":$num_layers,
    "int64_t":$hidden_size,
    "int64_t":$vocab_size,
    "::mlir::Type":$weight_dtype,
    "::mlir::BoolAttr":$tie_word_embeddings
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Helix_LayoutAttr : AttrDef<Helix_Dialect, "Layout"> {
  let mnemonic = "layout";
  let summary = "The Helix layout of a sharded module";
  let description = [{
    How the N = kvp x tpa = tpf x ep ranks are used, set on the module as
    `helix.layout` by `helix-set-layout`. Attention runs on the grid
    `@helix_attention` of shape `kvp x tpa` (rank = kvp_index * tpa +
    tpa_index); the FFN on `@helix_ffn` of shape `ep x tpf` (rank = ep_index *
    tpf + tpf_index). `microbatches` is the HOP-B pipeline depth and
    `kv_block` the number of consecutive tokens one KVP rank receives before
    the next rank's turn.

    ```mlir
    #helix.layout<kvp = 8, tpa = 8, tpf = 64, ep = 1, microbatches = 2, kv_block = 16>
    ```
  }];
  let parameters = (ins "int64_t":$kvp, "int64_t":$tpa, "int64_t":$tpf,
                        "int64_t":$ep, "int64_t":$microbatches,
                        "int64_t":$kv_block);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let builders = [
    AttrBuilder<(ins "const ::helix_rt::Layout &":$layout), [{
      return $_get($_ctxt, layout.kvp, layout.tpa, layout.tpf, layout.ep,
                   layout.microbatches, layout.kvBlock);
    }]>
  ];
  let extraClassDeclaration = [{
    int64_t getWorldSize() const { return getKvp() * getTpa(); }
    /// The value type the planner, the driver and the runtime share.
    ::helix_rt::Layout getLayout() const {
      return {getKvp(), getTpa(), getTpf(), getEp(), getMicrobatches(),
              getKvBlock()};
    }
  }];
}

def Helix_SliceAttr : AttrDef<Helix_Dialect, "Slice"> {
  let mnemonic = "slice";
  let summary = "Which block of a checkpoint tensor dimension a rank reads";
  let description = [{
    Dimension `dim` of a tensor is cut into as many equal contiguous blocks as
    the product of the sizes of `axes` of the device grid `grid`; a rank reads
    the block whose index is its coordinate along `axes` (the first axis
    major). For example the output projection of Helix attention reads
    columns by head block `tpa_index * kvp + kvp_index`:

    ```mlir
    #helix.slice<dim = 1, grid = @helix_attention, axes = [1, 0]>
    ```
  }];
  let parameters = (ins "int64_t":$dim, "::mlir::FlatSymbolRefAttr":$grid,
                        ArrayRefParameter<"int64_t", "grid axes">:$axes);
  let assemblyFormat = [{
    `<` `dim` `=` $dim `,` `grid` `=` $grid `,` `axes` `=` `[` $axes `]` `>`
  }];
}

#endif // HELIX_DIALECT_HELIX_IR_HELIXATTRS_TD
