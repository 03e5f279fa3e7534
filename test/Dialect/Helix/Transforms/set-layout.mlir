// RUN: helix-opt %s --split-input-file --helix-set-layout="kvp=2 tpa=2 tpf=4 ep=1 microbatches=2 kv-block=8" | FileCheck %s

// A valid layout is attached to the module with the two grids it implies.
// CHECK-LABEL: module attributes
// CHECK-SAME: helix.layout = #helix.layout<kvp = 2, tpa = 2, tpf = 4, ep = 1,
// CHECK-SAME: microbatches = 2, kv_block = 8>
// CHECK-NEXT: shard.grid @helix_attention(shape = 2x2)
// CHECK-NEXT: shard.grid @helix_ffn(shape = 1x4)
// CHECK-LABEL: func.func @step
!kv = !helix.kv_cache<layers = 1, kv_heads = 2, head_dim = 4, element_type = f32>
func.func @step(%q: tensor<?x16xf32>, %c: !kv, %p: tensor<?xi64>, %x: tensor<?x8xf32>) -> (tensor<?x16xf32>, tensor<?x8xf32>) {
  %o = helix.gqa_attention %q, %c[0] at %p {num_heads = 4 : i64, scale = 0.5 : f64} : tensor<?x16xf32>, !kv, tensor<?xi64> -> tensor<?x16xf32>
  %f = helix.swiglu_mlp %x prefix "mlp" {intermediate_size = 16 : i64} : tensor<?x8xf32>
  return %o, %f : tensor<?x16xf32>, tensor<?x8xf32>
}
