// RUN: rm -rf %t && split-file %s %t
// RUN: helix-opt %t/even.mlir --helix-set-layout="kvp=2 tpa=2 tpf=4" --helix-shard-lm-head | FileCheck %s --check-prefix=EVEN
// RUN: helix-opt %t/odd.mlir --helix-set-layout="kvp=2 tpa=2 tpf=4" --helix-shard-lm-head | FileCheck %s --check-prefix=ODD

// The vocabulary (12) splits over N = 4 ranks: 3 rows each, then one
// all-gather of the logits along the vocabulary axis feeds the argmax and
// the returned logits.
// EVEN-LABEL: func.func @step
// EVEN: %[[P:.*]] = helix.linear %{{.*}} weight "lm_head.weight"
// EVEN-SAME: {slice = #helix.slice<dim = 0, grid = @helix_attention, axes = [0, 1]>}
// EVEN-SAME: : tensor<?x8xf32> -> tensor<?x3xf32>
// EVEN-NEXT: %[[L:.*]] = shard.all_gather %[[P]] on @helix_attention grid_axes = [0, 1]
// EVEN-SAME: gather_axis = 1 : tensor<?x3xf32> -> tensor<?x12xf32>
// EVEN-NEXT: %[[N:.*]] = helix.argmax %[[L]]
// EVEN-NEXT: return %[[N]], %[[L]]

// A vocabulary of 10 does not split 4 ways: the head stays replicated.
// ODD-LABEL: func.func @step
// ODD-NOT: slice
// ODD-NOT: all_gather

//--- even.mlir
!kv = !helix.kv_cache<layers = 1, kv_heads = 2, head_dim = 8, element_type = f32>
func.func @step(%h: tensor<?x8xf32>, %q: tensor<?x32xf32>, %c: !kv, %p: tensor<?xi64>) -> (tensor<?xi64>, tensor<?x12xf32>) {
  %o = helix.gqa_attention %q, %c[0] at %p {num_heads = 4 : i64, scale = 0.5 : f64} : tensor<?x32xf32>, !kv, tensor<?xi64> -> tensor<?x32xf32>
  %l = helix.linear %h weight "lm_head.weight" : tensor<?x8xf32> -> tensor<?x12xf32>
  %n = helix.argmax %l : tensor<?x12xf32> -> tensor<?xi64>
  return %n, %l : tensor<?xi64>, tensor<?x12xf32>
}
//--- odd.mlir
!kv = !helix.kv_cache<layers = 1, kv_heads = 2, head_dim = 8, element_type = f32>
func.func @step(%h: tensor<?x8xf32>, %q: tensor<?x32xf32>, %c: !kv, %p: tensor<?xi64>) -> (tensor<?xi64>, tensor<?x10xf32>) {
  %o = helix.gqa_attention %q, %c[0] at %p {num_heads = 4 : i64, scale = 0.5 : f64} : tensor<?x32xf32>, !kv, tensor<?xi64> -> tensor<?x32xf32>
  %l = helix.linear %h weight "lm_head.weight" : tensor<?x8xf32> -> tensor<?x10xf32>
  %n = helix.argmax %l : tensor<?x10xf32> -> tensor<?xi64>
  return %n, %l : tensor<?xi64>, tensor<?x10xf32>
}
