// RUN: helix-opt %s -split-input-file -verify-diagnostics

func.func @rope_theta(%x: tensor<?x8xf32>, %p: tensor<?xi64>) {
  // expected-error@+1 {{rope theta must be positive, got 0.000000e+00}}
  %r = helix.rope %x, %p {heads = 1 : i64, head_dim = 8 : i64, rotary_dim = 8 : i64, rope = #helix.rope<theta = 0.0>} : tensor<?x8xf32>, tensor<?xi64>
  return
}

// -----

func.func @rope_factor(%x: tensor<?x8xf32>, %p: tensor<?xi64>) {
  // expected-error@+1 {{rope scaling factor must be >= 1, got 5.000000e-01}}
  %r = helix.rope %x, %p {heads = 1 : i64, head_dim = 8 : i64, rotary_dim = 8 : i64, rope = #helix.rope<scaling = yarn, factor = 0.5, original_max_position = 8>} : tensor<?x8xf32>, tensor<?xi64>
  return
}

// -----

func.func @rope_original_max(%x: tensor<?x8xf32>, %p: tensor<?xi64>) {
  // expected-error@+1 {{rope scaling 'llama3' needs original_max_position > 0}}
  %r = helix.rope %x, %p {heads = 1 : i64, head_dim = 8 : i64, rotary_dim = 8 : i64, rope = #helix.rope<scaling = llama3, factor = 8.0>} : tensor<?x8xf32>, tensor<?xi64>
  return
}

// -----

func.func @rope_llama3_freqs(%x: tensor<?x8xf32>, %p: tensor<?xi64>) {
  // expected-error@+1 {{llama3 rope needs high_freq_factor (1.000000e+00) > low_freq_factor (1.000000e+00)}}
  %r = helix.rope %x, %p {heads = 1 : i64, head_dim = 8 : i64, rotary_dim = 8 : i64, rope = #helix.rope<scaling = llama3, factor = 8.0, high_freq_factor = 1.0, original_max_position = 8>} : tensor<?x8xf32>, tensor<?xi64>
  return
}

// -----

func.func @rope_yarn_betas(%x: tensor<?x8xf32>, %p: tensor<?xi64>) {
  // expected-error@+1 {{yarn rope needs beta_fast (1.000000e+00) > beta_slow (2.000000e+00)}}
  %r = helix.rope %x, %p {heads = 1 : i64, head_dim = 8 : i64, rotary_dim = 8 : i64, rope = #helix.rope<scaling = yarn, factor = 4.0, original_max_position = 8, beta_fast = 1.0, beta_slow = 2.0>} : tensor<?x8xf32>, tensor<?xi64>
  return
}

// -----

func.func @rope_rotary_too_wide(%x: tensor<?x8xf32>, %p: tensor<?xi64>) {
  // expected-error@+1 {{'helix.rope' op rotary_dim (10) exceeds head_dim (8)}}
  %r = helix.rope %x, %p {heads = 1 : i64, head_dim = 8 : i64, rotary_dim = 10 : i64, rope = #helix.rope<>} : tensor<?x8xf32>, tensor<?xi64>
  return
}

// -----

func.func @rope_rotary_odd(%x: tensor<?x8xf32>, %p: tensor<?xi64>) {
  // expected-error@+1 {{'helix.rope' op rotary_dim must be even, got 3}}
  %r = helix.rope %x, %p {heads = 1 : i64, head_dim = 8 : i64, rotary_dim = 3 : i64, rope = #helix.rope<>} : tensor<?x8xf32>, tensor<?xi64>
  return
}

// -----

func.func @rope_width(%x: tensor<?x8xf32>, %p: tensor<?xi64>) {
  // expected-error@+1 {{'helix.rope' op expects input (heads x head_dim) to have 16 columns, got 8}}
  %r = helix.rope %x, %p {heads = 2 : i64, head_dim = 8 : i64, rotary_dim = 8 : i64, rope = #helix.rope<>} : tensor<?x8xf32>, tensor<?xi64>
  return
}

// -----

func.func @rope_batch(%x: tensor<2x8xf32>, %p: tensor<3xi64>) {
  // expected-error@+1 {{'helix.rope' op expects operands and results to share the batch dimension, got 2 and 3}}
  %r = helix.rope %x, %p {heads = 1 : i64, head_dim = 8 : i64, rotary_dim = 8 : i64, rope = #helix.rope<>} : tensor<2x8xf32>, tensor<3xi64>
  return
}

// -----

// expected-error@+1 {{model architecture must not be empty}}
module attributes {helix.model = #helix.model<architecture = "", num_layers = 1, hidden_size = 8, vocab_size = 8, weight_dtype = f32, tie_word_embeddings = false>} {}

// -----

// expected-error@+1 {{model sizes must be positive (num_layers = 0, hidden_size = 8, vocab_size = 8)}}
module attributes {helix.model = #helix.model<architecture = "LlamaForCausalLM", num_layers = 0, hidden_size = 8, vocab_size = 8, weight_dtype = f32, tie_word_embeddings = false>} {}

// -----

// expected-error@+1 {{model weight_dtype must be f32, bf16 or f16, got 'i8'}}
module attributes {helix.model = #helix.model<architecture = "LlamaForCausalLM", num_layers = 1, hidden_size = 8, vocab_size = 8, weight_dtype = i8, tie_word_embeddings = false>} {}

// -----

// expected-error@+1 {{kv_cache sizes must be positive (layers = 1, kv_heads = 0, head_dim = 8)}}
func.func private @kv_sizes(!helix.kv_cache<layers = 1, kv_heads = 0, head_dim = 8, element_type = f32>)

// -----

// expected-error@+1 {{cache element_type must be f32, bf16 or f16, got 'i32'}}
func.func private @kv_dtype(!helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 8, element_type = i32>)

// -----

// expected-error@+1 {{latent_cache sizes must be positive (layers = 1, kv_lora_rank = 16, rope_dim = 0)}}
func.func private @latent_sizes(!helix.latent_cache<layers = 1, kv_lora_rank = 16, rope_dim = 0, element_type = f32>)

// -----

func.func @embed_dynamic_hidden(%t: tensor<?xi64>) {
  // expected-error@+1 {{'helix.embed' op expects a static hidden size}}
  %h = helix.embed %t weight "e" {vocab_size = 8 : i64} : tensor<?xi64> -> tensor<?x?xf32>
  return
}

// -----

func.func @embed_batch(%t: tensor<2xi64>) {
  // expected-error@+1 {{'helix.embed' op expects operands and results to share the batch dimension, got 2 and 3}}
  %h = helix.embed %t weight "e" {vocab_size = 8 : i64} : tensor<2xi64> -> tensor<3x8xf32>
  return
}

// -----

func.func @embed_vocab(%t: tensor<?xi64>) {
  // expected-error@+1 {{'helix.embed' op attribute 'vocab_size' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %h = helix.embed %t weight "e" {vocab_size = 0 : i64} : tensor<?xi64> -> tensor<?x8xf32>
  return
}

// -----

func.func @norm_eps(%x: tensor<?x8xf32>) {
  // expected-error@+1 {{'helix.rms_norm' op expects a positive epsilon}}
  %n = helix.rms_norm %x weight "w" {epsilon = 0.0 : f64} : tensor<?x8xf32>
  return
}

// -----

func.func @norm_dynamic(%x: tensor<?x?xf32>) {
  // expected-error@+1 {{'helix.rms_norm' op expects a static normalized dimension}}
  %n = helix.rms_norm %x weight "w" {epsilon = 1.0e-5 : f64} : tensor<?x?xf32>
  return
}

// -----

func.func @norm_not_f32(%x: tensor<?x8xbf16>) {
  // expected-error@+1 {{'helix.rms_norm' op operand #0 must be 2D tensor of 32-bit float values}}
  %n = helix.rms_norm %x weight "w" {epsilon = 1.0e-5 : f64} : tensor<?x8xbf16>
  return
}

// -----

func.func @linear_dynamic(%x: tensor<?x?xf32>) {
  // expected-error@+1 {{'helix.linear' op expects static input and output features}}
  %y = helix.linear %x weight "w" : tensor<?x?xf32> -> tensor<?x4xf32>
  return
}

// -----

func.func @linear_batch(%x: tensor<2x8xf32>) {
  // expected-error@+1 {{'helix.linear' op expects operands and results to share the batch dimension, got 2 and 4}}
  %y = helix.linear %x weight "w" : tensor<2x8xf32> -> tensor<4x4xf32>
  return
}

// -----

func.func @linear_rows_without_logits(%x: tensor<?x8xf32>, %r: index) {
  // expected-error@+1 {{'helix.linear' op has rows from without logits: only the LM head looks its rows up}}
  %y = helix.linear %x weight "w" rows from %r : tensor<?x8xf32> -> tensor<?x4xf32>
  return
}

// -----

!kv = !helix.kv_cache<layers = 2, kv_heads = 2, head_dim = 4, element_type = f32>
func.func @append_layer(%c: !kv, %k: tensor<?x8xf32>, %p: tensor<?xi64>) {
  // expected-error@+1 {{'helix.kv_append' op layer 2 is out of range for a cache of 2 layers}}
  %c1 = helix.kv_append %c[2], %k, %k at %p : !kv, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?xi64>
  return
}

// -----

!kv = !helix.kv_cache<layers = 2, kv_heads = 2, head_dim = 4, element_type = f32>
func.func @append_key(%c: !kv, %k: tensor<?x6xf32>, %v: tensor<?x8xf32>, %p: tensor<?xi64>) {
  // expected-error@+1 {{'helix.kv_append' op expects key (kv_heads x head_dim) to have 8 columns, got 6}}
  %c1 = helix.kv_append %c[0], %k, %v at %p : !kv, tensor<?x6xf32>, tensor<?x8xf32>, tensor<?xi64>
  return
}

// -----

!kv = !helix.kv_cache<layers = 2, kv_heads = 2, head_dim = 4, element_type = f32>
func.func @append_value(%c: !kv, %k: tensor<?x8xf32>, %v: tensor<?x?xf32>, %p: tensor<?xi64>) {
  // expected-error@+1 {{'helix.kv_append' op expects value (kv_heads x head_dim) to have a static last dimension}}
  %c1 = helix.kv_append %c[0], %k, %v at %p : !kv, tensor<?x8xf32>, tensor<?x?xf32>, tensor<?xi64>
  return
}

// -----

!kv = !helix.kv_cache<layers = 2, kv_heads = 2, head_dim = 4, element_type = f32>
func.func @gqa_groups(%q: tensor<?x12xf32>, %c: !kv, %p: tensor<?xi64>) {
  // expected-error@+1 {{'helix.gqa_attention' op num_heads (3) must be a multiple of the cache's kv_heads (2)}}
  %o = helix.gqa_attention %q, %c[0] at %p {num_heads = 3 : i64, scale = 0.5 : f64} : tensor<?x12xf32>, !kv, tensor<?xi64> -> tensor<?x12xf32>
  return
}

// -----

!kv = !helix.kv_cache<layers = 2, kv_heads = 2, head_dim = 4, element_type = f32>
func.func @gqa_scale(%q: tensor<?x16xf32>, %c: !kv, %p: tensor<?xi64>) {
  // expected-error@+1 {{'helix.gqa_attention' op expects a positive softmax scale}}
  %o = helix.gqa_attention %q, %c[0] at %p {num_heads = 4 : i64, scale = -1.0 : f64} : tensor<?x16xf32>, !kv, tensor<?xi64> -> tensor<?x16xf32>
  return
}

// -----

!kv = !helix.kv_cache<layers = 2, kv_heads = 2, head_dim = 4, element_type = f32>
func.func @gqa_query(%q: tensor<?x12xf32>, %c: !kv, %p: tensor<?xi64>) {
  // expected-error@+1 {{'helix.gqa_attention' op expects query (num_heads x head_dim) to have 16 columns, got 12}}
  %o = helix.gqa_attention %q, %c[0] at %p {num_heads = 4 : i64, scale = 0.5 : f64} : tensor<?x12xf32>, !kv, tensor<?xi64> -> tensor<?x16xf32>
  return
}

// -----

!kv = !helix.kv_cache<layers = 2, kv_heads = 2, head_dim = 4, element_type = f32>
func.func @gqa_result(%q: tensor<?x16xf32>, %c: !kv, %p: tensor<?xi64>) {
  // expected-error@+1 {{'helix.gqa_attention' op expects result (num_heads x head_dim) to have 16 columns, got 8}}
  %o = helix.gqa_attention %q, %c[0] at %p {num_heads = 4 : i64, scale = 0.5 : f64} : tensor<?x16xf32>, !kv, tensor<?xi64> -> tensor<?x8xf32>
  return
}

// -----

!kv = !helix.kv_cache<layers = 2, kv_heads = 2, head_dim = 4, element_type = f32>
func.func @gqa_layer(%q: tensor<?x16xf32>, %c: !kv, %p: tensor<?xi64>) {
  // expected-error@+1 {{'helix.gqa_attention' op layer 5 is out of range for a cache of 2 layers}}
  %o = helix.gqa_attention %q, %c[5] at %p {num_heads = 4 : i64, scale = 0.5 : f64} : tensor<?x16xf32>, !kv, tensor<?xi64> -> tensor<?x16xf32>
  return
}

// -----

!lc = !helix.latent_cache<layers = 1, kv_lora_rank = 16, rope_dim = 4, element_type = f32>
func.func @latent_width(%c: !lc, %l: tensor<?x8xf32>, %k: tensor<?x4xf32>, %p: tensor<?xi64>) {
  // expected-error@+1 {{'helix.latent_append' op expects latent (kv_lora_rank) to have 16 columns, got 8}}
  %c1 = helix.latent_append %c[0], %l, %k at %p : !lc, tensor<?x8xf32>, tensor<?x4xf32>, tensor<?xi64>
  return
}

// -----

!lc = !helix.latent_cache<layers = 1, kv_lora_rank = 16, rope_dim = 4, element_type = f32>
func.func @latent_rope(%c: !lc, %l: tensor<?x16xf32>, %k: tensor<?x2xf32>, %p: tensor<?xi64>) {
  // expected-error@+1 {{'helix.latent_append' op expects key_rope (rope_dim) to have 4 columns, got 2}}
  %c1 = helix.latent_append %c[0], %l, %k at %p : !lc, tensor<?x16xf32>, tensor<?x2xf32>, tensor<?xi64>
  return
}

// -----

!lc = !helix.latent_cache<layers = 1, kv_lora_rank = 16, rope_dim = 4, element_type = f32>
func.func @mla_query(%q: tensor<?x40xf32>, %c: !lc, %p: tensor<?xi64>) {
  // expected-error@+1 {{'helix.mla_attention' op expects query (num_heads x (qk_nope_head_dim + rope_dim)) to have 48 columns, got 40}}
  %o = helix.mla_attention %q, %c[0] at %p kv_b_proj "w" {num_heads = 4 : i64, qk_nope_head_dim = 8 : i64, v_head_dim = 8 : i64, scale = 0.25 : f64} : tensor<?x40xf32>, !lc, tensor<?xi64> -> tensor<?x32xf32>
  return
}

// -----

!lc = !helix.latent_cache<layers = 1, kv_lora_rank = 16, rope_dim = 4, element_type = f32>
func.func @mla_result(%q: tensor<?x48xf32>, %c: !lc, %p: tensor<?xi64>) {
  // expected-error@+1 {{'helix.mla_attention' op expects result (num_heads x v_head_dim) to have 32 columns, got 16}}
  %o = helix.mla_attention %q, %c[0] at %p kv_b_proj "w" {num_heads = 4 : i64, qk_nope_head_dim = 8 : i64, v_head_dim = 8 : i64, scale = 0.25 : f64} : tensor<?x48xf32>, !lc, tensor<?xi64> -> tensor<?x16xf32>
  return
}

// -----

!lc = !helix.latent_cache<layers = 1, kv_lora_rank = 16, rope_dim = 4, element_type = f32>
func.func @mla_scale(%q: tensor<?x48xf32>, %c: !lc, %p: tensor<?xi64>) {
  // expected-error@+1 {{'helix.mla_attention' op expects a positive softmax scale}}
  %o = helix.mla_attention %q, %c[0] at %p kv_b_proj "w" {num_heads = 4 : i64, qk_nope_head_dim = 8 : i64, v_head_dim = 8 : i64, scale = 0.0 : f64} : tensor<?x48xf32>, !lc, tensor<?xi64> -> tensor<?x32xf32>
  return
}

// -----

func.func @route_groups(%x: tensor<?x8xf32>) {
  // expected-error@+1 {{'helix.moe_route' op num_experts (8) must be divisible by n_group (3)}}
  %i, %w = helix.moe_route %x prefix "m" {num_experts = 8 : i64, top_k = 2 : i64, n_group = 3 : i64, topk_group = 1 : i64, norm_topk_prob = true, routed_scaling_factor = 1.0 : f64} : tensor<?x8xf32> -> tensor<?x2xi64>, tensor<?x2xf32>
  return
}

// -----

func.func @route_topk_group(%x: tensor<?x8xf32>) {
  // expected-error@+1 {{'helix.moe_route' op topk_group (5) exceeds n_group (4)}}
  %i, %w = helix.moe_route %x prefix "m" {num_experts = 8 : i64, top_k = 2 : i64, n_group = 4 : i64, topk_group = 5 : i64, norm_topk_prob = true, routed_scaling_factor = 1.0 : f64} : tensor<?x8xf32> -> tensor<?x2xi64>, tensor<?x2xf32>
  return
}

// -----

func.func @route_topk(%x: tensor<?x8xf32>) {
  // expected-error@+1 {{'helix.moe_route' op top_k (5) exceeds the 4 experts of the topk_group best groups}}
  %i, %w = helix.moe_route %x prefix "m" {num_experts = 8 : i64, top_k = 5 : i64, n_group = 4 : i64, topk_group = 2 : i64, norm_topk_prob = true, routed_scaling_factor = 1.0 : f64} : tensor<?x8xf32> -> tensor<?x5xi64>, tensor<?x5xf32>
  return
}

// -----

func.func @route_scaling(%x: tensor<?x8xf32>) {
  // expected-error@+1 {{'helix.moe_route' op expects a positive routed_scaling_factor}}
  %i, %w = helix.moe_route %x prefix "m" {num_experts = 8 : i64, top_k = 2 : i64, n_group = 4 : i64, topk_group = 2 : i64, norm_topk_prob = true, routed_scaling_factor = 0.0 : f64} : tensor<?x8xf32> -> tensor<?x2xi64>, tensor<?x2xf32>
  return
}

// -----

func.func @route_ids(%x: tensor<?x8xf32>) {
  // expected-error@+1 {{'helix.moe_route' op expects expert_ids (top_k) to have 2 columns, got 3}}
  %i, %w = helix.moe_route %x prefix "m" {num_experts = 8 : i64, top_k = 2 : i64, n_group = 4 : i64, topk_group = 2 : i64, norm_topk_prob = true, routed_scaling_factor = 1.0 : f64} : tensor<?x8xf32> -> tensor<?x3xi64>, tensor<?x2xf32>
  return
}

// -----

func.func @experts_shapes(%x: tensor<?x8xf32>, %i: tensor<?x2xi64>, %w: tensor<?x3xf32>) {
  // expected-error@+1 {{'helix.moe_experts' op expects expert_ids and expert_weights of one shape}}
  %y = helix.moe_experts %x, %i, %w prefix "m" {num_experts = 8 : i64, intermediate_size = 4 : i64, shared_intermediate_size = 0 : i64} : tensor<?x8xf32>, tensor<?x2xi64>, tensor<?x3xf32>
  return
}

// -----

func.func @experts_batch(%x: tensor<2x8xf32>, %i: tensor<3x2xi64>, %w: tensor<3x2xf32>) {
  // expected-error@+1 {{'helix.moe_experts' op expects operands and results to share the batch dimension, got 2 and 3}}
  %y = helix.moe_experts %x, %i, %w prefix "m" {num_experts = 8 : i64, intermediate_size = 4 : i64, shared_intermediate_size = 0 : i64} : tensor<2x8xf32>, tensor<3x2xi64>, tensor<3x2xf32>
  return
}

// -----

func.func @argmax_batch(%l: tensor<2x8xf32>) {
  // expected-error@+1 {{'helix.argmax' op expects operands and results to share the batch dimension, got 2 and 3}}
  %t = helix.argmax %l : tensor<2x8xf32> -> tensor<3xi64>
  return
}
