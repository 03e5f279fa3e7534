// RUN: helix-opt %s --split-input-file --verify-diagnostics

// Sizes are bounded as config.json's are (helix/Model/Limits.h), so that the
// verifiers' and passes' products stay inside int64. Found by the ir fuzz
// target: kv_heads x head_dim overflowed in helix.kv_append's verifier (UB),
// and 2^31 experts took the lowering past 2 GB.

// expected-error@+1 {{kv_cache kv_heads is 4611686018427387904, above the largest supported (65536)}}
func.func @f(%c: !helix.kv_cache<layers = 1, kv_heads = 4611686018427387904, head_dim = 32, element_type = f32>)

// -----

// expected-error@+1 {{latent_cache kv_lora_rank is 65537, above the largest supported (65536)}}
func.func @f(%c: !helix.latent_cache<layers = 1, kv_lora_rank = 65537, rope_dim = 16, element_type = f32>)

// -----

// expected-error@+1 {{cache token_shards is 65537, above the largest supported (65536)}}
func.func @f(%c: !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 4, element_type = f32, token_shards = 65537, block = 2>)

// -----

// expected-error@+1 {{model vocab_size is 9223372036854775807, above the largest supported (16777216)}}
module attributes {helix.model = #helix.model<architecture = "LlamaForCausalLM", num_layers = 1,
    hidden_size = 8, vocab_size = 9223372036854775807, weight_dtype = f32, tie_word_embeddings = false>} {}

// -----

// kvp x tpa would overflow.
// expected-error@+1 {{layout kvp is 4611686018427387904, above the largest supported (65536)}}
module attributes {helix.layout = #helix.layout<kvp = 4611686018427387904, tpa = 4, tpf = 1, ep = 1, microbatches = 1, kv_block = 2>} {}

// -----

func.func @f(%x: tensor<?x8xf32>) {
  // expected-error@+1 {{attribute 'num_experts' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive at most helix::limits::kMaxExperts}}
  %i, %w = helix.moe_route %x prefix "m" {num_experts = 2147483648 : i64, top_k = 2 : i64, n_group = 1 : i64, topk_group = 1 : i64, norm_topk_prob = true, routed_scaling_factor = 1.0 : f64} : tensor<?x8xf32> -> tensor<?x2xi64>, tensor<?x2xf32>
  return
}

// -----

// A tensor's static extent is bounded too: the lowering sizes its buffer as
// elements x 4 bytes (that product overflowed, UBSan).
func.func @f(%x: tensor<?x8xf32>) {
  // expected-error@+1 {{'helix.linear' op tensor 'tensor<?x4611686018427387904xf32>' has more than 1099511627776 elements, the largest supported}}
  %y = helix.linear %x weight "w" : tensor<?x8xf32> -> tensor<?x4611686018427387904xf32>
  return
}
