func.func @slice_grid(%x: tensor<?x8xf32>) {
  %y = helix.linear %x weight "w" {slice = #helix.slice<dim = 0, grid = @nowhere, axes = [0]>} : tensor<?x8xf32> -> tensor<?x4xf32>
  return
}
