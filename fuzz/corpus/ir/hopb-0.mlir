!kv = !helix.kv_cache<layers = 1, kv_heads = 2, head_dim = 8, element_type = f32>
func.func @step(%tokens: tensor<?xi64>, %pos: tensor<?xi64>, %kv: !kv) -> (tensor<?xi64>, !kv) {
  %h = helix.embed %tokens weight "e" {vocab_size = 10 : i64} : tensor<?xi64> -> tensor<?x32xf32>
  %q = helix.linear %h weight "q" : tensor<?x32xf32> -> tensor<?x32xf32>
  %k = helix.linear %h weight "k" : tensor<?x32xf32> -> tensor<?x16xf32>
  %v = helix.linear %h weight "v" : tensor<?x32xf32> -> tensor<?x16xf32>
  %kv1 = helix.kv_append %kv[0], %k, %v at %pos : !kv, tensor<?x16xf32>, tensor<?x16xf32>, tensor<?xi64>
  %o = helix.gqa_attention %q, %kv1[0] at %pos {num_heads = 4 : i64, scale = 0.5 : f64} : tensor<?x32xf32>, !kv, tensor<?xi64> -> tensor<?x32xf32>
  %a = helix.linear %o weight "o" : tensor<?x32xf32> -> tensor<?x32xf32>
  %f = helix.swiglu_mlp %a prefix "mlp" {intermediate_size = 8 : i64} : tensor<?x32xf32>
  %l = helix.linear %f weight "lm" : tensor<?x32xf32> -> tensor<?x10xf32>
  %n = helix.argmax %l : tensor<?x10xf32> -> tensor<?xi64>
  return %n, %kv1 : tensor<?xi64>, !kv
}
