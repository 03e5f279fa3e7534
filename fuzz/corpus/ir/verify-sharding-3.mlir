module attributes {helix.layout = #helix.layout<kvp = 2, tpa = 2, tpf = 4, ep = 1, microbatches = 1, kv_block = 16>} {
  shard.grid @helix_attention(shape = 4x1)
  shard.grid @helix_ffn(shape = 1x4)
}
