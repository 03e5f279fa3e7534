!kv = !helix.kv_cache<layers = 1, kv_heads = 2, head_dim = 8, element_type = f32>
func.func @partial_groups(%q: tensor<?x24xf32>, %c: !kv, %p: tensor<?xi64>) {
  %o = helix.gqa_partial_attention %q, %c[0] at %p {num_heads = 3 : i64, scale = 0.5 : f64} : tensor<?x24xf32>, !kv, tensor<?xi64> -> tensor<1x?x3x9xf32>
  return
}
