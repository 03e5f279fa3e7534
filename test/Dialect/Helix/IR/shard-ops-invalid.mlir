// RUN: helix-opt %s -split-input-file -verify-diagnostics

// expected-error@+1 {{layout factors must be >= 1 (kvp = 0, tpa = 1, tpf = 1, ep = 1, microbatches = 1, kv_block = 16)}}
module attributes {helix.layout = #helix.layout<kvp = 0, tpa = 1, tpf = 1, ep = 1, microbatches = 1, kv_block = 16>} {}

// -----

// expected-error@+1 {{layout needs kvp*tpa (4) == tpf*ep (2)}}
module attributes {helix.layout = #helix.layout<kvp = 2, tpa = 2, tpf = 2, ep = 1, microbatches = 1, kv_block = 16>} {}

// -----

// expected-error@+1 {{cache token_shards and block must be >= 1, got 0 and 16}}
func.func private @shards(!helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 8, element_type = f32, token_shards = 0, block = 16>)

// -----

!kv = !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 8, element_type = f32, token_shards = 2, block = 16>
func.func @append_needs_owner(%c: !kv, %k: tensor<?x8xf32>, %p: tensor<?xi64>) {
  // expected-error@+1 {{'helix.kv_append' op needs the KVP rank on a cache sharded over 2 ranks}}
  %c1 = helix.kv_append %c[0], %k, %k at %p : !kv, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?xi64>
  return
}

// -----

!kv = !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 8, element_type = f32>
func.func @owner_on_unsharded(%c: !kv, %k: tensor<?x8xf32>, %p: tensor<?xi64>, %r: index) {
  // expected-error@+1 {{'helix.kv_append' op owner and rank apply only to token-sharded caches}}
  %c1 = helix.kv_append %c[0], %k, %k at %p owner %p : tensor<?xi64> if kvp = %r : !kv, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?xi64>
  return
}

// -----

!lc = !helix.latent_cache<layers = 1, kv_lora_rank = 8, rope_dim = 2, element_type = f32, token_shards = 2, block = 4>
func.func @latent_needs_owner(%c: !lc, %l: tensor<?x8xf32>, %k: tensor<?x2xf32>, %p: tensor<?xi64>) {
  // expected-error@+1 {{'helix.latent_append' op needs the KVP rank on a cache sharded over 2 ranks}}
  %c1 = helix.latent_append %c[0], %l, %k at %p : !lc, tensor<?x8xf32>, tensor<?x2xf32>, tensor<?xi64>
  return
}

// -----

!kv = !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 8, element_type = f32, token_shards = 2, block = 16>
func.func @whole_attention_on_shards(%q: tensor<?x16xf32>, %c: !kv, %p: tensor<?xi64>) {
  // expected-error@+1 {{'helix.gqa_attention' op reads whole sequences; a token-sharded cache needs helix.gqa_partial_attention}}
  %o = helix.gqa_attention %q, %c[0] at %p {num_heads = 2 : i64, scale = 0.5 : f64} : tensor<?x16xf32>, !kv, tensor<?xi64> -> tensor<?x16xf32>
  return
}

// -----

!lc = !helix.latent_cache<layers = 1, kv_lora_rank = 8, rope_dim = 2, element_type = f32, token_shards = 2, block = 4>
func.func @whole_mla_on_shards(%q: tensor<?x24xf32>, %c: !lc, %p: tensor<?xi64>) {
  // expected-error@+1 {{'helix.mla_attention' op reads whole sequences; a token-sharded cache needs helix.mla_partial_attention}}
  %o = helix.mla_attention %q, %c[0] at %p kv_b_proj "w" {num_heads = 4 : i64, qk_nope_head_dim = 4 : i64, v_head_dim = 4 : i64, scale = 0.25 : f64} : tensor<?x24xf32>, !lc, tensor<?xi64> -> tensor<?x16xf32>
  return
}

// -----

!kv = !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 8, element_type = f32>
func.func @partial_shape(%q: tensor<?x16xf32>, %c: !kv, %p: tensor<?xi64>) {
  // expected-error@+1 {{'helix.gqa_partial_attention' op expects packed partials of shape [1, B, 2, 9], got 'tensor<1x?x2x8xf32>'}}
  %o = helix.gqa_partial_attention %q, %c[0] at %p {num_heads = 2 : i64, scale = 0.5 : f64} : tensor<?x16xf32>, !kv, tensor<?xi64> -> tensor<1x?x2x8xf32>
  return
}

// -----

!kv = !helix.kv_cache<layers = 1, kv_heads = 2, head_dim = 8, element_type = f32>
func.func @partial_groups(%q: tensor<?x24xf32>, %c: !kv, %p: tensor<?xi64>) {
  // expected-error@+1 {{'helix.gqa_partial_attention' op num_heads (3) must be a multiple of the cache's kv_heads (2)}}
  %o = helix.gqa_partial_attention %q, %c[0] at %p {num_heads = 3 : i64, scale = 0.5 : f64} : tensor<?x24xf32>, !kv, tensor<?xi64> -> tensor<1x?x3x9xf32>
  return
}

// -----

!kv = !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 8, element_type = f32, token_shards = 2, block = 16>
func.func @partial_rank(%q: tensor<?x16xf32>, %c: !kv, %p: tensor<?xi64>) {
  // expected-error@+1 {{'helix.gqa_partial_attention' op needs the KVP rank on a cache sharded over 2 ranks}}
  %o = helix.gqa_partial_attention %q, %c[0] at %p {num_heads = 2 : i64, scale = 0.5 : f64} : tensor<?x16xf32>, !kv, tensor<?xi64> -> tensor<1x?x2x9xf32>
  return
}

// -----

!lc = !helix.latent_cache<layers = 1, kv_lora_rank = 8, rope_dim = 2, element_type = f32>
func.func @mla_partial_shape(%q: tensor<?x24xf32>, %c: !lc, %p: tensor<?xi64>) {
  // expected-error@+1 {{'helix.mla_partial_attention' op expects packed partials of shape [1, B, 4, 9]}}
  %o = helix.mla_partial_attention %q, %c[0] at %p kv_b_proj "w" {num_heads = 4 : i64, qk_nope_head_dim = 4 : i64, v_head_dim = 4 : i64, scale = 0.25 : f64} : tensor<?x24xf32>, !lc, tensor<?xi64> -> tensor<1x?x4x5xf32>
  return
}

// -----

!lc = !helix.latent_cache<layers = 1, kv_lora_rank = 8, rope_dim = 2, element_type = f32>
func.func @mla_partial_query(%q: tensor<?x20xf32>, %c: !lc, %p: tensor<?xi64>) {
  // expected-error@+1 {{'helix.mla_partial_attention' op expects query (num_heads x (qk_nope_head_dim + rope_dim)) to have 24 columns, got 20}}
  %o = helix.mla_partial_attention %q, %c[0] at %p kv_b_proj "w" {num_heads = 4 : i64, qk_nope_head_dim = 4 : i64, v_head_dim = 4 : i64, scale = 0.25 : f64} : tensor<?x20xf32>, !lc, tensor<?xi64> -> tensor<1x?x4x9xf32>
  return
}

// -----

func.func @merge_width(%p: tensor<2x?x2x9xf32>) {
  // expected-error@+1 {{'helix.lse_merge' op expects result (heads x head width) to have 16 columns, got 18}}
  %m = helix.lse_merge %p : tensor<2x?x2x9xf32> -> tensor<?x18xf32>
  return
}

// -----

func.func @merge_lse_only(%p: tensor<2x?x2x1xf32>) {
  // expected-error@+1 {{'helix.lse_merge' op expects at least one output channel before the LSE}}
  %m = helix.lse_merge %p : tensor<2x?x2x1xf32> -> tensor<?x0xf32>
  return
}

// -----

func.func @merge_batch(%p: tensor<2x3x2x9xf32>) {
  // expected-error@+1 {{'helix.lse_merge' op expects the result batch to match the partials'}}
  %m = helix.lse_merge %p : tensor<2x3x2x9xf32> -> tensor<4x16xf32>
  return
}

// -----

func.func @merge_dynamic(%p: tensor<2x?x?x9xf32>) {
  // expected-error@+1 {{'helix.lse_merge' op expects static heads and head width}}
  %m = helix.lse_merge %p : tensor<2x?x?x9xf32> -> tensor<?x16xf32>
  return
}

// -----

func.func @merge_linear_batch(%p: tensor<2x3x2x9xf32>) {
  // expected-error@+1 {{'helix.merge_linear' op expects the result batch to match the partials'}}
  %o = helix.merge_linear %p weight "o" : tensor<2x3x2x9xf32> -> tensor<4x16xf32>
  return
}

// -----

func.func @merge_linear_lse_only(%p: tensor<2x?x2x1xf32>) {
  // expected-error@+1 {{'helix.merge_linear' op expects at least one output channel before the LSE}}
  %o = helix.merge_linear %p weight "o" : tensor<2x?x2x1xf32> -> tensor<?x16xf32>
  return
}

// -----

func.func @merge_value_projection_width(%p: tensor<2x?x2x9xf32>) {
  // expected-error@+1 {{'helix.merge_value_projection' op expects result (heads x v_head_dim) to have 8 columns, got 12}}
  %v = helix.merge_value_projection %p kv_b_proj "kvb" {num_heads = 4 : i64, qk_nope_head_dim = 4 : i64, v_head_dim = 4 : i64} : tensor<2x?x2x9xf32> -> tensor<?x12xf32>
  return
}

// -----

func.func @sum_shape(%g: tensor<4x?x8xf32>) {
  // expected-error@+1 {{'helix.sum_shards' op expects [K, B, F] -> [B, F]}}
  %s = helix.sum_shards %g : tensor<4x?x8xf32> -> tensor<?x16xf32>
  return
}

// -----

func.func @start_two_ops(%x: tensor<?x8xf32>) {
  // expected-error@+1 {{'helix.collective_start' op expects exactly one collective and a helix.yield}}
  %r = helix.collective_start {
    %a = arith.addf %x, %x : tensor<?x8xf32>
    %b = arith.addf %a, %a : tensor<?x8xf32>
    helix.yield %b : tensor<?x8xf32>
  } : !helix.request<tensor<?x8xf32>>
  return
}

// -----

func.func @start_not_collective(%x: tensor<?x8xf32>) {
  // expected-error@+1 {{'helix.collective_start' op expects a shard.all_to_all, shard.all_reduce or shard.all_gather, got arith.addf}}
  %r = helix.collective_start {
    %a = arith.addf %x, %x : tensor<?x8xf32>
    helix.yield %a : tensor<?x8xf32>
  } : !helix.request<tensor<?x8xf32>>
  return
}

// -----

shard.grid @g(shape = 2)
func.func @start_yield(%x: tensor<?x8xf32>) {
  // expected-error@+1 {{'helix.collective_start' op must yield the collective's result}}
  %r = helix.collective_start {
    %a = shard.all_reduce %x on @g grid_axes = [0] : tensor<?x8xf32> -> tensor<?x8xf32>
    helix.yield %x : tensor<?x8xf32>
  } : !helix.request<tensor<?x8xf32>>
  return
}

// -----

shard.grid @g(shape = 2)
func.func @start_type(%x: tensor<?x8xf32>) {
  // expected-error@+1 {{'helix.collective_start' op request type must carry the yielded type}}
  %r = helix.collective_start {
    %a = shard.all_reduce %x on @g grid_axes = [0] : tensor<?x8xf32> -> tensor<?x8xf32>
    helix.yield %a : tensor<?x8xf32>
  } : !helix.request<tensor<?x4xf32>>
  return
}

// -----

func.func @slice_grid(%x: tensor<?x8xf32>) {
  // expected-error@+1 {{'helix.linear' op slice refers to unknown grid @nowhere}}
  %y = helix.linear %x weight "w" {slice = #helix.slice<dim = 0, grid = @nowhere, axes = [0]>} : tensor<?x8xf32> -> tensor<?x4xf32>
  return
}

// -----

shard.grid @g(shape = 2)
func.func @slice_dim(%x: tensor<?x8xf32>) {
  // expected-error@+1 {{'helix.linear' op slice dim 2 is out of range 0..1}}
  %y = helix.linear %x weight "w" {slice = #helix.slice<dim = 2, grid = @g, axes = [0]>} : tensor<?x8xf32> -> tensor<?x4xf32>
  return
}

// -----

shard.grid @g(shape = 2)
func.func @slice_axes(%x: tensor<?x8xf32>) {
  // expected-error@+1 {{'helix.linear' op slice axes must be static axes of grid @g}}
  %y = helix.linear %x weight "w" {slice = #helix.slice<dim = 0, grid = @g, axes = [3]>} : tensor<?x8xf32> -> tensor<?x4xf32>
  return
}

// -----

shard.grid @g(shape = 4)
func.func @mlp_slice(%x: tensor<?x8xf32>) {
  // expected-error@+1 {{'helix.swiglu_mlp' op intermediate_size (6) is not divisible by the 4 blocks of its slice}}
  %y = helix.swiglu_mlp %x prefix "m" {intermediate_size = 6 : i64, slice = #helix.slice<dim = 0, grid = @g, axes = [0]>} : tensor<?x8xf32>
  return
}

// -----

shard.grid @g(shape = 3)
func.func @experts_slice(%x: tensor<?x8xf32>, %i: tensor<?x2xi64>, %w: tensor<?x2xf32>) {
  // expected-error@+1 {{'helix.moe_experts' op num_experts (8) is not divisible by the 3 blocks of its slice}}
  %y = helix.moe_experts %x, %i, %w prefix "m" {num_experts = 8 : i64, intermediate_size = 4 : i64, shared_intermediate_size = 0 : i64, expert_slice = #helix.slice<dim = 0, grid = @g, axes = [0]>} : tensor<?x8xf32>, tensor<?x2xi64>, tensor<?x2xf32>
  return
}
