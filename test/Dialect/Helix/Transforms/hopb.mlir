// RUN: helix-opt %s --helix-set-layout="kvp=2 tpa=1 tpf=2 microbatches=2" --helix-shard-attention --helix-kv-ownership --helix-shard-ffn --helix-hopb | FileCheck %s
// RUN: helix-opt %s --helix-set-layout="kvp=2 tpa=1 tpf=2 microbatches=3" --helix-shard-attention --helix-kv-ownership --helix-shard-ffn --helix-hopb | FileCheck %s --check-prefix=THREE
// RUN: helix-opt %s --helix-set-layout="kvp=2 tpa=1 tpf=2 microbatches=1" --helix-shard-attention --helix-kv-ownership --helix-shard-ffn --helix-hopb | FileCheck %s --check-prefix=PLAIN

// Two micro-batches: rows [0, ceil(B/2)) and the rest. Each chain computes
// up to a collective and starts it; the next chain computes while it is in
// flight; the wait comes right before the first use.
// CHECK-LABEL: func.func @step
// CHECK: %[[B:.*]] = tensor.dim %arg0
// CHECK: %[[T0:.*]] = tensor.extract_slice %arg0[%[[R0:.*]]] [%[[S0:.*]]] [1]
// CHECK: %[[T1:.*]] = tensor.extract_slice %arg0[%[[R1:.*]]] [%[[S1:.*]]] [1]
// Segment 0: attention of micro-batch 0, then of micro-batch 1.
// CHECK: %[[A0:.*]] = helix.kv_append %arg2[0], {{.*}} rows from %[[R0]]
// CHECK: %[[P0:.*]] = helix.gqa_partial_attention %{{.*}}, %[[A0]][0] {{.*}} rows from %[[R0]]
// CHECK: %[[X0:.*]] = helix.collective_start {
// CHECK-NEXT: shard.all_to_all %[[P0]]
// CHECK: %[[A1:.*]] = helix.kv_append %[[A0]][0], {{.*}} rows from %[[R1]]
// CHECK: %[[P1:.*]] = helix.gqa_partial_attention %{{.*}}, %[[A1]][0] {{.*}} rows from %[[R1]]
// CHECK: %[[X1:.*]] = helix.collective_start {
// CHECK-NEXT: shard.all_to_all %[[P1]]
// Segment 1: micro-batch 0 merges and projects while micro-batch 1's
// all-to-all is in flight.
// CHECK: %[[W0:.*]] = helix.collective_wait %[[X0]]
// CHECK-NEXT: helix.lse_merge %[[W0]]
// CHECK: %[[Y0:.*]] = helix.collective_start {
// CHECK-NEXT: shard.all_reduce
// CHECK: %[[W1:.*]] = helix.collective_wait %[[X1]]
// CHECK-NEXT: helix.lse_merge %[[W1]]
// CHECK: %[[Y1:.*]] = helix.collective_start {
// Segment 2: micro-batch 0's FFN overlaps micro-batch 1's all-reduce.
// CHECK: helix.collective_wait %[[Y0]]
// CHECK: helix.swiglu_mlp
// CHECK: helix.collective_start {
// CHECK: helix.collective_wait %[[Y1]]
// CHECK: helix.swiglu_mlp
// The LM head of each chain carries the chain's first row, so the runtime
// can look up which of its rows need logits.
// CHECK: helix.linear %{{.*}} weight "lm" rows from %[[R0]] {logits}
// CHECK: helix.linear %{{.*}} weight "lm" rows from %[[R1]] {logits}
// CHECK: %[[N:.*]] = tensor.concat dim(0)
// CHECK: return %[[N]], %[[A1]] :

// Uneven micro-batches: sizes B/3 + (m < B%3).
// THREE: arith.remui
// THREE-COUNT-3: helix.gqa_partial_attention
// THREE-COUNT-3: helix.collective_wait
// THREE: tensor.concat dim(0) %{{.*}}, %{{.*}}, %{{.*}} :

// One micro-batch keeps the plain synchronous schedule.
// PLAIN-NOT: helix.collective_start
// PLAIN: shard.all_to_all
// PLAIN-NOT: helix.collective_start

!kv = !helix.kv_cache<layers = 1, kv_heads = 2, head_dim = 8, element_type = f32>
func.func @step(%tokens: tensor<?xi64>, %pos: tensor<?xi64>, %kv: !kv) -> (tensor<?xi64>, !kv) {
  %h = helix.embed %tokens weight "e" {vocab_size = 10 : i64} : tensor<?xi64> -> tensor<?x32xf32>
  %q = helix.linear %h weight "q" : tensor<?x32xf32> -> tensor<?x32xf32>
  %k = helix.linear %h weight "k" : tensor<?x32xf32> -> tensor<?x16xf32>
  %v = helix.linear %h weight "v" : tensor<?x32xf32> -> tensor<?x16xf32>
  %kv1 = helix.kv_append %kv[0], %k, %v at %pos : !kv, tensor<?x16xf32>, tensor<?x16xf32>, tensor<?xi64>
  %o = helix.gqa_attention %q, %kv1[0] at %pos {num_heads = 4 : i64, scale = 0.5 : f64} : tensor<?x32xf32>, !kv, tensor<?xi64> -> tensor<?x32xf32>
  %a = helix.linear %o weight "o" : tensor<?x32xf32> -> tensor<?x32xf32>
  %f = helix.swiglu_mlp %a prefix "mlp" {intermediate_size = 8 : i64} : tensor<?x32xf32>
  %l = helix.linear %f weight "lm" {logits} : tensor<?x32xf32> -> tensor<?x10xf32>
  %n = helix.argmax %l : tensor<?x10xf32> -> tensor<?xi64>
  return %n, %kv1 : tensor<?xi64>, !kv
}
