// RUN: rm -rf %t && split-file %s %t
// RUN: helix-opt %t/gqa.mlir --helix-set-layout="kvp=2 tpa=2 tpf=4" --helix-shard-attention | FileCheck %s --check-prefix=GQA
// RUN: helix-opt %t/mla.mlir --helix-set-layout="kvp=4 tpa=1 tpf=4" --helix-shard-attention | FileCheck %s --check-prefix=MLA

//--- gqa.mlir

// One GQA layer: Hq = 4, K = 2, head_dim = 8, hidden = 32. With kvp = 2 and
// tpa = 2 each rank projects 2 query heads and 1 KV head (its TPA shard),
// attends over its KV slice, exchanges 1 head per KVP peer and merges it.
!kv = !helix.kv_cache<layers = 1, kv_heads = 2, head_dim = 8, element_type = f32>
// GQA-LABEL: func.func @gqa_layer
// GQA-SAME: !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 8, element_type = f32>
func.func @gqa_layer(%h: tensor<?x32xf32>, %pos: tensor<?xi64>, %kv: !kv) -> (tensor<?x32xf32>, !kv) {
  // GQA: %[[Q:.*]] = helix.linear %{{.*}} weight "q"
  // GQA-SAME: {slice = #helix.slice<dim = 0, grid = @helix_attention, axes = [1]>}
  // GQA-SAME: : tensor<?x32xf32> -> tensor<?x16xf32>
  // GQA: %[[K:.*]] = helix.linear %{{.*}} weight "k"
  // GQA-SAME: {slice = #helix.slice<dim = 0, grid = @helix_attention, axes = [1]>}
  // GQA-SAME: : tensor<?x32xf32> -> tensor<?x8xf32>
  // GQA: %[[V:.*]] = helix.linear %{{.*}} weight "v"
  // GQA-SAME: {slice = #helix.slice<dim = 0, grid = @helix_attention, axes = [1]>}
  // GQA-SAME: : tensor<?x32xf32> -> tensor<?x8xf32>
  // GQA: %[[QR:.*]] = helix.rope %[[Q]], %{{.*}} {head_dim = 8 : i64, heads = 2 : i64
  // GQA: %[[KR:.*]] = helix.rope %[[K]], %{{.*}} {head_dim = 8 : i64, heads = 1 : i64
  // GQA: %[[KV1:.*]] = helix.kv_append %{{.*}}[0], %[[KR]], %[[V]] at
  // GQA: %[[P:.*]] = helix.gqa_partial_attention %[[QR]], %[[KV1]][0] at %{{[a-z0-9_]+}}
  // GQA-SAME: {num_heads = 2 : i64, scale = 0.353553{{[0-9]*}} : f64}
  // GQA-SAME: : tensor<?x16xf32>,
  // GQA-SAME: !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 8, element_type = f32>,
  // GQA-SAME: -> tensor<1x?x2x9xf32>
  // GQA: %[[X:.*]] = shard.all_to_all %[[P]] on @helix_attention grid_axes = [0]
  // GQA-SAME: split_axis = 2 concat_axis = 0 : tensor<1x?x2x9xf32> -> tensor<2x?x1x9xf32>
  // GQA: %[[M:.*]] = helix.lse_merge %[[X]] : tensor<2x?x1x9xf32> -> tensor<?x8xf32>
  // GQA: %[[O:.*]] = helix.linear %[[M]] weight "o"
  // GQA-SAME: {slice = #helix.slice<dim = 1, grid = @helix_attention, axes = [1, 0]>}
  // GQA-SAME: : tensor<?x8xf32> -> tensor<?x32xf32>
  // GQA: %[[R:.*]] = shard.all_reduce %[[O]] on @helix_attention grid_axes = [0, 1]
  // GQA-SAME: : tensor<?x32xf32> -> tensor<?x32xf32>
  // GQA: arith.addf %{{.*}}, %[[R]] : tensor<?x32xf32>
  // GQA-NOT: helix.gqa_attention
  %q = helix.linear %h weight "q" : tensor<?x32xf32> -> tensor<?x32xf32>
  %k = helix.linear %h weight "k" : tensor<?x32xf32> -> tensor<?x16xf32>
  %v = helix.linear %h weight "v" : tensor<?x32xf32> -> tensor<?x16xf32>
  %qr = helix.rope %q, %pos {heads = 4 : i64, head_dim = 8 : i64, rotary_dim = 8 : i64, rope = #helix.rope<>} : tensor<?x32xf32>, tensor<?xi64>
  %kr = helix.rope %k, %pos {heads = 2 : i64, head_dim = 8 : i64, rotary_dim = 8 : i64, rope = #helix.rope<>} : tensor<?x16xf32>, tensor<?xi64>
  %kv1 = helix.kv_append %kv[0], %kr, %v at %pos : !kv, tensor<?x16xf32>, tensor<?x16xf32>, tensor<?xi64>
  %o = helix.gqa_attention %qr, %kv1[0] at %pos {num_heads = 4 : i64, scale = 0.35355339059327373 : f64} : tensor<?x32xf32>, !kv, tensor<?xi64> -> tensor<?x32xf32>
  %a = helix.linear %o weight "o" : tensor<?x32xf32> -> tensor<?x32xf32>
  %r = arith.addf %h, %a : tensor<?x32xf32>
  return %r, %kv1 : tensor<?x32xf32>, !kv
}

//--- mla.mlir
// One MLA layer with 8 heads (nope 4, rope 2, v 4, latent 8) on kvp = 4:
// queries stay replicated (all 8 heads), attention is absorbed over the
// latent cache, each rank merges 2 heads in latent space and applies W_UV.
!lc = !helix.latent_cache<layers = 1, kv_lora_rank = 8, rope_dim = 2, element_type = f32>
// MLA-LABEL: func.func @mla_layer
func.func @mla_layer(%h: tensor<?x16xf32>, %pos: tensor<?xi64>, %c: !lc, %lat: tensor<?x8xf32>, %kpe: tensor<?x2xf32>) -> (tensor<?x16xf32>, !lc) {
  // MLA: %[[Q:.*]] = helix.linear %{{.*}} weight "q" : tensor<?x16xf32> -> tensor<?x48xf32>
  // MLA: %[[P:.*]] = helix.mla_partial_attention %{{.*}}, %{{.*}}[0] at %{{.*}} kv_b_proj "kvb"
  // MLA-SAME: {num_heads = 8 : i64, qk_nope_head_dim = 4 : i64,
  // MLA-SAME: scale = 5.000000e-01 : f64, v_head_dim = 4 : i64}
  // MLA-SAME: : tensor<?x48xf32>,
  // MLA-SAME: !helix.latent_cache<layers = 1, kv_lora_rank = 8, rope_dim = 2, element_type = f32>,
  // MLA-SAME: -> tensor<1x?x8x9xf32>
  // MLA: %[[X:.*]] = shard.all_to_all %[[P]] on @helix_attention grid_axes = [0]
  // MLA-SAME: split_axis = 2 concat_axis = 0 : tensor<1x?x8x9xf32> -> tensor<4x?x2x9xf32>
  // MLA: %[[M:.*]] = helix.lse_merge %[[X]] : tensor<4x?x2x9xf32> -> tensor<?x16xf32>
  // MLA: %[[V:.*]] = helix.mla_value_projection %[[M]] kv_b_proj "kvb"
  // MLA-SAME: {num_heads = 8 : i64, qk_nope_head_dim = 4 : i64,
  // MLA-SAME: slice = #helix.slice<dim = 0, grid = @helix_attention, axes = [1, 0]>,
  // MLA-SAME: v_head_dim = 4 : i64}
  // MLA-SAME: : tensor<?x16xf32> -> tensor<?x8xf32>
  // MLA: %[[O:.*]] = helix.linear %[[V]] weight "o"
  // MLA-SAME: {slice = #helix.slice<dim = 1, grid = @helix_attention, axes = [1, 0]>}
  // MLA-SAME: : tensor<?x8xf32> -> tensor<?x16xf32>
  // MLA: shard.all_reduce %[[O]] on @helix_attention grid_axes = [0, 1]
  // MLA-NOT: helix.mla_attention
  %q = helix.linear %h weight "q" : tensor<?x16xf32> -> tensor<?x48xf32>
  %qr = helix.rope %q, %pos {heads = 8 : i64, head_dim = 6 : i64, rotary_dim = 2 : i64, rope = #helix.rope<layout = interleaved>} : tensor<?x48xf32>, tensor<?xi64>
  %c1 = helix.latent_append %c[0], %lat, %kpe at %pos : !lc, tensor<?x8xf32>, tensor<?x2xf32>, tensor<?xi64>
  %o = helix.mla_attention %qr, %c1[0] at %pos kv_b_proj "kvb" {num_heads = 8 : i64, qk_nope_head_dim = 4 : i64, v_head_dim = 4 : i64, scale = 0.5 : f64} : tensor<?x48xf32>, !lc, tensor<?xi64> -> tensor<?x32xf32>
  %a = helix.linear %o weight "o" : tensor<?x32xf32> -> tensor<?x16xf32>
  return %a, %c1 : tensor<?x16xf32>, !lc
}
