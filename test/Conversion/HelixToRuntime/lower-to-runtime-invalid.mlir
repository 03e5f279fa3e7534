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

// -----

// The manifest is JSON, which holds only UTF-8; an MLIR string may hold any
// bytes (found by fuzz/IrFuzz.cpp: an uncaught exception).
// expected-error@+1 {{cannot write the manifest: [json.exception.type_error.316] invalid UTF-8 byte at index 4: 0x9F}}
module attributes {helix.model = #helix.model<architecture = "Llam\9F", num_layers = 1,
    hidden_size = 8, vocab_size = 10, weight_dtype = f32, tie_word_embeddings = false>} {
  func.func @decode_step(%t: tensor<?xi64>, %p: tensor<?xi64>, %c: !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 4, element_type = f32>)
      -> (tensor<?xi64>, tensor<?x10xf32>, !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 4, element_type = f32>) {
    %h = helix.embed %t weight "e" {vocab_size = 10 : i64} : tensor<?xi64> -> tensor<?x8xf32>
    %l = helix.linear %h weight "w" : tensor<?x8xf32> -> tensor<?x10xf32>
    %n = helix.argmax %l : tensor<?x10xf32> -> tensor<?xi64>
    return %n, %l, %c : tensor<?xi64>, tensor<?x10xf32>, !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 4, element_type = f32>
  }
}

// -----

// The same for a weight name, met while lowering the op that reads it.
module {
  func.func @decode_step(%t: tensor<?xi64>, %p: tensor<?xi64>, %c: !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 4, element_type = f32>)
      -> (tensor<?xi64>, tensor<?x10xf32>, !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 4, element_type = f32>) {
    %h = helix.embed %t weight "e" {vocab_size = 10 : i64} : tensor<?xi64> -> tensor<?x8xf32>
    // expected-error@+1 {{'helix.linear' op cannot go into the manifest: [json.exception.type_error.316] invalid UTF-8 byte at index 1: 0xFB}}
    %l = helix.linear %h weight "w\FB" : tensor<?x8xf32> -> tensor<?x10xf32>
    %n = helix.argmax %l : tensor<?x10xf32> -> tensor<?xi64>
    return %n, %l, %c : tensor<?xi64>, tensor<?x10xf32>, !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 4, element_type = f32>
  }
}
