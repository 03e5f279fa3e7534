func.func @not_fused(%p: tensor<2x?x1x5xf32>) -> (tensor<?x8xf32>, tensor<?x4xf32>) {
  %m = helix.lse_merge %p : tensor<2x?x1x5xf32> -> tensor<?x4xf32>
  %o = helix.linear %m weight "o" : tensor<?x4xf32> -> tensor<?x8xf32>
  %n = helix.rms_norm %m weight "n" {epsilon = 1.0e-05 : f64} : tensor<?x4xf32>
  return %o, %n : tensor<?x8xf32>, tensor<?x4xf32>
}
