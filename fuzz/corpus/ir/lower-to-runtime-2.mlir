module attributes {helix.model = #helix.model<architecture = "LlamaForCausalLM", num_layers = 1, hidden_size = 8, vocab_size = 10, weight_dtype = f32, tie_word_embeddings = false>} {
  func.func @decode_step(%t: tensor<?xi64>, %p: tensor<?xi64>, %c: !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 4, element_type = f32>)
      -> (tensor<?xi64>, tensor<?x10xf32>, !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 4, element_type = f32>) {
    %h = helix.embed %t weight "e" {vocab_size = 10 : i64} : tensor<?xi64> -> tensor<?x8xf32>
    %n = helix.rms_norm %h weight "norm" {epsilon = 1.0e-5 : f64} : tensor<?x8xf32>
    %l = helix.linear %n weight "lm" : tensor<?x8xf32> -> tensor<?x10xf32>
    %a = helix.argmax %l : tensor<?x10xf32> -> tensor<?xi64>
    return %a, %l, %c : tensor<?xi64>, tensor<?x10xf32>, !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 4, element_type = f32>
  }
}
