module attributes {helix.layout = #helix.layout<kvp = 2, tpa = 2, tpf = 4, ep = 1, microbatches = 1, kv_block = 16>} {
  shard.grid @helix_attention(shape = 2x2)
  shard.grid @helix_ffn(shape = 1x4)
  func.func @reduce_axes(%x: tensor<?x32xf32>) -> tensor<?x32xf32> {
    %r = shard.all_reduce %x on @helix_attention grid_axes = [1] : tensor<?x32xf32> -> tensor<?x32xf32>
    return %r : tensor<?x32xf32>
  }
}
