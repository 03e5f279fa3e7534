func.func @merge_linear_batch(%p: tensor<2x3x2x9xf32>) {
  %o = helix.merge_linear %p weight "o" : tensor<2x3x2x9xf32> -> tensor<4x16xf32>
  return
}
