!kv = !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 8, element_type = f32, token_shards = 2, block = 16>
func.func @append_needs_owner(%c: !kv, %k: tensor<?x8xf32>, %p: tensor<?xi64>) {
  %c1 = helix.kv_append %c[0], %k, %k at %p : !kv, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?xi64>
  return
}
