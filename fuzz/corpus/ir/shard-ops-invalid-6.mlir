!kv = !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 8, element_type = f32, token_shards = 2, block = 16>
func.func @whole_attention_on_shards(%q: tensor<?x16xf32>, %c: !kv, %p: tensor<?xi64>) {
  %o = helix.gqa_attention %q, %c[0] at %p {num_heads = 2 : i64, scale = 0.5 : f64} : tensor<?x16xf32>, !kv, tensor<?xi64> -> tensor<?x16xf32>
  return
}
