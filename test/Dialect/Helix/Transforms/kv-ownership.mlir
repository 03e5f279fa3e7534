// RUN: rm -rf %t && split-file %s %t
// RUN: helix-opt %t/gqa.mlir --helix-set-layout="kvp=4 tpa=1 tpf=4 kv-block=8" --helix-shard-attention --helix-kv-ownership | FileCheck %s --check-prefix=GQA
// RUN: helix-opt %t/mla.mlir --helix-set-layout="kvp=2 tpf=2 kv-block=32" --helix-shard-attention --helix-kv-ownership | FileCheck %s --check-prefix=MLA
// RUN: helix-opt %t/gqa.mlir --helix-set-layout="tpa=2 tpf=2" --helix-shard-attention --helix-kv-ownership | FileCheck %s --check-prefix=KVP1
// RUN: not helix-opt %t/gqa.mlir --helix-set-layout="kvp=4 tpf=4" --helix-shard-attention --helix-kv-ownership --helix-kv-ownership 2>&1 | FileCheck %s --check-prefix=TWICE

// The token of position p is stored by KVP rank (p / 8) % 4 only: the owner
// is computed once per step, each append compares it with the rank's KVP
// coordinate, and partial attention reads the rank's slice.
// GQA-LABEL: func.func @layers(
// GQA-SAME: %[[H:[a-zA-Z0-9_]+]]: tensor<?x32xf32>, %[[POS:[a-zA-Z0-9_]+]]: tensor<?xi64>,
// GQA-SAME: %[[KV:[a-zA-Z0-9_]+]]: !helix.kv_cache<layers = 2, kv_heads = 2, head_dim = 8,
// GQA-SAME: element_type = f32, token_shards = 4, block = 8>)
// GQA: %[[ME:.*]] = shard.process_multi_index on @helix_attention axes = [0] : index
// GQA-NEXT: %[[OWN:.*]] = helix.kv_owner %[[POS]] {block = 8 : i64, shards = 4 : i64}
// GQA-SAME: : tensor<?xi64>
// GQA: %[[KV1:.*]] = helix.kv_append %[[KV]][0], %{{.*}}, %{{.*}} at %[[POS]]
// GQA-SAME: owner %[[OWN]] : tensor<?xi64> if kvp = %[[ME]]
// GQA-SAME: : !helix.kv_cache<layers = 2, kv_heads = 2, head_dim = 8,
// GQA-SAME: element_type = f32, token_shards = 4, block = 8>
// GQA: helix.gqa_partial_attention %{{.*}}, %[[KV1]][0] at %[[POS]] kvp = %[[ME]]
// GQA: %[[KV2:.*]] = helix.kv_append %[[KV1]][1], %{{.*}}, %{{.*}} at %[[POS]]
// GQA-SAME: owner %[[OWN]] : tensor<?xi64> if kvp = %[[ME]]
// GQA: helix.gqa_partial_attention %{{.*}}, %[[KV2]][1] at %[[POS]] kvp = %[[ME]]
// GQA-NOT: helix.kv_owner

// MLA-LABEL: func.func @mla(
// MLA-SAME: !helix.latent_cache<layers = 1, kv_lora_rank = 8, rope_dim = 2, element_type = f32,
// MLA-SAME: token_shards = 2, block = 32>
// MLA: helix.kv_owner %{{.*}} {block = 32 : i64, shards = 2 : i64}
// MLA: helix.latent_append {{.*}} owner %{{.*}} : tensor<?xi64> if kvp = %{{.*}} :
// MLA: helix.mla_partial_attention {{.*}} kvp = %{{.*}} kv_b_proj

// With one KVP rank every rank holds all tokens of its heads: nothing changes.
// KVP1-LABEL: func.func @layers(
// KVP1-NOT: helix.kv_owner
// KVP1-NOT: token_shards
// KVP1-NOT: owner

// TWICE: error: helix-kv-ownership: KV ownership is already assigned

//--- gqa.mlir
!kv = !helix.kv_cache<layers = 2, kv_heads = 2, head_dim = 8, element_type = f32>
func.func @layers(%h: tensor<?x32xf32>, %pos: tensor<?xi64>, %kv: !kv) -> (tensor<?x32xf32>, !kv) {
  %q = helix.linear %h weight "q0" : tensor<?x32xf32> -> tensor<?x32xf32>
  %k = helix.linear %h weight "k0" : tensor<?x32xf32> -> tensor<?x16xf32>
  %v = helix.linear %h weight "v0" : tensor<?x32xf32> -> tensor<?x16xf32>
  %kv1 = helix.kv_append %kv[0], %k, %v at %pos : !kv, tensor<?x16xf32>, tensor<?x16xf32>, tensor<?xi64>
  %o = helix.gqa_attention %q, %kv1[0] at %pos {num_heads = 4 : i64, scale = 0.5 : f64} : tensor<?x32xf32>, !kv, tensor<?xi64> -> tensor<?x32xf32>
  %a = helix.linear %o weight "o0" : tensor<?x32xf32> -> tensor<?x32xf32>
  %q1 = helix.linear %a weight "q1" : tensor<?x32xf32> -> tensor<?x32xf32>
  %k1 = helix.linear %a weight "k1" : tensor<?x32xf32> -> tensor<?x16xf32>
  %v1 = helix.linear %a weight "v1" : tensor<?x32xf32> -> tensor<?x16xf32>
  %kv2 = helix.kv_append %kv1[1], %k1, %v1 at %pos : !kv, tensor<?x16xf32>, tensor<?x16xf32>, tensor<?xi64>
  %o1 = helix.gqa_attention %q1, %kv2[1] at %pos {num_heads = 4 : i64, scale = 0.5 : f64} : tensor<?x32xf32>, !kv, tensor<?xi64> -> tensor<?x32xf32>
  %a1 = helix.linear %o1 weight "o1" : tensor<?x32xf32> -> tensor<?x32xf32>
  return %a1, %kv2 : tensor<?x32xf32>, !kv
}
//--- mla.mlir
!lc = !helix.latent_cache<layers = 1, kv_lora_rank = 8, rope_dim = 2, element_type = f32>
func.func @mla(%h: tensor<?x16xf32>, %pos: tensor<?xi64>, %c: !lc, %lat: tensor<?x8xf32>, %kpe: tensor<?x2xf32>) -> (tensor<?x16xf32>, !lc) {
  %q = helix.linear %h weight "q" : tensor<?x16xf32> -> tensor<?x48xf32>
  %c1 = helix.latent_append %c[0], %lat, %kpe at %pos : !lc, tensor<?x8xf32>, tensor<?x2xf32>, tensor<?xi64>
  %o = helix.mla_attention %q, %c1[0] at %pos kv_b_proj "kvb" {num_heads = 8 : i64, qk_nope_head_dim = 4 : i64, v_head_dim = 4 : i64, scale = 0.5 : f64} : tensor<?x48xf32>, !lc, tensor<?xi64> -> tensor<?x32xf32>
  %a = helix.linear %o weight "o" : tensor<?x32xf32> -> tensor<?x16xf32>
  return %a, %c1 : tensor<?x16xf32>, !lc
}
