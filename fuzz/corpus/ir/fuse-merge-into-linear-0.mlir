shard.grid @helix_attention(shape = 2x1)
func.func @merge_into_wo(%p: tensor<2x?x1x5xf32>) -> tensor<?x8xf32> {
  %m = helix.lse_merge %p : tensor<2x?x1x5xf32> -> tensor<?x4xf32>
  %o = helix.linear %m weight "o" {slice = #helix.slice<dim = 1, grid = @helix_attention, axes = [1, 0]>} : tensor<?x4xf32> -> tensor<?x8xf32>
  return %o : tensor<?x8xf32>
}
