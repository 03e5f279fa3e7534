!kv = !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 4, element_type = f32, token_shards = 2, block = 2>
module attributes {helix.layout = #helix.layout<kvp = 2, tpa = 1, tpf = 2, ep = 1, microbatches = 1, kv_block = 2>, helix.model = #helix.model<architecture = "LlamaForCausalLM", num_layers = 1, hidden_size = 8, vocab_size = 10, weight_dtype = f32, tie_word_embeddings = false>} {
  shard.grid @helix_attention(shape = 2x1)
  shard.grid @helix_ffn(shape = 1x2)
  func.func @decode_step(%t: tensor<?xi64>, %p: tensor<?xi64>, %c: !kv) -> (tensor<?xi64>, tensor<?x10xf32>, !kv) {
    %me = shard.process_multi_index on @helix_attention axes = [0] : index
    %own = helix.kv_owner %p {block = 2 : i64, shards = 2 : i64} : tensor<?xi64>
    %h = helix.embed %t weight "e" {vocab_size = 10 : i64} : tensor<?xi64> -> tensor<?x8xf32>
    %hn = helix.rms_norm %h weight "norm" {epsilon = 1.0e-5 : f64} : tensor<?x8xf32>
    %k = helix.linear %hn weight "k" : tensor<?x8xf32> -> tensor<?x4xf32>
    %c1 = helix.kv_append %c[0], %k, %k at %p owner %own : tensor<?xi64> if kvp = %me : !kv, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?xi64>
    %q = helix.linear %hn weight "q" : tensor<?x8xf32> -> tensor<?x8xf32>
    %pa = helix.gqa_partial_attention %q, %c1[0] at %p kvp = %me {num_heads = 2 : i64, scale = 0.5 : f64} : tensor<?x8xf32>, !kv, tensor<?xi64> -> tensor<1x?x2x5xf32>
    %r = helix.collective_start {
      %a = shard.all_to_all %pa on @helix_attention grid_axes = [0] split_axis = 2 concat_axis = 0 : tensor<1x?x2x5xf32> -> tensor<2x?x1x5xf32>
      helix.yield %a : tensor<2x?x1x5xf32>
    } : !helix.request<tensor<2x?x1x5xf32>>
    %w = helix.collective_wait %r : !helix.request<tensor<2x?x1x5xf32>>
    %m = helix.lse_merge %w : tensor<2x?x1x5xf32> -> tensor<?x4xf32>
    %o = helix.linear %m weight "o" {slice = #helix.slice<dim = 1, grid = @helix_attention, axes = [1, 0]>} : tensor<?x4xf32> -> tensor<?x8xf32>
    %s = shard.all_reduce %o on @helix_attention grid_axes = [0, 1] : tensor<?x8xf32> -> tensor<?x8xf32>
    %res = arith.addf %h, %s : tensor<?x8xf32>
    %l = helix.linear %res weight "lm" : tensor<?x8xf32> -> tensor<?x10xf32>
    %n = helix.argmax %l : tensor<?x10xf32> -> tensor<?xi64>
    return %n, %l, %c1 : tensor<?xi64>, tensor<?x10xf32>, !kv
  }
}
