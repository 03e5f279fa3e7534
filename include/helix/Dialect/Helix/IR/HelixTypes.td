//===- HelixTypes.td - helix types -------------------------*- tablegen -*-===//
#ifndef HELIX_DIALECT_HELIX_IR_HELIXTYPES_TD
#define HELIX_DIALECT_HELIX_IR_HELIXTYPES_TD

include "helix/Dialect/Helix/IR/HelixBase.td"

class Helix_Type<string name, string typeMnemonic> : TypeDef<Helix_Dialect, name> {
  let mnemonic = typeMnemonic;
}

def Helix_KvCacheType : Helix_Type<"KvCache", "kv_cache"> {
  let summary = "The key/value cache of all layers of a GQA model";
  let description = [{
    Opaque, stateful handle to the per-layer key and value history of every
    sequence in the batch. Each token stores `kv_heads x head_dim` keys and as
    many values per layer, in `element_type`. The sequence dimension is not
    part of the type: capacity is a runtime property and the token shard a
    rank owns is decided by the KV ownership pass.

    ```mlir
    !helix.kv_cache<layers = 126, kv_heads = 8, head_dim = 128, element_type = bf16>
    ```

    After KV ownership (`helix-kv-ownership`) the tokens are split over
    `token_shards` ranks in round-robin blocks of `block` tokens: a rank holds
    position p iff `(p / block) % token_shards` is its KVP index.

    ```mlir
    !helix.kv_cache<layers = 126, kv_heads = 1, head_dim = 128, element_type = bf16,
                    token_shards = 8, block = 16>
    ```
  }];
  let parameters = (ins "int64_t":$layers, "int64_t":$kv_heads,
                        "int64_t":$head_dim, "::mlir::Type":$element_type,
                        DefaultValuedParameter<"int64_t", "1">:$token_shards,
                        DefaultValuedParameter<"int64_t", "1">:$block);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Bytes one token occupies in one layer (keys and values).
    int64_t getBytesPerTokenPerLayer() const;
  }];
}

def Helix_LatentCacheType : Helix_Type<"LatentCache", "latent_cache"> {
  let summary = "The compressed latent cache of all layers of an MLA model";
  let description = [{
    Opaque, stateful handle to the multi-head latent attention cache: per layer
    and token one normalised latent vector of `kv_lora_rank` values (shared by
    all heads as keys and values) and one decoupled RoPE key of `rope_dim`
    values.

    ```mlir
    !helix.latent_cache<layers = 61, kv_lora_rank = 512, rope_dim = 64, element_type = bf16>
    ```

    `token_shards` and `block` split the tokens over KVP ranks exactly as for
    `!helix.kv_cache`.
  }];
  let parameters = (ins "int64_t":$layers, "int64_t":$kv_lora_rank,
                        "int64_t":$rope_dim, "::mlir::Type":$element_type,
                        DefaultValuedParameter<"int64_t", "1">:$token_shards,
                        DefaultValuedParameter<"int64_t", "1">:$block);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Bytes one token occupies in one layer (latent and RoPE key).
    int64_t getBytesPerTokenPerLayer() const;
  }];
}

def Helix_RequestType : Helix_Type<"Request", "request"> {
  let summary = "A collective in flight";
  let description = [{
    Returned by `helix.collective_start`; `helix.collective_wait` turns it
    into the collective's result. Between the two, the program may compute
    anything that does not need the result: that is how HOP-B hides
    communication.

    ```mlir
    !helix.request<tensor<8x?x2x129xf32>>
    ```
  }];
  let parameters = (ins "::mlir::Type":$result_type);
  let assemblyFormat = "`<` $result_type `>`";
}

def Helix_AnyCache : AnyTypeOf<[Helix_KvCacheType, Helix_LatentCacheType]>;

#endif // HELIX_DIALECT_HELIX_IR_HELIXTYPES_TD
