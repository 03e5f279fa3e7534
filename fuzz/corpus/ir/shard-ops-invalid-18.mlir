func.func @merge_linear_lse_only(%p: tensor<2x?x2x1xf32>) {
  %o = helix.merge_linear %p weight "o" : tensor<2x?x2x1xf32> -> tensor<?x16xf32>
  return
}
