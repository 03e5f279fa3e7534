// RUN: rm -rf %t && split-file %s %t
// RUN: helix-opt %t/dense.mlir --helix-set-layout="kvp=2 tpa=2 tpf=4" --helix-shard-ffn | FileCheck %s --check-prefix=DENSE
// RUN: helix-opt %t/moe.mlir --helix-set-layout="kvp=4 tpf=2 ep=2" --helix-shard-ffn | FileCheck %s --check-prefix=MOE
// RUN: not helix-opt %t/dense.mlir --helix-set-layout="kvp=2 tpa=2 tpf=4" --helix-shard-ffn --helix-shard-ffn 2>&1 | FileCheck %s --check-prefix=TWICE

// Dense SwiGLU: TP over all N = 4 ranks of the FFN grid, then all-reduce.
// DENSE-LABEL: func.func @dense
// DENSE: %[[P:.*]] = helix.swiglu_mlp %{{.*}} prefix "model.layers.0.mlp"
// DENSE-SAME: {intermediate_size = 48 : i64,
// DENSE-SAME: slice = #helix.slice<dim = 0, grid = @helix_ffn, axes = [0, 1]>}
// DENSE-SAME: : tensor<?x32xf32>
// DENSE-NEXT: %[[R:.*]] = shard.all_reduce %[[P]] on @helix_ffn grid_axes = [0, 1]
// DENSE-SAME: : tensor<?x32xf32> -> tensor<?x32xf32>
// DENSE-NEXT: arith.addf %{{.*}}, %[[R]]

// MoE as TPF x EP = 2 x 2: routing replicated, experts of the EP group with
// TP inside it, shared experts over all 4 ranks; all-reduce in the group,
// all-gather across groups, local sum.
// MOE-LABEL: func.func @moe
// MOE: %[[IDS:.*]], %[[W:.*]] = helix.moe_route
// MOE: %[[P:.*]] = helix.moe_experts %{{.*}}, %[[IDS]], %[[W]] prefix "model.layers.3.mlp"
// MOE-SAME: {expert_slice = #helix.slice<dim = 0, grid = @helix_ffn, axes = [0]>,
// MOE-SAME: intermediate_size = 8 : i64, num_experts = 8 : i64,
// MOE-SAME: shared_intermediate_size = 8 : i64,
// MOE-SAME: shared_slice = #helix.slice<dim = 0, grid = @helix_ffn, axes = [0, 1]>,
// MOE-SAME: width_slice = #helix.slice<dim = 0, grid = @helix_ffn, axes = [1]>}
// MOE-NEXT: %[[G:.*]] = shard.all_reduce %[[P]] on @helix_ffn grid_axes = [1]
// MOE-SAME: : tensor<?x32xf32> -> tensor<?x32xf32>
// MOE: %[[E:.*]] = tensor.expand_shape %[[G]] {{\[\[}}0, 1], [2]] output_shape [1, %{{.*}}, 32]
// MOE-SAME: : tensor<?x32xf32> into tensor<1x?x32xf32>
// MOE-NEXT: %[[A:.*]] = shard.all_gather %[[E]] on @helix_ffn grid_axes = [0] gather_axis = 0
// MOE-SAME: : tensor<1x?x32xf32> -> tensor<2x?x32xf32>
// MOE-NEXT: %[[S:.*]] = helix.sum_shards %[[A]] : tensor<2x?x32xf32> -> tensor<?x32xf32>
// MOE-NEXT: arith.addf %{{.*}}, %[[S]]

// TWICE: error: helix-shard-ffn: the FFN is already sharded

//--- dense.mlir
!kv = !helix.kv_cache<layers = 1, kv_heads = 2, head_dim = 8, element_type = f32>
func.func @dense(%h: tensor<?x32xf32>, %q: tensor<?x32xf32>, %c: !kv, %p: tensor<?xi64>) -> (tensor<?x32xf32>, tensor<?x32xf32>) {
  %o = helix.gqa_attention %q, %c[0] at %p {num_heads = 4 : i64, scale = 0.5 : f64} : tensor<?x32xf32>, !kv, tensor<?xi64> -> tensor<?x32xf32>
  %f = helix.swiglu_mlp %h prefix "model.layers.0.mlp" {intermediate_size = 48 : i64} : tensor<?x32xf32>
  %r = arith.addf %h, %f : tensor<?x32xf32>
  return %r, %o : tensor<?x32xf32>, tensor<?x32xf32>
}
//--- moe.mlir
!lc = !helix.latent_cache<layers = 1, kv_lora_rank = 8, rope_dim = 2, element_type = f32>
func.func @moe(%h: tensor<?x32xf32>, %q: tensor<?x48xf32>, %c: !lc, %p: tensor<?xi64>) -> (tensor<?x32xf32>, tensor<?x32xf32>) {
  %o = helix.mla_attention %q, %c[0] at %p kv_b_proj "kvb" {num_heads = 8 : i64, qk_nope_head_dim = 4 : i64, v_head_dim = 4 : i64, scale = 0.5 : f64} : tensor<?x48xf32>, !lc, tensor<?xi64> -> tensor<?x32xf32>
  %ids, %w = helix.moe_route %h prefix "model.layers.3.mlp" {num_experts = 8 : i64, top_k = 2 : i64, n_group = 2 : i64, topk_group = 1 : i64, norm_topk_prob = true, routed_scaling_factor = 2.5 : f64} : tensor<?x32xf32> -> tensor<?x2xi64>, tensor<?x2xf32>
  %y = helix.moe_experts %h, %ids, %w prefix "model.layers.3.mlp" {num_experts = 8 : i64, intermediate_size = 8 : i64, shared_intermediate_size = 8 : i64} : tensor<?x32xf32>, tensor<?x2xi64>, tensor<?x2xf32>
  %r = arith.addf %h, %y : tensor<?x32xf32>
  return %r, %o : tensor<?x32xf32>, tensor<?x32xf32>
}
