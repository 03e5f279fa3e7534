func.func @gqa_layer(%tokens: tensor<?xi64>, %pos: tensor<?xi64>,
    %kv: !helix.kv_cache<layers = 2, kv_heads = 2, head_dim = 8, element_type = bf16>)
    -> (tensor<?xi64>, tensor<?x50xf32>, !helix.kv_cache<layers = 2, kv_heads = 2, head_dim = 8, element_type = bf16>) {
  %h = helix.embed %tokens weight "model.embed_tokens.weight" {vocab_size = 50 : i64} : tensor<?xi64> -> tensor<?x32xf32>
  %n = helix.rms_norm %h weight "model.layers.0.input_layernorm.weight" {epsilon = 1.0e-05 : f64} : tensor<?x32xf32>
  %q = helix.linear %n weight "model.layers.0.self_attn.q_proj.weight" : tensor<?x32xf32> -> tensor<?x32xf32>
  %k = helix.linear %n weight "model.layers.0.self_attn.k_proj.weight" : tensor<?x32xf32> -> tensor<?x16xf32>
  %v = helix.linear %n weight "model.layers.0.self_attn.v_proj.weight" : tensor<?x32xf32> -> tensor<?x16xf32>
  %qr = helix.rope %q, %pos {heads = 4 : i64, head_dim = 8 : i64, rotary_dim = 8 : i64,
      rope = #helix.rope<theta = 500000.0, scaling = llama3, factor = 8.0, original_max_position = 8192>}
      : tensor<?x32xf32>, tensor<?xi64>
  %kr = helix.rope %k, %pos {heads = 2 : i64, head_dim = 8 : i64, rotary_dim = 8 : i64,
      rope = #helix.rope<theta = 500000.0, scaling = llama3, factor = 8.0, original_max_position = 8192>}
      : tensor<?x16xf32>, tensor<?xi64>
  %kv1 = helix.kv_append %kv[0], %kr, %v at %pos
      : !helix.kv_cache<layers = 2, kv_heads = 2, head_dim = 8, element_type = bf16>, tensor<?x16xf32>, tensor<?x16xf32>, tensor<?xi64>
  %o = helix.gqa_attention %qr, %kv1[0] at %pos {num_heads = 4 : i64, scale = 0.35355339059327373 : f64}
      : tensor<?x32xf32>, !helix.kv_cache<layers = 2, kv_heads = 2, head_dim = 8, element_type = bf16>, tensor<?xi64> -> tensor<?x32xf32>
  %a = helix.linear %o weight "model.layers.0.self_attn.o_proj.weight" : tensor<?x32xf32> -> tensor<?x32xf32>
  %h1 = arith.addf %h, %a : tensor<?x32xf32>
  %f = helix.swiglu_mlp %h1 prefix "model.layers.0.mlp" {intermediate_size = 48 : i64} : tensor<?x32xf32>
  %logits = helix.linear %f weight "lm_head.weight" : tensor<?x32xf32> -> tensor<?x50xf32>
  %next = helix.argmax %logits : tensor<?x50xf32> -> tensor<?xi64>
  return %next, %logits, %kv1 : tensor<?xi64>, tensor<?x50xf32>, !helix.kv_cache<layers = 2, kv_heads = 2, head_dim = 8, element_type = bf16>
}

func.func @mla_moe_layer(%x: tensor<4x32xf32>, %pos: tensor<4xi64>,
    %c: !helix.latent_cache<layers = 1, kv_lora_rank = 16, rope_dim = 4, element_type = f32>)
    -> (tensor<4x32xf32>, !helix.latent_cache<layers = 1, kv_lora_rank = 16, rope_dim = 4, element_type = f32>) {
  %q = helix.linear %x weight "model.layers.0.self_attn.q_proj.weight" : tensor<4x32xf32> -> tensor<4x48xf32>
  %qr = helix.rope %q, %pos {heads = 4 : i64, head_dim = 12 : i64, rotary_dim = 4 : i64,
      rope = #helix.rope<theta = 10000.0, scaling = yarn, layout = interleaved, factor = 40.0,
                         original_max_position = 4096, beta_fast = 32.0, beta_slow = 1.0,
                         mscale = 1.0, mscale_all_dim = 1.0>}
      : tensor<4x48xf32>, tensor<4xi64>
  %latent = helix.linear %x weight "model.layers.0.self_attn.kv_a_proj_with_mqa.weight" : tensor<4x32xf32> -> tensor<4x16xf32>
  %kpe = helix.linear %x weight "kpe" : tensor<4x32xf32> -> tensor<4x4xf32>
  %c1 = helix.latent_append %c[0], %latent, %kpe at %pos
      : !helix.latent_cache<layers = 1, kv_lora_rank = 16, rope_dim = 4, element_type = f32>, tensor<4x16xf32>, tensor<4x4xf32>, tensor<4xi64>
  %o = helix.mla_attention %qr, %c1[0] at %pos kv_b_proj "model.layers.0.self_attn.kv_b_proj.weight"
      {num_heads = 4 : i64, qk_nope_head_dim = 8 : i64, v_head_dim = 8 : i64, scale = 0.25 : f64}
      : tensor<4x48xf32>, !helix.latent_cache<layers = 1, kv_lora_rank = 16, rope_dim = 4, element_type = f32>, tensor<4xi64> -> tensor<4x32xf32>
  %ids, %w = helix.moe_route %o prefix "model.layers.0.mlp"
      {num_experts = 8 : i64, top_k = 2 : i64, n_group = 4 : i64, topk_group = 2 : i64,
       norm_topk_prob = true, routed_scaling_factor = 2.5 : f64}
      : tensor<4x32xf32> -> tensor<4x2xi64>, tensor<4x2xf32>
  %y = helix.moe_experts %o, %ids, %w prefix "model.layers.0.mlp"
      {num_experts = 8 : i64, intermediate_size = 16 : i64, shared_intermediate_size = 32 : i64}
      : tensor<4x32xf32>, tensor<4x2xi64>, tensor<4x2xf32>
  return %y, %c1 : tensor<4x32xf32>, !helix.latent_cache<layers = 1, kv_lora_rank = 16, rope_dim = 4, element_type = f32>
}

module attributes {helix.model = #helix.model<architecture = "LlamaForCausalLM", num_layers = 2,
    hidden_size = 32, vocab_size = 50, weight_dtype = bf16, tie_word_embeddings = true>} {
}
