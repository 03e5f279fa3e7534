module attributes {helix.model = #helix.model<architecture = "LlamaForCausalLM", num_layers = 1, hidden_size = 256, vocab_size = 1024, weight_dtype = f32, tie_word_embeddings = true>} {
  func.func @decode_step(%arg0: tensor<?xi64>, %arg1: tensor<?xi64>, %arg2: !helix.kv_cache<layers = 1, kv_heads = 4, head_dim = 32, element_type = f32>) -> (tensor<?xi64>, tensor<?x4611686018427387904xf32>, !helix.kv_cache<layers = 1, kv_heads = 4, head_dim = 32, element_type = f32>) {
    %c0 = arith.constant 0 : index
    %dim = tensor.dim %arg0, %c0 : tensor<?xi64>
    %0 = helix.embed %arg0 weight "model.embed_tokens.weight" {vocab_size = 1024 : i64} : tensor<?xi64> -> tensor<?x256xf32>
    %1 = helix.rms_norm %0 weight "model.layers.0.input_layernorm.weight" {epsilon = 1.000000e-05 : f64} : tensor<?x256xf32>
    %2 = helix.linear %1 weight "model.layers.0.self_attn.q_proj.weight" : tensor<?x256xf32> -> tensor<?x256xf32>
    %3 = helix.linear %1 weight "model.layers.0.self_attn.k_proj.weight" : tensor<?x256xf32> -> tensor<?x128xf32>
    %4 = helix.linear %1 weight "model.layers.0.self_attn.v_proj.weight" : tensor<?x256xf32> -> tensor<?x128xf32>
    %5 = helix.rope %2, %arg1 {head_dim = 32 : i64, heads = 8 : i64, rope = #helix.rope<theta = 5.000000e+05, scaling = llama3, factor = 8.000000e+00, original_max_position = 1024>, rotary_dim = 32 : i64} : tensor<?x256xf32>, tensor<?xi64>
    %6 = helix.rope %3, %arg1 {head_dim = 32 : i64, heads = 4 : i64, rope = #helix.rope<theta = 5.000000e+05, scaling = llama3, factor = 8.000000e+00, original_max_position = 1024>, rotary_dim = 32 : i64} : tensor<?x128xf32>, tensor<?xi64>
    %7 = helix.kv_append %arg2[0], %6, %4 at %arg1 : !helix.kv_cache<layers = 1, kv_heads = 4, head_dim = 32, element_type = f32>, tensor<?x128xf32>, tensor<?x128xf32>, tensor<?xi64>
    %8 = helix.gqa_attention %5, %7[0] at %arg1 {num_heads = 8 : i64, scale = 0.17677669529663687 : f64} : tensor<?x256xf32>, !helix.kv_cache<layers = 1, kv_heads = 4, head_dim = 32, element_type = f32>, tensor<?xi64> -> tensor<?x256xf32>
    %9 = helix.linear %8 weight "model.layers.0.self_attn.o_proj.weight" : tensor<?x256xf32> -> tensor<?x256xf32>
    %10 = arith.addf %0, %9 : tensor<?x256xf32>
    %11 = helix.rms_norm %10 weight "model.layers.0.post_attention_layernorm.weight" {epsilon = 1.000000e-05 : f64} : tensor<?x256xf32>
    %12 = helix.swiglu_mlp %11 prefix "model.layers.0.mlp" {intermediate_size = 688 : i64} : tensor<?x256xf32>
    %13 = arith.addf %10, %12 : tensor<?x256xf32>
    %14 = helix.rms_norm %13 weight "model.norm.weight" {epsilon = 1.000000e-05 : f64} : tensor<?x256xf32>
    %15 = helix.linear %14 weight "model.embed_tokens.weight" : tensor<?x256xf32> -> tensor<?x4611686018427387904xf32>
    %16 = helix.argmax %15 : tensor<?x4611686018427387904xf32> -> tensor<?xi64>
    return %16, %15, %7 : tensor<?xi64>, tensor<?x4611686018427387904xf32>, !helix.kv_cache<layers = 1, kv_heads = 4, head_dim = 32, element_type = f32>
  }
}
