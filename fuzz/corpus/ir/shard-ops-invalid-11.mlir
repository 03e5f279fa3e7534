!lc = !helix.latent_cache<layers = 1, kv_lora_rank = 8, rope_dim = 2, element_type = f32>
func.func @mla_partial_shape(%q: tensor<?x24xf32>, %c: !lc, %p: tensor<?xi64>) {
  %o = helix.mla_partial_attention %q, %c[0] at %p kv_b_proj "w" {num_heads = 4 : i64, qk_nope_head_dim = 4 : i64, v_head_dim = 4 : i64, scale = 0.25 : f64} : tensor<?x24xf32>, !lc, tensor<?xi64> -> tensor<1x?x4x5xf32>
  return
}
