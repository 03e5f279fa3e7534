module attributes {helix.layout = #helix.layout<kvp = 2, tpa = 2, tpf = 4, ep = 1, microbatches = 1, kv_block = 16>} {
  shard.grid @helix_attention(shape = 2x2)
  shard.grid @helix_ffn(shape = 1x4)
  func.func @a2a_axis(%p: tensor<1x?x2x9xf32>) -> tensor<2x?x1x9xf32> {
    %a = shard.all_to_all %p on @helix_attention grid_axes = [1] split_axis = 2 concat_axis = 0 : tensor<1x?x2x9xf32> -> tensor<2x?x1x9xf32>
    return %a : tensor<2x?x1x9xf32>
  }
}
