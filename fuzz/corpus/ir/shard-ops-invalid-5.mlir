!lc = !helix.latent_cache<layers = 1, kv_lora_rank = 8, rope_dim = 2, element_type = f32, token_shards = 2, block = 4>
func.func @latent_needs_owner(%c: !lc, %l: tensor<?x8xf32>, %k: tensor<?x2xf32>, %p: tensor<?xi64>) {
  %c1 = helix.latent_append %c[0], %l, %k at %p : !lc, tensor<?x8xf32>, tensor<?x2xf32>, tensor<?xi64>
  return
}
