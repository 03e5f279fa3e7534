module attributes {helix.layout = #helix.layout<kvp = 2, tpa = 2, tpf = 4, ep = 1, microbatches = 1, kv_block = 16>} {
  shard.grid @helix_attention(shape = 2x2)
  shard.grid @helix_ffn(shape = 1x4)
  func.func @ok(%p: tensor<1x?x2x9xf32>, %x: tensor<?x32xf32>) -> tensor<?x32xf32> {
    %a = shard.all_to_all %p on @helix_attention grid_axes = [0] split_axis = 2 concat_axis = 0 : tensor<1x?x2x9xf32> -> tensor<2x?x1x9xf32>
    %m = helix.lse_merge %a : tensor<2x?x1x9xf32> -> tensor<?x8xf32>
    %o = helix.linear %m weight "o" {slice = #helix.slice<dim = 1, grid = @helix_attention, axes = [1, 0]>} : tensor<?x8xf32> -> tensor<?x32xf32>
    %r = shard.all_reduce %o on @helix_attention grid_axes = [0, 1] : tensor<?x32xf32> -> tensor<?x32xf32>
    return %r : tensor<?x32xf32>
  }
}
