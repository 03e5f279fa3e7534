module attributes {helix.model = #helix.model<architecture = "LlamaForCausalLM", num_layers = 1, hidden_size = 8, vocab_size = 10, weight_dtype = f32, tie_word_embeddings = false>} {
  func.func @decode_step(%t: tensor<?xi64>, %p: tensor<?xi64>, %c: !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 4, element_type = f32>)
      -> (tensor<?xi64>, tensor<?x10xf32>, !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 4, element_type = f32>) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %b = tensor.dim %t, %c0 : tensor<?xi64>
    %rest = arith.subi %b, %c1 : index
    %h = helix.embed %t weight "e" {vocab_size = 10 : i64} : tensor<?xi64> -> tensor<?x8xf32>
    %h0 = tensor.extract_slice %h[0, 0] [1, 8] [1, 1] : tensor<?x8xf32> to tensor<1x8xf32>
    %h1 = tensor.extract_slice %h[1, 0] [%rest, 8] [1, 1] : tensor<?x8xf32> to tensor<?x8xf32>
    %l0 = helix.linear %h0 weight "lm" : tensor<1x8xf32> -> tensor<1x10xf32>
    %l1 = helix.linear %h1 weight "lm" : tensor<?x8xf32> -> tensor<?x10xf32>
    %l = tensor.concat dim(0) %l0, %l1 : (tensor<1x10xf32>, tensor<?x10xf32>) -> tensor<?x10xf32>
    %a = helix.argmax %l : tensor<?x10xf32> -> tensor<?xi64>
    return %a, %l, %c : tensor<?xi64>, tensor<?x10xf32>, !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 4, element_type = f32>
  }
}
