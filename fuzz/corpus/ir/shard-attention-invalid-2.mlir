!kv = !helix.kv_cache<layers = 1, kv_heads = 2, head_dim = 8, element_type = f32>
func.func @query_not_projected(%q: tensor<?x32xf32>, %k: tensor<?x16xf32>, %kv: !kv, %pos: tensor<?xi64>) -> tensor<?x32xf32> {
  %kv1 = helix.kv_append %kv[0], %k, %k at %pos : !kv, tensor<?x16xf32>, tensor<?x16xf32>, tensor<?xi64>
  %o = helix.gqa_attention %q, %kv1[0] at %pos {num_heads = 4 : i64, scale = 0.5 : f64} : tensor<?x32xf32>, !kv, tensor<?xi64> -> tensor<?x32xf32>
  %a = helix.linear %o weight "o" : tensor<?x32xf32> -> tensor<?x32xf32>
  return %a : tensor<?x32xf32>
}

module {}
