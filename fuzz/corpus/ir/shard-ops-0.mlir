!kv = !helix.kv_cache<layers = 2, kv_heads = 1, head_dim = 8, element_type = bf16, token_shards = 2, block = 16>
!lc = !helix.latent_cache<layers = 1, kv_lora_rank = 8, rope_dim = 2, element_type = f32, token_shards = 2, block = 4>

module attributes {helix.layout = #helix.layout<kvp = 2, tpa = 2, tpf = 4, ep = 1, microbatches = 2, kv_block = 16>} {
  shard.grid @helix_attention(shape = 2x2)
  shard.grid @helix_ffn(shape = 1x4)

  func.func @gqa(%q: tensor<?x16xf32>, %k: tensor<?x8xf32>, %c: !kv, %pos: tensor<?xi64>, %me: index, %row: index) -> (tensor<?x32xf32>, !kv) {
    %own = helix.kv_owner %pos {block = 16 : i64, shards = 2 : i64} : tensor<?xi64>
    %c1 = helix.kv_append %c[1], %k, %k at %pos owner %own : tensor<?xi64> if kvp = %me rows from %row : !kv, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?xi64>
    %p = helix.gqa_partial_attention %q, %c1[1] at %pos kvp = %me rows from %row {num_heads = 2 : i64, scale = 0.5 : f64} : tensor<?x16xf32>, !kv, tensor<?xi64> -> tensor<1x?x2x9xf32>
    %req = helix.collective_start {
      %a = shard.all_to_all %p on @helix_attention grid_axes = [0] split_axis = 2 concat_axis = 0 : tensor<1x?x2x9xf32> -> tensor<2x?x1x9xf32>
      helix.yield %a : tensor<2x?x1x9xf32>
    } : !helix.request<tensor<2x?x1x9xf32>>
    %w = helix.collective_wait %req : !helix.request<tensor<2x?x1x9xf32>>
    %m = helix.lse_merge %w : tensor<2x?x1x9xf32> -> tensor<?x8xf32>
    %o = helix.linear %m weight "o" {slice = #helix.slice<dim = 1, grid = @helix_attention, axes = [1, 0]>} : tensor<?x8xf32> -> tensor<?x32xf32>
    %f = helix.merge_linear %w weight "o" {slice = #helix.slice<dim = 1, grid = @helix_attention, axes = [1, 0]>} : tensor<2x?x1x9xf32> -> tensor<?x32xf32>
    %v = helix.merge_value_projection %w kv_b_proj "kvb" {num_heads = 2 : i64, qk_nope_head_dim = 4 : i64, v_head_dim = 4 : i64} : tensor<2x?x1x9xf32> -> tensor<?x4xf32>
    return %o, %c1 : tensor<?x32xf32>, !kv
  }

  func.func @mla(%q: tensor<?x24xf32>, %c: !lc, %pos: tensor<?xi64>, %me: index, %g: tensor<1x?x32xf32>) -> (tensor<?x8xf32>, tensor<?x32xf32>) {
    %p = helix.mla_partial_attention %q, %c[0] at %pos kvp = %me kv_b_proj "kvb" {num_heads = 4 : i64, qk_nope_head_dim = 4 : i64, v_head_dim = 4 : i64, scale = 0.25 : f64} : tensor<?x24xf32>, !lc, tensor<?xi64> -> tensor<1x?x4x9xf32>
    %a = shard.all_to_all %p on @helix_attention grid_axes = [0] split_axis = 2 concat_axis = 0 : tensor<1x?x4x9xf32> -> tensor<2x?x2x9xf32>
    %m = helix.lse_merge %a : tensor<2x?x2x9xf32> -> tensor<?x16xf32>
    %v = helix.mla_value_projection %m kv_b_proj "kvb" {num_heads = 4 : i64, qk_nope_head_dim = 4 : i64, v_head_dim = 4 : i64, slice = #helix.slice<dim = 0, grid = @helix_attention, axes = [1, 0]>} : tensor<?x16xf32> -> tensor<?x8xf32>
    %all = shard.all_gather %g on @helix_ffn grid_axes = [0] gather_axis = 0 : tensor<1x?x32xf32> -> tensor<1x?x32xf32>
    %s = helix.sum_shards %all : tensor<1x?x32xf32> -> tensor<?x32xf32>
    return %v, %s : tensor<?x8xf32>, tensor<?x32xf32>
  }
}
