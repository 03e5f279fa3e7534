// RUN: helix-opt %s --split-input-file --verify-diagnostics --helix-lower-to-runtime

// expected-error@+1 {{helix-lower-to-runtime needs a defined @decode_step}}
module {}

// -----

module {
  // expected-error@+1 {{must take (tokens, positions, cache) and return (next tokens, logits, cache)}}
  func.func @decode_step(%t: tensor<?xi64>) -> tensor<?xi64> {
    return %t : tensor<?xi64>
  }
}

// -----

module {
  func.func @decode_step(%t: tensor<?xi64>, %p: tensor<?xi64>, %c: !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 4, element_type = f32>)
      -> (tensor<?xi64>, tensor<?x10xf32>, !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 4, element_type = f32>) {
    %c0 = arith.constant 0 : index
    %b = tensor.dim %t, %c0 : tensor<?xi64>
    // expected-error@+1 {{'tensor.empty' op has no runtime lowering}}
    %l = tensor.empty(%b) : tensor<?x10xf32>
    return %t, %l, %c : tensor<?xi64>, tensor<?x10xf32>, !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 4, element_type = f32>
  }
}
