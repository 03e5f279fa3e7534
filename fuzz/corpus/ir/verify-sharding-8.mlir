module attributes {helix.layout = #helix.layout<kvp = 2, tpa = 2, tpf = 4, ep = 1, microbatches = 1, kv_block = 16>} {
  shard.grid @helix_attention(shape = 2x2)
  shard.grid @helix_ffn(shape = 1x4)
  func.func @cache(%c: !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 8, element_type = f32, token_shards = 4, block = 16>, %k: tensor<?x8xf32>, %p: tensor<?xi64>, %o: tensor<?xi64>, %r: index) {
    %c1 = helix.kv_append %c[0], %k, %k at %p owner %o : tensor<?xi64> if kvp = %r : !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 8, element_type = f32, token_shards = 4, block = 16>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?xi64>
    return
  }
}
