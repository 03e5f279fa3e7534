!kv = !helix.kv_cache<layers = 1, kv_heads = 2, head_dim = 8, element_type = f32>
func.func @gqa_layer(%h: tensor<?x32xf32>, %pos: tensor<?xi64>, %kv: !kv) -> (tensor<?x32xf32>, !kv) {
  %q = helix.linear %h weight "q" : tensor<?x32xf32> -> tensor<?x32xf32>
  %k = helix.linear %h weight "k" : tensor<?x32xf32> -> tensor<?x16xf32>
  %v = helix.linear %h weight "v" : tensor<?x32xf32> -> tensor<?x16xf32>
  %qr = helix.rope %q, %pos {heads = 4 : i64, head_dim = 8 : i64, rotary_dim = 8 : i64, rope = #helix.rope<>} : tensor<?x32xf32>, tensor<?xi64>
  %kr = helix.rope %k, %pos {heads = 2 : i64, head_dim = 8 : i64, rotary_dim = 8 : i64, rope = #helix.rope<>} : tensor<?x16xf32>, tensor<?xi64>
  %kv1 = helix.kv_append %kv[0], %kr, %v at %pos : !kv, tensor<?x16xf32>, tensor<?x16xf32>, tensor<?xi64>
  %o = helix.gqa_attention %qr, %kv1[0] at %pos {num_heads = 4 : i64, scale = 0.35355339059327373 : f64} : tensor<?x32xf32>, !kv, tensor<?xi64> -> tensor<?x32xf32>
  %a = helix.linear %o weight "o" : tensor<?x32xf32> -> tensor<?x32xf32>
  %r = arith.addf %h, %a : tensor<?x32xf32>
  return %r, %kv1 : tensor<?x32xf32>, !kv
}

!lc = !helix.latent_cache<layers = 1, kv_lora_rank = 8, rope_dim = 2, element_type = f32>
func.func @mla_layer(%h: tensor<?x16xf32>, %pos: tensor<?xi64>, %c: !lc, %lat: tensor<?x8xf32>, %kpe: tensor<?x2xf32>) -> (tensor<?x16xf32>, !lc) {
  %q = helix.linear %h weight "q" : tensor<?x16xf32> -> tensor<?x48xf32>
  %qr = helix.rope %q, %pos {heads = 8 : i64, head_dim = 6 : i64, rotary_dim = 2 : i64, rope = #helix.rope<layout = interleaved>} : tensor<?x48xf32>, tensor<?xi64>
  %c1 = helix.latent_append %c[0], %lat, %kpe at %pos : !lc, tensor<?x8xf32>, tensor<?x2xf32>, tensor<?xi64>
  %o = helix.mla_attention %qr, %c1[0] at %pos kv_b_proj "kvb" {num_heads = 8 : i64, qk_nope_head_dim = 4 : i64, v_head_dim = 4 : i64, scale = 0.5 : f64} : tensor<?x48xf32>, !lc, tensor<?xi64> -> tensor<?x32xf32>
  %a = helix.linear %o weight "o" : tensor<?x32xf32> -> tensor<?x16xf32>
  return %a, %c1 : tensor<?x16xf32>, !lc
}
