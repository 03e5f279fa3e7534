!kv = !helix.kv_cache<layers = 1, kv_heads = 2, head_dim = 8, element_type = f32>
func.func @step(%h: tensor<?x8xf32>, %q: tensor<?x32xf32>, %c: !kv, %p: tensor<?xi64>) -> (tensor<?xi64>, tensor<?x12xf32>) {
  %o = helix.gqa_attention %q, %c[0] at %p {num_heads = 4 : i64, scale = 0.5 : f64} : tensor<?x32xf32>, !kv, tensor<?xi64> -> tensor<?x32xf32>
  %l = helix.linear %h weight "lm_head.weight" : tensor<?x8xf32> -> tensor<?x12xf32>
  %n = helix.argmax %l : tensor<?x12xf32> -> tensor<?xi64>
  return %n, %l : tensor<?xi64>, tensor<?x12xf32>
}
!kv = !helix.kv_cache<layers = 1, kv_heads = 2, head_dim = 8, element_type = f32>
func.func @step(%h: tensor<?x8xf32>, %q: tensor<?x32xf32>, %c: !kv, %p: tensor<?xi64>) -> (tensor<?xi64>, tensor<?x10xf32>) {
  %o = helix.gqa_attention %q, %c[0] at %p {num_heads = 4 : i64, scale = 0.5 : f64} : tensor<?x32xf32>, !kv, tensor<?xi64> -> tensor<?x32xf32>
  %l = helix.linear %h weight "lm_head.weight" : tensor<?x8xf32> -> tensor<?x10xf32>
  %n = helix.argmax %l : tensor<?x10xf32> -> tensor<?xi64>
  return %n, %l : tensor<?xi64>, tensor<?x10xf32>
}
