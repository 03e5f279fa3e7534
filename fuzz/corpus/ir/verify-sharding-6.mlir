module attributes {helix.layout = #helix.layout<kvp = 2, tpa = 1, tpf = 1, ep = 2, microbatches = 1, kv_block = 16>} {
  shard.grid @helix_attention(shape = 2x1)
  shard.grid @helix_ffn(shape = 2x1)
  func.func @gather_axis(%x: tensor<1x?x32xf32>) -> tensor<2x?x32xf32> {
    %g = shard.all_gather %x on @helix_attention grid_axes = [0] gather_axis = 0 : tensor<1x?x32xf32> -> tensor<2x?x32xf32>
    return %g : tensor<2x?x32xf32>
  }
}
