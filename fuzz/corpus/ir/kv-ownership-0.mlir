!kv = !helix.kv_cache<layers = 2, kv_heads = 2, head_dim = 8, element_type = f32>
func.func @layers(%h: tensor<?x32xf32>, %pos: tensor<?xi64>, %kv: !kv) -> (tensor<?x32xf32>, !kv) {
  %q = helix.linear %h weight "q0" : tensor<?x32xf32> -> tensor<?x32xf32>
  %k = helix.linear %h weight "k0" : tensor<?x32xf32> -> tensor<?x16xf32>
  %v = helix.linear %h weight "v0" : tensor<?x32xf32> -> tensor<?x16xf32>
  %kv1 = helix.kv_append %kv[0], %k, %v at %pos : !kv, tensor<?x16xf32>, tensor<?x16xf32>, tensor<?xi64>
  %o = helix.gqa_attention %q, %kv1[0] at %pos {num_heads = 4 : i64, scale = 0.5 : f64} : tensor<?x32xf32>, !kv, tensor<?xi64> -> tensor<?x32xf32>
  %a = helix.linear %o weight "o0" : tensor<?x32xf32> -> tensor<?x32xf32>
  %q1 = helix.linear %a weight "q1" : tensor<?x32xf32> -> tensor<?x32xf32>
  %k1 = helix.linear %a weight "k1" : tensor<?x32xf32> -> tensor<?x16xf32>
  %v1 = helix.linear %a weight "v1" : tensor<?x32xf32> -> tensor<?x16xf32>
  %kv2 = helix.kv_append %kv1[1], %k1, %v1 at %pos : !kv, tensor<?x16xf32>, tensor<?x16xf32>, tensor<?xi64>
  %o1 = helix.gqa_attention %q1, %kv2[1] at %pos {num_heads = 4 : i64, scale = 0.5 : f64} : tensor<?x32xf32>, !kv, tensor<?xi64> -> tensor<?x32xf32>
  %a1 = helix.linear %o1 weight "o1" : tensor<?x32xf32> -> tensor<?x32xf32>
  return %a1, %kv2 : tensor<?x32xf32>, !kv
}
!lc = !helix.latent_cache<layers = 1, kv_lora_rank = 8, rope_dim = 2, element_type = f32>
func.func @mla(%h: tensor<?x16xf32>, %pos: tensor<?xi64>, %c: !lc, %lat: tensor<?x8xf32>, %kpe: tensor<?x2xf32>) -> (tensor<?x16xf32>, !lc) {
  %q = helix.linear %h weight "q" : tensor<?x16xf32> -> tensor<?x48xf32>
  %c1 = helix.latent_append %c[0], %lat, %kpe at %pos : !lc, tensor<?x8xf32>, tensor<?x2xf32>, tensor<?xi64>
  %o = helix.mla_attention %q, %c1[0] at %pos kv_b_proj "kvb" {num_heads = 8 : i64, qk_nope_head_dim = 4 : i64, v_head_dim = 4 : i64, scale = 0.5 : f64} : tensor<?x48xf32>, !lc, tensor<?xi64> -> tensor<?x32xf32>
  %a = helix.linear %o weight "o" : tensor<?x32xf32> -> tensor<?x16xf32>
  return %a, %c1 : tensor<?x16xf32>, !lc
}
