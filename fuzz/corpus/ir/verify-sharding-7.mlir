module attributes {helix.layout = #helix.layout<kvp = 2, tpa = 2, tpf = 4, ep = 1, microbatches = 1, kv_block = 16>} {
  shard.grid @helix_attention(shape = 2x2)
  shard.grid @helix_ffn(shape = 1x4)
  func.func @owner(%p: tensor<?xi64>) -> tensor<?xi64> {
    %o = helix.kv_owner %p {block = 8 : i64, shards = 2 : i64} : tensor<?xi64>
    return %o : tensor<?xi64>
  }
}
