!kv = !helix.kv_cache<layers = 1, kv_heads = 2, head_dim = 4, element_type = f32>
func.func @step(%q: tensor<?x16xf32>, %c: !kv, %p: tensor<?xi64>, %x: tensor<?x8xf32>) -> (tensor<?x16xf32>, tensor<?x8xf32>) {
  %o = helix.gqa_attention %q, %c[0] at %p {num_heads = 4 : i64, scale = 0.5 : f64} : tensor<?x16xf32>, !kv, tensor<?xi64> -> tensor<?x16xf32>
  %f = helix.swiglu_mlp %x prefix "mlp" {intermediate_size = 16 : i64} : tensor<?x8xf32>
  return %o, %f : tensor<?x16xf32>, tensor<?x8xf32>
}
