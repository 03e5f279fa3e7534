module attributes {helix.layout = #helix.layout<kvp = 2, tpa = 2, tpf = 4, ep = 1, microbatches = 1, kv_block = 16>} {
  shard.grid @helix_attention(shape = 2x2)
  shard.grid @helix_ffn(shape = 1x4)
  shard.grid @other(shape = 4)
  func.func @slice_grid(%x: tensor<?x32xf32>) -> tensor<?x8xf32> {
    %y = helix.linear %x weight "w" {slice = #helix.slice<dim = 0, grid = @other, axes = [0]>} : tensor<?x32xf32> -> tensor<?x8xf32>
    return %y : tensor<?x8xf32>
  }
}
