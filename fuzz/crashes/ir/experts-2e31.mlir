module attributes {helix.model = #helix.model<architecture = "DeepseekV3ForCausalLM", num_layers = 2, hidden_size = 256, vocab_size = 1024, weight_dtype = bf16, tie_word_embeddings = false>} {
  func.func @decode_step(%arg0: tensor<?xi64>, %arg1: tensor<?xi64>, %arg2: !helix.latent_cache<layers = 2, kv_lora_rank = 64, rope_dim = 16, element_type = bf16>) -> (tensor<?xi64>, tensor<?x1024xf32>, !helix.latent_cache<layers = 2, kv_lora_rank = 64, rope_dim = 16, element_type = bf16>) {
    %c0 = arith.constant 0 : index
    %dim = tensor.dim %arg0, %c0 : tensor<?xi64>
    %0 = helix.embed %arg0 weight "model.embed_tokens.weight" {vocab_size = 1024 : i64} : tensor<?xi64> -> tensor<?x256xf32>
    %1 = helix.rms_norm %0 weight "model.layers.0.input_layernorm.weight" {epsilon = 9.9999999999999995E-7 : f64} : tensor<?x256xf32>
    %2 = helix.linear %1 weight "model.layers.0.self_attn.q_a_proj.weight" : tensor<?x256xf32> -> tensor<?x96xf32>
    %3 = helix.rms_norm %2 weight "model.layers.0.self_attn.q_a_layernorm.weight" {epsilon = 9.9999999999999995E-7 : f64} : tensor<?x96xf32>
    %4 = helix.linear %3 weight "model.layers.0.self_attn.q_b_proj.weight" : tensor<?x96xf32> -> tensor<?x384xf32>
    %5 = helix.rope %4, %arg1 {head_dim = 48 : i64, heads = 8 : i64, rope = #helix.rope<scaling = yarn, layout = interleaved, factor = 4.000000e+01, original_max_position = 4096, mscale_all_dim = 1.000000e+00>, rotary_dim = 16 : i64} : tensor<?x384xf32>, tensor<?xi64>
    %6 = helix.linear %1 weight "model.layers.0.self_attn.kv_a_proj_with_mqa.weight" : tensor<?x256xf32> -> tensor<?x80xf32>
    %extracted_slice = tensor.extract_slice %6[0, 0] [%dim, 64] [1, 1] : tensor<?x80xf32> to tensor<?x64xf32>
    %7 = helix.rms_norm %extracted_slice weight "model.layers.0.self_attn.kv_a_layernorm.weight" {epsilon = 9.9999999999999995E-7 : f64} : tensor<?x64xf32>
    %extracted_slice_0 = tensor.extract_slice %6[0, 64] [%dim, 16] [1, 1] : tensor<?x80xf32> to tensor<?x16xf32>
    %8 = helix.rope %extracted_slice_0, %arg1 {head_dim = 16 : i64, heads = 1 : i64, rope = #helix.rope<scaling = yarn, layout = interleaved, factor = 4.000000e+01, original_max_position = 4096, mscale_all_dim = 1.000000e+00>, rotary_dim = 16 : i64} : tensor<?x16xf32>, tensor<?xi64>
    %9 = helix.latent_append %arg2[0], %7, %8 at %arg1 : !helix.latent_cache<layers = 2, kv_lora_rank = 64, rope_dim = 16, element_type = bf16>, tensor<?x64xf32>, tensor<?x16xf32>, tensor<?xi64>
    %10 = helix.mla_attention %5, %9[0] at %arg1 kv_b_proj "model.layers.0.self_attn.kv_b_proj.weight" {num_heads = 8 : i64, qk_nope_head_dim = 32 : i64, scale = 0.27046755772176018 : f64, v_head_dim = 32 : i64} : tensor<?x384xf32>, !helix.latent_cache<layers = 2, kv_lora_rank = 64, rope_dim = 16, element_type = bf16>, tensor<?xi64> -> tensor<?x256xf32>
    %11 = helix.linear %10 weight "model.layers.0.self_attn.o_proj.weight" : tensor<?x256xf32> -> tensor<?x256xf32>
    %12 = arith.addf %0, %11 : tensor<?x256xf32>
    %13 = helix.rms_norm %12 weight "model.layers.0.post_attention_layernorm.weight" {epsilon = 9.9999999999999995E-7 : f64} : tensor<?x256xf32>
    %14 = helix.swiglu_mlp %13 prefix "model.layers.0.mlp" {intermediate_size = 512 : i64} : tensor<?x256xf32>
    %15 = arith.addf %12, %14 : tensor<?x256xf32>
    %16 = helix.rms_norm %15 weight "model.layers.1.input_layernorm.weight" {epsilon = 9.9999999999999995E-7 : f64} : tensor<?x256xf32>
    %17 = helix.linear %16 weight "model.layers.1.self_attn.q_a_proj.weight" : tensor<?x256xf32> -> tensor<?x96xf32>
    %18 = helix.rms_norm %17 weight "model.layers.1.self_attn.q_a_layernorm.weight" {epsilon = 9.9999999999999995E-7 : f64} : tensor<?x96xf32>
    %19 = helix.linear %18 weight "model.layers.1.self_attn.q_b_proj.weight" : tensor<?x96xf32> -> tensor<?x384xf32>
    %20 = helix.rope %19, %arg1 {head_dim = 48 : i64, heads = 8 : i64, rope = #helix.rope<scaling = yarn, layout = interleaved, factor = 4.000000e+01, original_max_position = 4096, mscale_all_dim = 1.000000e+00>, rotary_dim = 16 : i64} : tensor<?x384xf32>, tensor<?xi64>
    %21 = helix.linear %16 weight "model.layers.1.self_attn.kv_a_proj_with_mqa.weight" : tensor<?x256xf32> -> tensor<?x80xf32>
    %extracted_slice_1 = tensor.extract_slice %21[0, 0] [%dim, 64] [1, 1] : tensor<?x80xf32> to tensor<?x64xf32>
    %22 = helix.rms_norm %extracted_slice_1 weight "model.layers.1.self_attn.kv_a_layernorm.weight" {epsilon = 9.9999999999999995E-7 : f64} : tensor<?x64xf32>
    %extracted_slice_2 = tensor.extract_slice %21[0, 64] [%dim, 16] [1, 1] : tensor<?x80xf32> to tensor<?x16xf32>
    %23 = helix.rope %extracted_slice_2, %arg1 {head_dim = 16 : i64, heads = 1 : i64, rope = #helix.rope<scaling = yarn, layout = interleaved, factor = 4.000000e+01, original_max_position = 4096, mscale_all_dim = 1.000000e+00>, rotary_dim = 16 : i64} : tensor<?x16xf32>, tensor<?xi64>
    %24 = helix.latent_append %9[1], %22, %23 at %arg1 : !helix.latent_cache<layers = 2, kv_lora_rank = 64, rope_dim = 16, element_type = bf16>, tensor<?x64xf32>, tensor<?x16xf32>, tensor<?xi64>
    %25 = helix.mla_attention %20, %24[1] at %arg1 kv_b_proj "model.layers.1.self_attn.kv_b_proj.weight" {num_heads = 8 : i64, qk_nope_head_dim = 32 : i64, scale = 0.27046755772176018 : f64, v_head_dim = 32 : i64} : tensor<?x384xf32>, !helix.latent_cache<layers = 2, kv_lora_rank = 64, rope_dim = 16, element_type = bf16>, tensor<?xi64> -> tensor<?x256xf32>
    %26 = helix.linear %25 weight "model.layers.1.self_attn.o_proj.weight" : tensor<?x256xf32> -> tensor<?x256xf32>
    %27 = arith.addf %15, %26 : tensor<?x256xf32>
    %28 = helix.rms_norm %27 weight "model.layers.1.post_attention_layernorm.weight" {epsilon = 9.9999999999999995E-7 : f64} : tensor<?x256xf32>
    %expert_ids, %expert_weights = helix.moe_route %28 prefix "model.layers.1.mlp" {n_group = 2 : i64, norm_topk_prob = true, num_experts = 2147483648 : i64, routed_scaling_factor = 2.500000e+00 : f64, top_k = 2 : i64, topk_group = 1 : i64} : tensor<?x256xf32> -> tensor<?x2xi64>, tensor<?x2xf32>
    %29 = helix.moe_experts %28, %expert_ids, %expert_weights prefix "model.layers.1.mlp" {intermediate_size = 64 : i64, num_experts = 2147483648 : i64, shared_intermediate_size = 64 : i64} : tensor<?x256xf32>, tensor<?x2xi64>, tensor<?x2xf32>
    %30 = arith.addf %27, %29 : tensor<?x256xf32>
    %31 = helix.rms_norm %30 weight "model.norm.weight" {epsilon = 9.9999999999999995E-7 : f64} : tensor<?x256xf32>
    %32 = helix.linear %31 weight "lm_head.weight" : tensor<?x256xf32> -> tensor<?x1024xf32>
    %33 = helix.argmax %32 : tensor<?x1024xf32> -> tensor<?xi64>
    return %33, %32, %24 : tensor<?xi64>, tensor<?x1024xf32>, !helix.latent_cache<layers = 2, kv_lora_rank = 64, rope_dim = 16, element_type = bf16>
  }
}
