func.func @merge_batch(%p: tensor<2x3x2x9xf32>) {
  %m = helix.lse_merge %p : tensor<2x3x2x9xf32> -> tensor<4x16xf32>
  return
}
