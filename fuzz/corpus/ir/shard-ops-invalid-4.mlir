!kv = !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 8, element_type = f32>
func.func @owner_on_unsharded(%c: !kv, %k: tensor<?x8xf32>, %p: tensor<?xi64>, %r: index) {
  %c1 = helix.kv_append %c[0], %k, %k at %p owner %p : tensor<?xi64> if kvp = %r : !kv, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?xi64>
  return
}
