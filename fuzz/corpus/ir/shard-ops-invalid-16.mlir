func.func @merge_dynamic(%p: tensor<2x?x?x9xf32>) {
  %m = helix.lse_merge %p : tensor<2x?x?x9xf32> -> tensor<?x16xf32>
  return
}
