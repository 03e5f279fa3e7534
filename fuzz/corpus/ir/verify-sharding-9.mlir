module attributes {helix.layout = #helix.layout<kvp = 2, tpa = 2, tpf = 4, ep = 1, microbatches = 1, kv_block = 16>} {
  shard.grid @helix_attention(shape = 2x2)
  shard.grid @helix_ffn(shape = 1x4)
  func.func @merge_source(%p: tensor<2x?x1x9xf32>) -> tensor<?x8xf32> {
    %m = helix.lse_merge %p : tensor<2x?x1x9xf32> -> tensor<?x8xf32>
    return %m : tensor<?x8xf32>
  }
}
