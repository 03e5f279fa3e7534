module attributes {helix.model = #helix.model<architecture = "LlamaForCausalLM", num_layers = 1,
    hidden_size = 8, vocab_size = 10, weight_dtype = bf16, tie_word_embeddings = true>} {
  func.func @step(%t: tensor<?xi64>, %p: tensor<?xi64>,
      %c: !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 4, element_type = bf16>)
      -> (tensor<?x10xf32>, !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 4, element_type = bf16>) {
    %h = helix.embed %t weight "model.embed_tokens.weight" {vocab_size = 10 : i64} : tensor<?xi64> -> tensor<?x8xf32>
    %k = helix.linear %h weight "k.weight" : tensor<?x8xf32> -> tensor<?x4xf32>
    %c1 = helix.kv_append %c[0], %k, %k at %p
        : !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 4, element_type = bf16>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?xi64>
    %l = helix.linear %h weight "model.embed_tokens.weight" : tensor<?x8xf32> -> tensor<?x10xf32>
    return %l, %c1 : tensor<?x10xf32>, !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 4, element_type = bf16>
  }
}
