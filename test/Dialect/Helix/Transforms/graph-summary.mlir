// RUN: helix-opt %s --helix-graph-summary | FileCheck %s

// The summary counts ops, each checkpoint tensor once (the tied embedding is
// read twice) and the KV bytes per token from the cache type.
// CHECK: model:              LlamaForCausalLM
// CHECK-NEXT: layers:             1
// CHECK-NEXT: hidden size:        8
// CHECK-NEXT: vocabulary:         10
// CHECK-NEXT: parameters:         112 (in 2 tensors)
// CHECK-NEXT: kv bytes per token: 16 (16 per layer, bf16)
// CHECK-NEXT: ops per decode step:
// CHECK-DAG:  helix.embed             1
// CHECK-DAG:  helix.linear            2
// CHECK-DAG:  helix.kv_append         1
// The IR itself is printed unchanged after the summary.
// CHECK-LABEL: func.func @step
module attributes {helix.model = #helix.model<architecture = "LlamaForCausalLM", num_layers = 1,
    hidden_size = 8, vocab_size = 10, weight_dtype = bf16, tie_word_embeddings = true>} {
  func.func @step(%t: tensor<?xi64>, %p: tensor<?xi64>,
      %c: !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 4, element_type = bf16>)
      -> (tensor<?x10xf32>, !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 4, element_type = bf16>) {
    %h = helix.embed %t weight "model.embed_tokens.weight" {vocab_size = 10 : i64} : tensor<?xi64> -> tensor<?x8xf32>
    %k = helix.linear %h weight "k.weight" : tensor<?x8xf32> -> tensor<?x4xf32>
    %c1 = helix.kv_append %c[0], %k, %k at %p
        : !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 4, element_type = bf16>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?xi64>
    %l = helix.linear %h weight "model.embed_tokens.weight" : tensor<?x8xf32> -> tensor<?x10xf32>
    return %l, %c1 : tensor<?x10xf32>, !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 4, element_type = bf16>
  }
}
