// RUN: rm -rf %t && split-file %s %t
// RUN: helix-opt %t/shapes.mlir --split-input-file --verify-diagnostics --helix-set-layout="kvp=2 tpf=2" --helix-shard-attention
// RUN: helix-opt %t/no-layout.mlir --verify-diagnostics --helix-shard-attention

//--- shapes.mlir

!kv = !helix.kv_cache<layers = 1, kv_heads = 2, head_dim = 8, element_type = f32>
func.func @two_uses(%q: tensor<?x32xf32>, %kv: !kv, %pos: tensor<?xi64>) -> (tensor<?x32xf32>, tensor<?x32xf32>) {
  // expected-error@+1 {{helix-shard-attention expects the cache to come from this layer's helix.kv_append}}
  %o = helix.gqa_attention %q, %kv[0] at %pos {num_heads = 4 : i64, scale = 0.5 : f64} : tensor<?x32xf32>, !kv, tensor<?xi64> -> tensor<?x32xf32>
  return %o, %o : tensor<?x32xf32>, tensor<?x32xf32>
}

// -----

!kv = !helix.kv_cache<layers = 1, kv_heads = 2, head_dim = 8, element_type = f32>
func.func @no_projection(%q: tensor<?x32xf32>, %k: tensor<?x16xf32>, %kv: !kv, %pos: tensor<?xi64>) -> tensor<?x32xf32> {
  %kv1 = helix.kv_append %kv[0], %k, %k at %pos : !kv, tensor<?x16xf32>, tensor<?x16xf32>, tensor<?xi64>
  // expected-error@+1 {{helix-shard-attention expects the attention result to feed a helix.linear output projection}}
  %o = helix.gqa_attention %q, %kv1[0] at %pos {num_heads = 4 : i64, scale = 0.5 : f64} : tensor<?x32xf32>, !kv, tensor<?xi64> -> tensor<?x32xf32>
  %r = arith.addf %o, %q : tensor<?x32xf32>
  return %r : tensor<?x32xf32>
}

// -----

!kv = !helix.kv_cache<layers = 1, kv_heads = 2, head_dim = 8, element_type = f32>
func.func @query_not_projected(%q: tensor<?x32xf32>, %k: tensor<?x16xf32>, %kv: !kv, %pos: tensor<?xi64>) -> tensor<?x32xf32> {
  %kv1 = helix.kv_append %kv[0], %k, %k at %pos : !kv, tensor<?x16xf32>, tensor<?x16xf32>, tensor<?xi64>
  // expected-error@+1 {{helix-shard-attention expects the query to come from helix.linear (optionally via helix.rope)}}
  %o = helix.gqa_attention %q, %kv1[0] at %pos {num_heads = 4 : i64, scale = 0.5 : f64} : tensor<?x32xf32>, !kv, tensor<?xi64> -> tensor<?x32xf32>
  %a = helix.linear %o weight "o" : tensor<?x32xf32> -> tensor<?x32xf32>
  return %a : tensor<?x32xf32>
}

//--- no-layout.mlir
// expected-error@below {{helix-shard-attention needs a module with helix.layout; run helix-set-layout first}}
module {}
