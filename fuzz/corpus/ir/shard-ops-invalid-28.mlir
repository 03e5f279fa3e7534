shard.grid @g(shape = 4)
func.func @mlp_slice(%x: tensor<?x8xf32>) {
  %y = helix.swiglu_mlp %x prefix "m" {intermediate_size = 6 : i64, slice = #helix.slice<dim = 0, grid = @g, axes = [0]>} : tensor<?x8xf32>
  return
}
