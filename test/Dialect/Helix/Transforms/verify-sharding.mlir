// RUN: helix-opt %s --split-input-file --verify-diagnostics --helix-verify-sharding

// A consistent module passes unchanged.
module attributes {helix.layout = #helix.layout<kvp = 2, tpa = 2, tpf = 4, ep = 1, microbatches = 1, kv_block = 16>} {
  shard.grid @helix_attention(shape = 2x2)
  shard.grid @helix_ffn(shape = 1x4)
  func.func @ok(%p: tensor<1x?x2x9xf32>, %x: tensor<?x32xf32>) -> tensor<?x32xf32> {
    %a = shard.all_to_all %p on @helix_attention grid_axes = [0] split_axis = 2 concat_axis = 0 : tensor<1x?x2x9xf32> -> tensor<2x?x1x9xf32>
    %m = helix.lse_merge %a : tensor<2x?x1x9xf32> -> tensor<?x8xf32>
    %o = helix.linear %m weight "o" {slice = #helix.slice<dim = 1, grid = @helix_attention, axes = [1, 0]>} : tensor<?x8xf32> -> tensor<?x32xf32>
    %r = shard.all_reduce %o on @helix_attention grid_axes = [0, 1] : tensor<?x32xf32> -> tensor<?x32xf32>
    return %r : tensor<?x32xf32>
  }
}

// -----

// expected-error@+1 {{helix-verify-sharding needs a module with helix.layout; run helix-set-layout first}}
module {}

// -----

// expected-error@+1 {{sharded module lacks the grid @helix_ffn}}
module attributes {helix.layout = #helix.layout<kvp = 2, tpa = 2, tpf = 4, ep = 1, microbatches = 1, kv_block = 16>} {
  shard.grid @helix_attention(shape = 2x2)
}

// -----

module attributes {helix.layout = #helix.layout<kvp = 2, tpa = 2, tpf = 4, ep = 1, microbatches = 1, kv_block = 16>} {
  // expected-error@+1 {{'shard.grid' op shape does not match the layout #helix.layout<kvp = 2, tpa = 2, tpf = 4, ep = 1, microbatches = 1, kv_block = 16>}}
  shard.grid @helix_attention(shape = 4x1)
  shard.grid @helix_ffn(shape = 1x4)
}

// -----

module attributes {helix.layout = #helix.layout<kvp = 2, tpa = 2, tpf = 4, ep = 1, microbatches = 1, kv_block = 16>} {
  shard.grid @helix_attention(shape = 2x2)
  shard.grid @helix_ffn(shape = 1x4)
  func.func @a2a_axis(%p: tensor<1x?x2x9xf32>) -> tensor<2x?x1x9xf32> {
    // expected-error@+1 {{all-to-all must scatter heads (split_axis 2, concat_axis 0) over the KVP axis of @helix_attention}}
    %a = shard.all_to_all %p on @helix_attention grid_axes = [1] split_axis = 2 concat_axis = 0 : tensor<1x?x2x9xf32> -> tensor<2x?x1x9xf32>
    return %a : tensor<2x?x1x9xf32>
  }
}

// -----

module attributes {helix.layout = #helix.layout<kvp = 2, tpa = 2, tpf = 4, ep = 1, microbatches = 1, kv_block = 16>} {
  shard.grid @helix_attention(shape = 2x2)
  shard.grid @helix_ffn(shape = 1x4)
  func.func @reduce_axes(%x: tensor<?x32xf32>) -> tensor<?x32xf32> {
    // expected-error@+1 {{all-reduce must span the whole @helix_attention or @helix_ffn grid, or the tpf axis of @helix_ffn}}
    %r = shard.all_reduce %x on @helix_attention grid_axes = [1] : tensor<?x32xf32> -> tensor<?x32xf32>
    return %r : tensor<?x32xf32>
  }
}

// -----

module attributes {helix.layout = #helix.layout<kvp = 2, tpa = 1, tpf = 1, ep = 2, microbatches = 1, kv_block = 16>} {
  shard.grid @helix_attention(shape = 2x1)
  shard.grid @helix_ffn(shape = 2x1)
  func.func @gather_axis(%x: tensor<1x?x32xf32>) -> tensor<2x?x32xf32> {
    // expected-error@+1 {{all-gather must stack expert groups (ep axis of @helix_ffn, gather_axis 0) or concatenate the vocabulary (whole @helix_attention, gather_axis 1)}}
    %g = shard.all_gather %x on @helix_attention grid_axes = [0] gather_axis = 0 : tensor<1x?x32xf32> -> tensor<2x?x32xf32>
    return %g : tensor<2x?x32xf32>
  }
}

// -----

module attributes {helix.layout = #helix.layout<kvp = 2, tpa = 2, tpf = 4, ep = 1, microbatches = 1, kv_block = 16>} {
  shard.grid @helix_attention(shape = 2x2)
  shard.grid @helix_ffn(shape = 1x4)
  func.func @owner(%p: tensor<?xi64>) -> tensor<?xi64> {
    // expected-error@+1 {{owner rule does not match the layout}}
    %o = helix.kv_owner %p {block = 8 : i64, shards = 2 : i64} : tensor<?xi64>
    return %o : tensor<?xi64>
  }
}

// -----

module attributes {helix.layout = #helix.layout<kvp = 2, tpa = 2, tpf = 4, ep = 1, microbatches = 1, kv_block = 16>} {
  shard.grid @helix_attention(shape = 2x2)
  shard.grid @helix_ffn(shape = 1x4)
  func.func @cache(%c: !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 8, element_type = f32, token_shards = 4, block = 16>, %k: tensor<?x8xf32>, %p: tensor<?xi64>, %o: tensor<?xi64>, %r: index) {
    // expected-error@+1 {{cache token sharding (4 shards of blocks of 16) does not match the layout}}
    %c1 = helix.kv_append %c[0], %k, %k at %p owner %o : tensor<?xi64> if kvp = %r : !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 8, element_type = f32, token_shards = 4, block = 16>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?xi64>
    return
  }
}

// -----

module attributes {helix.layout = #helix.layout<kvp = 2, tpa = 2, tpf = 4, ep = 1, microbatches = 1, kv_block = 16>} {
  shard.grid @helix_attention(shape = 2x2)
  shard.grid @helix_ffn(shape = 1x4)
  func.func @merge_source(%p: tensor<2x?x1x9xf32>) -> tensor<?x8xf32> {
    // expected-error@+1 {{merges partials that did not come through the KVP all-to-all}}
    %m = helix.lse_merge %p : tensor<2x?x1x9xf32> -> tensor<?x8xf32>
    return %m : tensor<?x8xf32>
  }
}

// -----

module attributes {helix.layout = #helix.layout<kvp = 2, tpa = 2, tpf = 4, ep = 1, microbatches = 1, kv_block = 16>} {
  shard.grid @helix_attention(shape = 2x2)
  shard.grid @helix_ffn(shape = 1x4)
  shard.grid @other(shape = 4)
  func.func @slice_grid(%x: tensor<?x32xf32>) -> tensor<?x8xf32> {
    // expected-error@+1 {{slices over unknown grid @other}}
    %y = helix.linear %x weight "w" {slice = #helix.slice<dim = 0, grid = @other, axes = [0]>} : tensor<?x32xf32> -> tensor<?x8xf32>
    return %y : tensor<?x8xf32>
  }
}
