func.func @merge_value_projection_width(%p: tensor<2x?x2x9xf32>) {
  %v = helix.merge_value_projection %p kv_b_proj "kvb" {num_heads = 4 : i64, qk_nope_head_dim = 4 : i64, v_head_dim = 4 : i64} : tensor<2x?x2x9xf32> -> tensor<?x12xf32>
  return
}
