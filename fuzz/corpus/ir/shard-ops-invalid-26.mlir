shard.grid @g(shape = 2)
func.func @slice_dim(%x: tensor<?x8xf32>) {
  %y = helix.linear %x weight "w" {slice = #helix.slice<dim = 2, grid = @g, axes = [0]>} : tensor<?x8xf32> -> tensor<?x4xf32>
  return
}
