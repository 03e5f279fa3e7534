shard.grid @g(shape = 2)
func.func @slice_axes(%x: tensor<?x8xf32>) {
  %y = helix.linear %x weight "w" {slice = #helix.slice<dim = 0, grid = @g, axes = [3]>} : tensor<?x8xf32> -> tensor<?x4xf32>
  return
}
