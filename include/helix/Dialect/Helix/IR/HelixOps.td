//===- HelixOps.td - helix decode-graph ops ----------------*- tablegen -*-===//
#ifndef HELIX_DIALECT_HELIX_IR_HELIXOPS_TD
#define HELIX_DIALECT_HELIX_IR_HELIXOPS_TD

include "helix/Dialect/Helix/IR/HelixBase.td"
include "helix/Dialect/Helix/IR/HelixAttrs.td"
include "helix/Dialect/Helix/IR/HelixTypes.td"
include "helix/Dialect/Helix/IR/HelixInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

// Activations: f32 tensors whose leading dimension is the batch.
def Helix_Activation : 2DTensorOf<[F32]>;
def Helix_TokenIds : 1DTensorOf<[I64]>;
def Helix_Positions : 1DTensorOf<[I64]>;

//===----------------------------------------------------------------------===//
// Embedding, norms, projections
//===----------------------------------------------------------------------===//

def Helix_EmbedOp : Helix_Op<"embed", [Pure,
    DeclareOpInterfaceMethods<Helix_WeightUserOpInterface>]> {
  let summary = "Token embedding lookup";
  let description = [{
    Gathers one row of the `[vocab_size, hidden]` embedding table per token.
    The table is the checkpoint tensor named `weight`.

    ```mlir
    %h = helix.embed %tokens weight "model.embed_tokens.weight"
           {vocab_size = 128256 : i64} : tensor<?xi64> -> tensor<?x16384xf32>
    ```
  }];
  let arguments = (ins Helix_TokenIds:$tokens, StrAttr:$weight,
                       ConfinedAttr<I64Attr, [IntPositive, Helix_AtMost<"kMaxVocab">]>:$vocab_size);
  let results = (outs Helix_Activation:$result);
  let assemblyFormat = [{
    $tokens `weight` $weight attr-dict `:` type($tokens) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Helix_RmsNormOp : Helix_Op<"rms_norm", [Pure, SameOperandsAndResultType,
    DeclareOpInterfaceMethods<Helix_WeightUserOpInterface>]> {
  let summary = "RMSNorm over the last dimension";
  let description = [{
    `y = x / sqrt(mean(x^2) + epsilon) * w`, with `w` the checkpoint vector
    named `weight` (length = last dimension of `input`). Used for the layer
    norms, the final norm and MLA's `q_a_layernorm` / `kv_a_layernorm`.

    ```mlir
    %n = helix.rms_norm %h weight "model.layers.0.input_layernorm.weight"
           {epsilon = 1.0e-05 : f64} : tensor<?x16384xf32>
    ```
  }];
  let arguments = (ins Helix_Activation:$input, StrAttr:$weight,
                       F64Attr:$epsilon);
  let results = (outs Helix_Activation:$result);
  let assemblyFormat = "$input `weight` $weight attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Helix_LinearOp : Helix_Op<"linear", [Pure,
    DeclareOpInterfaceMethods<Helix_WeightUserOpInterface>]> {
  let summary = "Bias-free linear projection y = x W^T";
  let description = [{
    Multiplies `[B, in]` activations by the transpose of the checkpoint
    matrix `weight`, stored `[out, in]` as in `torch.nn.Linear`. Covers the
    Q/K/V/O projections, MLA's low-rank projections and the LM head (whose
    weight is `model.embed_tokens.weight` when embeddings are tied).

    ```mlir
    %q = helix.linear %n weight "model.layers.0.self_attn.q_proj.weight"
           : tensor<?x16384xf32> -> tensor<?x16384xf32>
    ```

    With a `slice`, the rank reads one block of the weight: `dim = 0` (rows)
    makes the op column-parallel (a block of the outputs), `dim = 1`
    (columns) row-parallel (the input is the matching block and the result
    is a partial sum that an all-reduce completes).

    ```mlir
    %o = helix.linear %m weight "model.layers.0.self_attn.o_proj.weight"
           {slice = #helix.slice<dim = 1, grid = @helix_attention, axes = [1, 0]>}
           : tensor<?x256xf32> -> tensor<?x16384xf32>
    ```

    `logits` marks the LM head. A prefill chunk needs the logits of a
    sequence's last prompt row only, so the runtime computes the rows its
    caller asks for and leaves the others zero (docs/runtime.md, "Chunked
    prefill"); `rows from` (set by `helix-hopb`) is the micro-batch's first
    row in the step, which the runtime needs to look those rows up.

    ```mlir
    %l = helix.linear %n weight "lm_head.weight" rows from %begin {logits}
           : tensor<?x2048xf32> -> tensor<?x32000xf32>
    ```
  }];
  let arguments = (ins Helix_Activation:$input, StrAttr:$weight,
                       OptionalAttr<Helix_SliceAttr>:$slice,
                       UnitAttr:$logits, Optional<Index>:$row_offset);
  let results = (outs Helix_Activation:$result);
  let assemblyFormat = [{
    $input `weight` $weight (`rows` `from` $row_offset^)? attr-dict `:`
    type($input) `->` type($result)
  }];
  let builders = [
    OpBuilder<(ins "::mlir::Type":$result, "::mlir::Value":$input,
                   "::llvm::StringRef":$weight,
                   "::helix::SliceAttr":$slice), [{
      build($_builder, $_state, result, input, weight, slice,
            /*logits=*/false, /*row_offset=*/::mlir::Value());
    }]>
  ];
  let hasVerifier = 1;
}

def Helix_RopeOp : Helix_Op<"rope", [Pure,
    AllTypesMatch<["input", "result"]>]> {
  let summary = "Rotary position embedding at global positions";
  let description = [{
    Rotates the last `rotary_dim` channels of each of the `heads` heads packed
    in `input` (`[B, heads * head_dim]`) by the angle of the token's global
    position, with the frequencies and pairing of the `rope` attribute. The
    first `head_dim - rotary_dim` channels pass through (MLA's "nope" part).
    YaRN's attention-scale factor (`mscale`) multiplies the rotated channels.

    ```mlir
    %qr = helix.rope %q, %pos {heads = 128 : i64, head_dim = 128 : i64,
            rotary_dim = 128 : i64, rope = #helix.rope<theta = 5.000000e+05>}
            : tensor<?x16384xf32>, tensor<?xi64>
    ```
  }];
  let arguments = (ins Helix_Activation:$input, Helix_Positions:$positions,
                       ConfinedAttr<I64Attr, [IntPositive, Helix_AtMost<"kMaxHeads">]>:$heads,
                       ConfinedAttr<I64Attr, [IntPositive, Helix_AtMost<"kMaxHeadDim">]>:$head_dim,
                       ConfinedAttr<I64Attr, [IntPositive, Helix_AtMost<"kMaxHeadDim">]>:$rotary_dim,
                       Helix_RopeAttr:$rope);
  let results = (outs Helix_Activation:$result);
  let assemblyFormat = [{
    $input `,` $positions attr-dict `:` type($input) `,` type($positions)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Attention over explicit caches
//===----------------------------------------------------------------------===//

def Helix_KvAppendOp : Helix_Op<"kv_append", [Pure, AttrSizedOperandSegments,
    AllTypesMatch<["cache", "result"]>]> {
  let summary = "Append the new token's keys and values to one layer's cache";
  let description = [{
    Writes one token per sequence, at its global position, into layer `layer`
    of the cache and returns the updated cache. Keys are expected after RoPE.
    Threading the cache value makes every read of the cache see the append.

    On a token-sharded cache (`token_shards > 1`) the op names the owner:
    sequence b's token is stored only by the rank whose KVP index `rank`
    equals `owner[b]` (see `helix.kv_owner`); the other ranks skip it.
    `rows from %r` says that sequence b of this (micro-)batch is row `r + b`
    of the cache (default 0): how HOP-B micro-batches address their rows.

    ```mlir
    %kv1 = helix.kv_append %kv0[0], %k, %v at %pos
             : !helix.kv_cache<layers = 126, kv_heads = 8, head_dim = 128, element_type = bf16>,
               tensor<?x1024xf32>, tensor<?x1024xf32>, tensor<?xi64>
    %kv2 = helix.kv_append %kv1[1], %k1, %v1 at %pos owner %own : tensor<?xi64> if kvp = %me
             : !helix.kv_cache<layers = 126, kv_heads = 1, head_dim = 128, element_type = bf16,
               token_shards = 8, block = 16>, tensor<?x128xf32>, tensor<?x128xf32>, tensor<?xi64>
    ```
  }];
  let arguments = (ins Helix_KvCacheType:$cache,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$layer,
                       Helix_Activation:$key, Helix_Activation:$value,
                       Helix_Positions:$positions,
                       Optional<Helix_Positions>:$owner, Optional<Index>:$rank,
                       Optional<Index>:$row_offset);
  let results = (outs Helix_KvCacheType:$result);
  let assemblyFormat = [{
    $cache `[` $layer `]` `,` $key `,` $value `at` $positions
    (`owner` $owner^ `:` type($owner) `if` `kvp` `=` $rank)?
    (`rows` `from` $row_offset^)? attr-dict `:`
    qualified(type($cache)) `,` type($key) `,` type($value) `,` type($positions)
  }];
  let hasVerifier = 1;
}

def Helix_GqaAttentionOp : Helix_Op<"gqa_attention", [Pure]> {
  let summary = "Grouped-query decode attention over a KV cache";
  let description = [{
    For each sequence b, attends its `num_heads` query heads (RoPE applied)
    to the cached tokens at positions `0..positions[b]` of layer `layer`;
    query head h reads KV head `h / (num_heads / kv_heads)`. Softmax of
    `scale * q.k` in fp32. The result packs the heads as `[B, num_heads *
    head_dim]`. The sharding passes split this op into a partial attention
    with log-sum-exp and an exact merge.

    ```mlir
    %o = helix.gqa_attention %q, %kv1[0] at %pos
           {num_heads = 128 : i64, scale = 0.08838834764831845 : f64}
           : tensor<?x16384xf32>, !helix.kv_cache<layers = 126, kv_heads = 8,
             head_dim = 128, element_type = bf16>, tensor<?xi64> -> tensor<?x16384xf32>
    ```
  }];
  let arguments = (ins Helix_Activation:$query, Helix_KvCacheType:$cache,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$layer,
                       Helix_Positions:$positions,
                       ConfinedAttr<I64Attr, [IntPositive, Helix_AtMost<"kMaxHeads">]>:$num_heads,
                       F64Attr:$scale);
  let results = (outs Helix_Activation:$result);
  let assemblyFormat = [{
    $query `,` $cache `[` $layer `]` `at` $positions attr-dict `:`
    type($query) `,` qualified(type($cache)) `,` type($positions) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Helix_LatentAppendOp : Helix_Op<"latent_append", [Pure, AttrSizedOperandSegments,
    AllTypesMatch<["cache", "result"]>]> {
  let summary = "Append the new token's MLA latent and RoPE key";
  let description = [{
    Writes the normalised latent (`kv_a_layernorm` output, `[B,
    kv_lora_rank]`) and the rotated decoupled key (`[B, rope_dim]`) of one
    token per sequence into layer `layer` of the latent cache. On a
    token-sharded cache only the owner rank stores it, as for `kv_append`.

    ```mlir
    %c1 = helix.latent_append %c0[0], %latent, %kpe at %pos
            : !helix.latent_cache<layers = 61, kv_lora_rank = 512, rope_dim = 64,
              element_type = bf16>, tensor<?x512xf32>, tensor<?x64xf32>, tensor<?xi64>
    ```
  }];
  let arguments = (ins Helix_LatentCacheType:$cache,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$layer,
                       Helix_Activation:$latent, Helix_Activation:$key_rope,
                       Helix_Positions:$positions,
                       Optional<Helix_Positions>:$owner, Optional<Index>:$rank,
                       Optional<Index>:$row_offset);
  let results = (outs Helix_LatentCacheType:$result);
  let assemblyFormat = [{
    $cache `[` $layer `]` `,` $latent `,` $key_rope `at` $positions
    (`owner` $owner^ `:` type($owner) `if` `kvp` `=` $rank)?
    (`rows` `from` $row_offset^)? attr-dict
    `:` qualified(type($cache)) `,` type($latent) `,` type($key_rope) `,` type($positions)
  }];
  let hasVerifier = 1;
}

def Helix_MlaAttentionOp : Helix_Op<"mla_attention", [Pure,
    DeclareOpInterfaceMethods<Helix_WeightUserOpInterface>]> {
  let summary = "Multi-head latent attention over a latent cache";
  let description = [{
    DeepSeek-V3 attention for one decode step. `query` packs per head
    `qk_nope_head_dim` channels followed by `rope_dim` rotated channels.
    Keys of head h are `[W_UK,h c_t ; k_rope_t]` and values `W_UV,h c_t`, where
    `c_t` is the cached latent and `W_UK`/`W_UV` are the two row blocks of
    `kv_b_proj` (`[num_heads * (qk_nope_head_dim + v_head_dim), kv_lora_rank]`).
    The op carries `kv_b_proj` so that the absorbed rewrite can fold `W_UK`
    into the query and apply `W_UV` after attention over the latent cache.
    The result is `[B, num_heads * v_head_dim]`, before `o_proj`.

    ```mlir
    %o = helix.mla_attention %q, %c1[0] at %pos kv_b_proj
           "model.layers.0.self_attn.kv_b_proj.weight"
           {num_heads = 128 : i64, qk_nope_head_dim = 128 : i64,
            v_head_dim = 128 : i64, scale = 0.1352337788608801 : f64}
           : tensor<?x24576xf32>, !helix.latent_cache<layers = 61, kv_lora_rank = 512,
             rope_dim = 64, element_type = bf16>, tensor<?xi64> -> tensor<?x16384xf32>
    ```
  }];
  let arguments = (ins Helix_Activation:$query, Helix_LatentCacheType:$cache,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$layer,
                       Helix_Positions:$positions, StrAttr:$kv_b_proj,
                       ConfinedAttr<I64Attr, [IntPositive, Helix_AtMost<"kMaxHeads">]>:$num_heads,
                       ConfinedAttr<I64Attr, [IntPositive, Helix_AtMost<"kMaxHeadDim">]>:$qk_nope_head_dim,
                       ConfinedAttr<I64Attr, [IntPositive, Helix_AtMost<"kMaxHeadDim">]>:$v_head_dim,
                       F64Attr:$scale);
  let results = (outs Helix_Activation:$result);
  let assemblyFormat = [{
    $query `,` $cache `[` $layer `]` `at` $positions `kv_b_proj` $kv_b_proj
    attr-dict `:` type($query) `,` qualified(type($cache)) `,` type($positions) `->`
    type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Feed-forward: dense SwiGLU and mixture of experts
//===----------------------------------------------------------------------===//

def Helix_SwigluMlpOp : Helix_Op<"swiglu_mlp", [Pure,
    AllTypesMatch<["input", "result"]>,
    DeclareOpInterfaceMethods<Helix_WeightUserOpInterface>]> {
  let summary = "Dense SwiGLU feed-forward block";
  let description = [{
    `down(silu(gate(x)) * up(x))` with the checkpoint matrices of `prefix`
    (`<prefix>.gate_proj.weight`, `<prefix>.up_proj.weight` of shape
    `[intermediate_size, hidden]`, `<prefix>.down_proj.weight` of shape
    `[hidden, intermediate_size]`).

    With a `slice` (always `dim = 0`, the intermediate dimension) the rank
    computes only its block of the intermediate width: gate/up are
    column-parallel, down row-parallel, and the result is a partial sum for
    an all-reduce.

    ```mlir
    %f = helix.swiglu_mlp %n prefix "model.layers.0.mlp"
           {intermediate_size = 53248 : i64} : tensor<?x16384xf32>
    ```
  }];
  let arguments = (ins Helix_Activation:$input, StrAttr:$prefix,
                       ConfinedAttr<I64Attr, [IntPositive, Helix_AtMost<"kMaxIntermediate">]>:$intermediate_size,
                       OptionalAttr<Helix_SliceAttr>:$slice);
  let results = (outs Helix_Activation:$result);
  let assemblyFormat = "$input `prefix` $prefix attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Helix_MoeRouteOp : Helix_Op<"moe_route", [Pure,
    DeclareOpInterfaceMethods<Helix_WeightUserOpInterface>]> {
  let summary = "DeepSeek-V3 group-limited top-k expert routing";
  let description = [{
    Scores every routed expert with `sigmoid(x W_gate^T)`, adds
    `e_score_correction_bias` for the choice only, keeps the `topk_group`
    groups (of `num_experts / n_group` experts) with the largest sum of their
    two best biased scores, and picks the `top_k` best experts among them.
    The returned weights are the unbiased sigmoid scores of the chosen
    experts, divided by their sum when `norm_topk_prob`, then multiplied by
    `routed_scaling_factor`. Reads `<prefix>.gate.weight` `[num_experts,
    hidden]` and `<prefix>.gate.e_score_correction_bias` `[num_experts]`.

    ```mlir
    %ids, %w = helix.moe_route %n prefix "model.layers.3.mlp"
                 {num_experts = 256 : i64, top_k = 8 : i64, n_group = 8 : i64,
                  topk_group = 4 : i64, norm_topk_prob = true,
                  routed_scaling_factor = 2.5 : f64}
                 : tensor<?x7168xf32> -> tensor<?x8xi64>, tensor<?x8xf32>
    ```
  }];
  let arguments = (ins Helix_Activation:$input, StrAttr:$prefix,
                       ConfinedAttr<I64Attr, [IntPositive, Helix_AtMost<"kMaxExperts">]>:$num_experts,
                       ConfinedAttr<I64Attr, [IntPositive, Helix_AtMost<"kMaxExperts">]>:$top_k,
                       ConfinedAttr<I64Attr, [IntPositive, Helix_AtMost<"kMaxExperts">]>:$n_group,
                       ConfinedAttr<I64Attr, [IntPositive, Helix_AtMost<"kMaxExperts">]>:$topk_group,
                       BoolAttr:$norm_topk_prob, F64Attr:$routed_scaling_factor);
  let results = (outs 2DTensorOf<[I64]>:$expert_ids,
                      2DTensorOf<[F32]>:$expert_weights);
  let assemblyFormat = [{
    $input `prefix` $prefix attr-dict `:` type($input) `->` type($expert_ids)
    `,` type($expert_weights)
  }];
  let hasVerifier = 1;
}

def Helix_MoeExpertsOp : Helix_Op<"moe_experts", [Pure,
    AllTypesMatch<["input", "result"]>,
    DeclareOpInterfaceMethods<Helix_WeightUserOpInterface>]> {
  let summary = "Routed SwiGLU experts plus optional shared experts";
  let description = [{
    `sum_k w[b,k] * expert_{ids[b,k]}(x[b]) + shared(x[b])`. Each routed
    expert e is a SwiGLU block with the matrices `<prefix>.experts.<e>.
    {gate,up,down}_proj.weight` (width `intermediate_size`); the shared
    experts, present when `shared_intermediate_size > 0`, are one SwiGLU block
    `<prefix>.shared_experts.*` of that width.

    After FFN sharding the rank owns the experts of `expert_slice` (its EP
    group), the block of each expert's width given by `width_slice` (TP
    inside the group) and the block of the shared experts' width given by
    `shared_slice`; tokens routed elsewhere contribute nothing and the
    result is a partial sum completed by the collectives that follow.

    ```mlir
    %y = helix.moe_experts %n, %ids, %w prefix "model.layers.3.mlp"
           {num_experts = 256 : i64, intermediate_size = 2048 : i64,
            shared_intermediate_size = 2048 : i64}
           : tensor<?x7168xf32>, tensor<?x8xi64>, tensor<?x8xf32>
    ```
  }];
  let arguments = (ins Helix_Activation:$input, 2DTensorOf<[I64]>:$expert_ids,
                       2DTensorOf<[F32]>:$expert_weights, StrAttr:$prefix,
                       ConfinedAttr<I64Attr, [IntPositive, Helix_AtMost<"kMaxExperts">]>:$num_experts,
                       ConfinedAttr<I64Attr, [IntPositive, Helix_AtMost<"kMaxIntermediate">]>:$intermediate_size,
                       ConfinedAttr<I64Attr, [IntNonNegative, Helix_AtMost<"kMaxIntermediate">]>:$shared_intermediate_size,
                       OptionalAttr<Helix_SliceAttr>:$expert_slice,
                       OptionalAttr<Helix_SliceAttr>:$width_slice,
                       OptionalAttr<Helix_SliceAttr>:$shared_slice);
  let results = (outs Helix_Activation:$result);
  let assemblyFormat = [{
    $input `,` $expert_ids `,` $expert_weights `prefix` $prefix attr-dict `:`
    type($input) `,` type($expert_ids) `,` type($expert_weights)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Sampling
//===----------------------------------------------------------------------===//

def Helix_ArgmaxOp : Helix_Op<"argmax", [Pure]> {
  let summary = "Greedy sampling: index of the largest logit per sequence";
  let description = [{
    Returns, for every row of `[B, vocab]` logits, the smallest index holding
    the maximum (ties resolve to the lower token id, as `torch.argmax`).

    ```mlir
    %next = helix.argmax %logits : tensor<?x128256xf32> -> tensor<?xi64>
    ```
  }];
  let arguments = (ins Helix_Activation:$logits);
  let results = (outs Helix_TokenIds:$result);
  let assemblyFormat = "$logits attr-dict `:` type($logits) `->` type($result)";
  let hasVerifier = 1;
}

include "helix/Dialect/Helix/IR/HelixShardOps.td"

#endif // HELIX_DIALECT_HELIX_IR_HELIXOPS_TD
