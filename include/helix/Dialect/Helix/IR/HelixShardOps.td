//===- HelixShardOps.td - ops of sharded decode graphs -----*- tablegen -*-===//
//
// Created by the sharding passes; never by the importer. Collectives
// themselves are upstream `shard` ops on the grids @helix_attention and
// @helix_ffn; the ops here are the Helix-specific pieces around them.
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_DIALECT_HELIX_IR_HELIXSHARDOPS_TD
#define HELIX_DIALECT_HELIX_IR_HELIXSHARDOPS_TD

include "mlir/IR/RegionKindInterface.td"

// [1, B, heads, D + 1]: per head D partial outputs followed by the LSE.
def Helix_PackedPartials : 4DTensorOf<[F32]>;

def Helix_KvOwnerOp : Helix_Op<"kv_owner", [Pure,
    AllTypesMatch<["positions", "result"]>]> {
  let summary = "The KVP rank that stores the token at each position";
  let description = [{
    Staggered round-robin ownership: `result[b] = (positions[b] / block) %
    shards`. Block after block of consecutive tokens goes to KVP rank 0, 1,
    ..., so every rank's slice stays contiguous and balanced to within one
    block. Created by `helix-kv-ownership` and consumed by the appends.

    ```mlir
    %owner = helix.kv_owner %pos {block = 16 : i64, shards = 8 : i64} : tensor<?xi64>
    ```
  }];
  let arguments = (ins Helix_Positions:$positions,
                       ConfinedAttr<I64Attr, [IntPositive, Helix_AtMost<"kMaxPositions">]>:$block,
                       ConfinedAttr<I64Attr, [IntPositive, Helix_AtMost<"kMaxRanks">]>:$shards);
  let results = (outs Helix_Positions:$result);
  let assemblyFormat = "$positions attr-dict `:` type($positions)";
}

def Helix_GqaPartialAttentionOp : Helix_Op<"gqa_partial_attention", [Pure,
    AttrSizedOperandSegments]> {
  let summary = "GQA decode attention over this rank's KV slice, with LSE";
  let description = [{
    `helix.gqa_attention` restricted to the tokens this rank holds: all of
    them on a cache with `token_shards = 1`, else those at positions <=
    `positions[b]` whose owner is KVP index `rank`. For each sequence and
    local query head it returns the softmax-normalised partial output and the
    natural-log log-sum-exp of the scaled scores, packed as `[1, B, heads,
    head_dim + 1]` (LSE last) so that one all-to-all moves both. A rank with
    no tokens for a sequence returns output 0 and LSE -inf (never NaN).
    `rows from %r` addresses cache rows from `r`, as for `helix.kv_append`.

    ```mlir
    %p = helix.gqa_partial_attention %q, %kv[0] at %pos kvp = %me
           {num_heads = 16 : i64, scale = 0.088388347648318 : f64}
           : tensor<?x2048xf32>, !helix.kv_cache<layers = 126, kv_heads = 1,
             head_dim = 128, element_type = bf16, token_shards = 8, block = 16>,
             tensor<?xi64> -> tensor<1x?x16x129xf32>
    ```
  }];
  let arguments = (ins Helix_Activation:$query, Helix_KvCacheType:$cache,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$layer,
                       Helix_Positions:$positions, Optional<Index>:$rank,
                       Optional<Index>:$row_offset,
                       ConfinedAttr<I64Attr, [IntPositive, Helix_AtMost<"kMaxHeads">]>:$num_heads,
                       F64Attr:$scale);
  let results = (outs Helix_PackedPartials:$result);
  let assemblyFormat = [{
    $query `,` $cache `[` $layer `]` `at` $positions (`kvp` `=` $rank^)?
    (`rows` `from` $row_offset^)? attr-dict `:` type($query) `,` qualified(type($cache)) `,` type($positions)
    `->` type($result)
  }];
  let hasVerifier = 1;
}

def Helix_MlaPartialAttentionOp : Helix_Op<"mla_partial_attention", [Pure,
    AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<Helix_WeightUserOpInterface>]> {
  let summary = "Absorbed MLA attention over this rank's latent slice, with LSE";
  let description = [{
    The absorbed form of `helix.mla_attention`: each head's no-RoPE query is
    multiplied by its `W_UK` block of `kv_b_proj` to land in latent space,
    scores are `scale * (q_latent . c_t + q_rope . k_rope_t)` over the tokens
    this rank holds, and the partial output stays in latent space
    (`sum_t p_t c_t`). Returns `[1, B, heads, kv_lora_rank + 1]` with the
    natural-log LSE last; `W_UV` is applied after the merge by
    `helix.mla_value_projection`. Empty slices give output 0 and LSE -inf.

    ```mlir
    %p = helix.mla_partial_attention %q, %c[0] at %pos kvp = %me kv_b_proj
           "model.layers.0.self_attn.kv_b_proj.weight"
           {num_heads = 128 : i64, qk_nope_head_dim = 128 : i64,
            v_head_dim = 128 : i64, scale = 0.1352 : f64}
           : tensor<?x24576xf32>, !helix.latent_cache<layers = 61, kv_lora_rank = 512,
             rope_dim = 64, element_type = bf16, token_shards = 64, block = 16>,
             tensor<?xi64> -> tensor<1x?x128x513xf32>
    ```
  }];
  let arguments = (ins Helix_Activation:$query, Helix_LatentCacheType:$cache,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$layer,
                       Helix_Positions:$positions, Optional<Index>:$rank,
                       Optional<Index>:$row_offset, StrAttr:$kv_b_proj,
                       ConfinedAttr<I64Attr, [IntPositive, Helix_AtMost<"kMaxHeads">]>:$num_heads,
                       ConfinedAttr<I64Attr, [IntPositive, Helix_AtMost<"kMaxHeadDim">]>:$qk_nope_head_dim,
                       ConfinedAttr<I64Attr, [IntPositive, Helix_AtMost<"kMaxHeadDim">]>:$v_head_dim,
                       F64Attr:$scale);
  let results = (outs Helix_PackedPartials:$result);
  let assemblyFormat = [{
    $query `,` $cache `[` $layer `]` `at` $positions (`kvp` `=` $rank^)?
    (`rows` `from` $row_offset^)? `kv_b_proj` $kv_b_proj attr-dict `:` type($query) `,` qualified(type($cache))
    `,` type($positions) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Helix_LseMergeOp : Helix_Op<"lse_merge", [Pure]> {
  let summary = "Exact log-sum-exp merge of partial attention outputs";
  let description = [{
    Input `[K, B, heads, D + 1]`: for each of K KV shards the partial output
    (D values) and LSE of every head, as the all-to-all delivers them. With
    `LSE_g = log(sum_k exp(LSE_k))` computed with the max trick in fp32, the
    result is `sum_k exp(LSE_k - LSE_g) * O_k`, packed as `[B, heads * D]`.
    Shards with LSE = -inf weigh 0; if every shard is empty the output is 0.

    ```mlir
    %m = helix.lse_merge %parts : tensor<8x?x2x129xf32> -> tensor<?x256xf32>
    ```
  }];
  let arguments = (ins Helix_PackedPartials:$partials);
  let results = (outs Helix_Activation:$result);
  let assemblyFormat = "$partials attr-dict `:` type($partials) `->` type($result)";
  let hasVerifier = 1;
}

def Helix_MlaValueProjectionOp : Helix_Op<"mla_value_projection", [Pure,
    DeclareOpInterfaceMethods<Helix_WeightUserOpInterface>]> {
  let summary = "MLA W_UV: merged latent outputs to per-head values";
  let description = [{
    Multiplies each head's merged latent output `[kv_lora_rank]` by that
    head's `W_UV` block of `kv_b_proj` (rows `qk_nope_head_dim ..
    qk_nope_head_dim + v_head_dim` of the head's `qk_nope_head_dim +
    v_head_dim` rows). The rank handles the block of `num_heads` heads given
    by `slice` (over dimension 0 of `kv_b_proj`, whole heads).

    ```mlir
    %v = helix.mla_value_projection %m kv_b_proj "model.layers.0.self_attn.kv_b_proj.weight"
           {num_heads = 128 : i64, qk_nope_head_dim = 128 : i64, v_head_dim = 128 : i64,
            slice = #helix.slice<dim = 0, grid = @helix_attention, axes = [1, 0]>}
           : tensor<?x1024xf32> -> tensor<?x256xf32>
    ```
  }];
  let arguments = (ins Helix_Activation:$input, StrAttr:$kv_b_proj,
                       ConfinedAttr<I64Attr, [IntPositive, Helix_AtMost<"kMaxHeads">]>:$num_heads,
                       ConfinedAttr<I64Attr, [IntPositive, Helix_AtMost<"kMaxHeadDim">]>:$qk_nope_head_dim,
                       ConfinedAttr<I64Attr, [IntPositive, Helix_AtMost<"kMaxHeadDim">]>:$v_head_dim,
                       OptionalAttr<Helix_SliceAttr>:$slice);
  let results = (outs Helix_Activation:$result);
  let assemblyFormat = [{
    $input `kv_b_proj` $kv_b_proj attr-dict `:` type($input) `->` type($result)
  }];
}

def Helix_MergeLinearOp : Helix_Op<"merge_linear", [Pure,
    DeclareOpInterfaceMethods<Helix_WeightUserOpInterface>]> {
  let summary = "LSE merge fused into the linear projection it feeds";
  let description = [{
    `helix.lse_merge` of `partials` followed by `helix.linear` with `weight`
    and `slice`, as one op, so a device merges straight into the GEMM's
    input and no merged fp32 activation is written in between. Made by
    `helix-fuse-merge-into-linear` from a merge whose only user is the
    attention output projection `W_O`; the semantics are exactly those of
    the two ops.

    ```mlir
    %o = helix.merge_linear %parts weight "model.layers.0.self_attn.o_proj.weight"
           {slice = #helix.slice<dim = 1, grid = @helix_attention, axes = [1, 0]>}
           : tensor<8x?x2x129xf32> -> tensor<?x16384xf32>
    ```
  }];
  let arguments = (ins Helix_PackedPartials:$partials, StrAttr:$weight,
                       OptionalAttr<Helix_SliceAttr>:$slice);
  let results = (outs Helix_Activation:$result);
  let assemblyFormat = [{
    $partials `weight` $weight attr-dict `:` type($partials) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Helix_MergeValueProjectionOp : Helix_Op<"merge_value_projection", [Pure,
    DeclareOpInterfaceMethods<Helix_WeightUserOpInterface>]> {
  let summary = "LSE merge fused into MLA's W_UV projection";
  let description = [{
    `helix.lse_merge` of the latent `partials` followed by
    `helix.mla_value_projection` with the same attributes, as one op (made
    by `helix-fuse-merge-into-linear`); the semantics are exactly those of
    the two ops.

    ```mlir
    %v = helix.merge_value_projection %parts kv_b_proj "model.layers.0.self_attn.kv_b_proj.weight"
           {num_heads = 128 : i64, qk_nope_head_dim = 128 : i64, v_head_dim = 128 : i64,
            slice = #helix.slice<dim = 0, grid = @helix_attention, axes = [1, 0]>}
           : tensor<8x?x2x513xf32> -> tensor<?x256xf32>
    ```
  }];
  let arguments = (ins Helix_PackedPartials:$partials, StrAttr:$kv_b_proj,
                       ConfinedAttr<I64Attr, [IntPositive, Helix_AtMost<"kMaxHeads">]>:$num_heads,
                       ConfinedAttr<I64Attr, [IntPositive, Helix_AtMost<"kMaxHeadDim">]>:$qk_nope_head_dim,
                       ConfinedAttr<I64Attr, [IntPositive, Helix_AtMost<"kMaxHeadDim">]>:$v_head_dim,
                       OptionalAttr<Helix_SliceAttr>:$slice);
  let results = (outs Helix_Activation:$result);
  let assemblyFormat = [{
    $partials `kv_b_proj` $kv_b_proj attr-dict `:` type($partials) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Helix_SumShardsOp : Helix_Op<"sum_shards", [Pure]> {
  let summary = "Sum an all-gathered stack of partial results";
  let description = [{
    `[K, B, F] -> [B, F]`: adds the K gathered contributions (one per EP
    group for MoE) into the replicated result.

    ```mlir
    %y = helix.sum_shards %g : tensor<64x?x7168xf32> -> tensor<?x7168xf32>
    ```
  }];
  let arguments = (ins 3DTensorOf<[F32]>:$input);
  let results = (outs Helix_Activation:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Helix_CollectiveStartOp : Helix_Op<"collective_start", [
    SingleBlock, RecursiveMemoryEffects]> {
  let summary = "Start a collective without waiting for it";
  let description = [{
    Wraps exactly one upstream `shard` collective (`all_to_all`,
    `all_reduce`, `all_gather`) and returns a request for its result,
    available from `helix.collective_wait`. Created by `helix-hopb`, which
    places independent micro-batches' compute between start and wait.

    ```mlir
    %req = helix.collective_start {
      %r = shard.all_to_all %p on @helix_attention grid_axes = [0]
             split_axis = 2 concat_axis = 0 : tensor<1x?x16x129xf32> -> tensor<8x?x2x129xf32>
      helix.yield %r : tensor<8x?x2x129xf32>
    } : !helix.request<tensor<8x?x2x129xf32>>
    ```
  }];
  let regions = (region SizedRegion<1>:$body);
  let results = (outs Helix_RequestType:$request);
  let assemblyFormat = "$body attr-dict `:` qualified(type($request))";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The collective inside the region.
    ::mlir::Operation *getCollective();
  }];
}

def Helix_YieldOp : Helix_Op<"yield", [Pure, Terminator,
    HasParent<"CollectiveStartOp">]> {
  let summary = "Result of the collective inside helix.collective_start";
  let description = [{
    ```mlir
    helix.yield %r : tensor<8x?x2x129xf32>
    ```
  }];
  let arguments = (ins AnyType:$value);
  let assemblyFormat = "$value attr-dict `:` type($value)";
}

def Helix_CollectiveWaitOp : Helix_Op<"collective_wait", [
    TypesMatchWith<"result is the request's result type", "request", "result",
                   "::llvm::cast<::helix::RequestType>($_self).getResultType()">]> {
  let summary = "Wait for a started collective and take its result";
  let description = [{
    ```mlir
    %parts = helix.collective_wait %req : !helix.request<tensor<8x?x2x129xf32>>
    ```
  }];
  let arguments = (ins Helix_RequestType:$request);
  let results = (outs AnyType:$result);
  let assemblyFormat = "$request attr-dict `:` qualified(type($request))";
}

#endif // HELIX_DIALECT_HELIX_IR_HELIXSHARDOPS_TD
