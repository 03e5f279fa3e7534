!kv = !helix.kv_cache<layers = 1, kv_heads = 2, head_dim = 8, element_type = f32>
func.func @dense(%h: tensor<?x32xf32>, %q: tensor<?x32xf32>, %c: !kv, %p: tensor<?xi64>) -> (tensor<?x32xf32>, tensor<?x32xf32>) {
  %o = helix.gqa_attention %q, %c[0] at %p {num_heads = 4 : i64, scale = 0.5 : f64} : tensor<?x32xf32>, !kv, tensor<?xi64> -> tensor<?x32xf32>
  %f = helix.swiglu_mlp %h prefix "model.layers.0.mlp" {intermediate_size = 48 : i64} : tensor<?x32xf32>
  %r = arith.addf %h, %f : tensor<?x32xf32>
  return %r, %o : tensor<?x32xf32>, tensor<?x32xf32>
}
!lc = !helix.latent_cache<layers = 1, kv_lora_rank = 8, rope_dim = 2, element_type = f32>
func.func @moe(%h: tensor<?x32xf32>, %q: tensor<?x48xf32>, %c: !lc, %p: tensor<?xi64>) -> (tensor<?x32xf32>, tensor<?x32xf32>) {
  %o = helix.mla_attention %q, %c[0] at %p kv_b_proj "kvb" {num_heads = 8 : i64, qk_nope_head_dim = 4 : i64, v_head_dim = 4 : i64, scale = 0.5 : f64} : tensor<?x48xf32>, !lc, tensor<?xi64> -> tensor<?x32xf32>
  %ids, %w = helix.moe_route %h prefix "model.layers.3.mlp" {num_experts = 8 : i64, top_k = 2 : i64, n_group = 2 : i64, topk_group = 1 : i64, norm_topk_prob = true, routed_scaling_factor = 2.5 : f64} : tensor<?x32xf32> -> tensor<?x2xi64>, tensor<?x2xf32>
  %y = helix.moe_experts %h, %ids, %w prefix "model.layers.3.mlp" {num_experts = 8 : i64, intermediate_size = 8 : i64, shared_intermediate_size = 8 : i64} : tensor<?x32xf32>, tensor<?x2xi64>, tensor<?x2xf32>
  %r = arith.addf %h, %y : tensor<?x32xf32>
  return %r, %o : tensor<?x32xf32>, tensor<?x32xf32>
}
