module {
  func.func @decode_step(%t: tensor<?xi64>, %p: tensor<?xi64>, %c: !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 4, element_type = f32>)
      -> (tensor<?xi64>, tensor<?x10xf32>, !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 4, element_type = f32>) {
    %c0 = arith.constant 0 : index
    %b = tensor.dim %t, %c0 : tensor<?xi64>
    %l = tensor.empty(%b) : tensor<?x10xf32>
    return %t, %l, %c : tensor<?xi64>, tensor<?x10xf32>, !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 4, element_type = f32>
  }
}
