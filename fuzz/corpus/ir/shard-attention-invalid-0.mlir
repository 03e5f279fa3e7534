!kv = !helix.kv_cache<layers = 1, kv_heads = 2, head_dim = 8, element_type = f32>
func.func @two_uses(%q: tensor<?x32xf32>, %kv: !kv, %pos: tensor<?xi64>) -> (tensor<?x32xf32>, tensor<?x32xf32>) {
  %o = helix.gqa_attention %q, %kv[0] at %pos {num_heads = 4 : i64, scale = 0.5 : f64} : tensor<?x32xf32>, !kv, tensor<?xi64> -> tensor<?x32xf32>
  return %o, %o : tensor<?x32xf32>, tensor<?x32xf32>
}
