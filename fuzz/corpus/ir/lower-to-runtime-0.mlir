module attributes {helix.model = #helix.model<architecture = "LlamaForCausalLM", num_layers = 1, hidden_size = 8, vocab_size = 10, weight_dtype = f32, tie_word_embeddings = false>} {
  func.func @decode_step(%t: tensor<?xi64>, %p: tensor<?xi64>, %c: !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 4, element_type = f32>)
      -> (tensor<?xi64>, tensor<?x10xf32>, !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 4, element_type = f32>) {
    %h = helix.embed %t weight "model.embed_tokens.weight" {vocab_size = 10 : i64} : tensor<?xi64> -> tensor<?x8xf32>
    %k = helix.linear %h weight "k" : tensor<?x8xf32> -> tensor<?x4xf32>
    %c1 = helix.kv_append %c[0], %k, %k at %p : !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 4, element_type = f32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?xi64>
    %q = helix.linear %h weight "q" : tensor<?x8xf32> -> tensor<?x8xf32>
    %o = helix.gqa_attention %q, %c1[0] at %p {num_heads = 2 : i64, scale = 0.5 : f64} : tensor<?x8xf32>, !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 4, element_type = f32>, tensor<?xi64> -> tensor<?x8xf32>
    %r = arith.addf %h, %o : tensor<?x8xf32>
    %l = helix.linear %r weight "lm_head.weight" : tensor<?x8xf32> -> tensor<?x10xf32>
    %n = helix.argmax %l : tensor<?x10xf32> -> tensor<?xi64>
    return %n, %l, %c1 : tensor<?xi64>, tensor<?x10xf32>, !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 4, element_type = f32>
  }
}
