// RUN: helix-opt %s --split-input-file --helix-fuse-merge-into-linear | FileCheck %s

// A merge whose only user is W_O becomes one merge_linear on the partials,
// with the linear's weight and slice.
// CHECK-LABEL: func.func @merge_into_wo(
// CHECK-SAME: %[[P:[a-zA-Z0-9_]+]]: tensor<2x?x1x5xf32>
// CHECK-NOT: helix.lse_merge
// CHECK-NOT: helix.linear
// CHECK: %[[O:.*]] = helix.merge_linear %[[P]] weight "o"
// CHECK-SAME: {slice = #helix.slice<dim = 1, grid = @helix_attention, axes = [1, 0]>}
// CHECK-SAME: : tensor<2x?x1x5xf32> -> tensor<?x8xf32>
// CHECK: return %[[O]]
shard.grid @helix_attention(shape = 2x1)
func.func @merge_into_wo(%p: tensor<2x?x1x5xf32>) -> tensor<?x8xf32> {
  %m = helix.lse_merge %p : tensor<2x?x1x5xf32> -> tensor<?x4xf32>
  %o = helix.linear %m weight "o" {slice = #helix.slice<dim = 1, grid = @helix_attention, axes = [1, 0]>} : tensor<?x4xf32> -> tensor<?x8xf32>
  return %o : tensor<?x8xf32>
}

// -----

// MLA: a merge feeding only W_UV becomes merge_value_projection with the
// projection's attributes.
// CHECK-LABEL: func.func @merge_into_wuv(
// CHECK-SAME: %[[P:[a-zA-Z0-9_]+]]: tensor<2x?x2x17xf32>
// CHECK-NOT: helix.lse_merge
// CHECK: helix.merge_value_projection %[[P]] kv_b_proj "kvb"
// CHECK-SAME: num_heads = 4 : i64, qk_nope_head_dim = 8 : i64
// CHECK-SAME: v_head_dim = 8 : i64
// CHECK-SAME: : tensor<2x?x2x17xf32> -> tensor<?x16xf32>
// CHECK-NOT: helix.mla_value_projection
func.func @merge_into_wuv(%p: tensor<2x?x2x17xf32>) -> tensor<?x16xf32> {
  %m = helix.lse_merge %p : tensor<2x?x2x17xf32> -> tensor<?x32xf32>
  %v = helix.mla_value_projection %m kv_b_proj "kvb" {num_heads = 4 : i64, qk_nope_head_dim = 8 : i64, v_head_dim = 8 : i64} : tensor<?x32xf32> -> tensor<?x16xf32>
  return %v : tensor<?x16xf32>
}

// -----

// A merge with two users, or one whose user is not a projection, stays.
// CHECK-LABEL: func.func @not_fused(
// CHECK: %[[M:.*]] = helix.lse_merge
// CHECK: helix.linear %[[M]] weight "o"
// CHECK: helix.rms_norm %[[M]]
// CHECK-NOT: helix.merge_linear
func.func @not_fused(%p: tensor<2x?x1x5xf32>) -> (tensor<?x8xf32>, tensor<?x4xf32>) {
  %m = helix.lse_merge %p : tensor<2x?x1x5xf32> -> tensor<?x4xf32>
  %o = helix.linear %m weight "o" : tensor<?x4xf32> -> tensor<?x8xf32>
  %n = helix.rms_norm %m weight "n" {epsilon = 1.0e-05 : f64} : tensor<?x4xf32>
  return %o, %n : tensor<?x8xf32>, tensor<?x4xf32>
}
