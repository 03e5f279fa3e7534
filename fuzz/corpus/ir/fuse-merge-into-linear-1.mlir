func.func @merge_into_wuv(%p: tensor<2x?x2x17xf32>) -> tensor<?x16xf32> {
  %m = helix.lse_merge %p : tensor<2x?x2x17xf32> -> tensor<?x32xf32>
  %v = helix.mla_value_projection %m kv_b_proj "kvb" {num_heads = 4 : i64, qk_nope_head_dim = 8 : i64, v_head_dim = 8 : i64} : tensor<?x32xf32> -> tensor<?x16xf32>
  return %v : tensor<?x16xf32>
}
