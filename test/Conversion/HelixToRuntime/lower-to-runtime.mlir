// RUN: helix-opt %s --split-input-file --helix-lower-to-runtime | FileCheck %s
// RUN: helix-opt %s --split-input-file --helix-lower-to-llvm | FileCheck %s --check-prefix=LLVM
// RUN: helix-opt %s --split-input-file --helix-lower-to-runtime | FileCheck %s --check-prefix=NODATA

// The module itself touches no data on the cpu target either: every op on a
// buffer, the glue included, is a runtime call (docs/design.md).
// NODATA-NOT: memref.load
// NODATA-NOT: memref.store
// NODATA-NOT: linalg.
// NODATA-NOT: scf.for
// NODATA-NOT: math.

// An unsharded GQA step: buffers instead of tensors, helix ops and residual
// adds as runtime calls with weight ids from the manifest, outputs copied
// into the caller's buffers by the runtime, every buffer freed after its
// last use.
// The manifest lists each weight once, with its full shape, and the cache.
// Its scratch plan is the peak of the step's live buffers: 96 bytes a row,
// when the f32 rows of h, q and o [8 each] are live (k [4] is freed after
// its append), or h, o and the sum r; no buffer without a row dimension.
// CHECK-LABEL: module attributes
// CHECK-SAME: helix.manifest = "{\22abi_version\22:4,
// CHECK-SAME: \22cache\22:{\22kind\22:\22kv\22,\22layers\22:1,\22kv_heads\22:1,\22head_dim\22:4,
// CHECK-SAME: \22token_shards\22:1,\22block\22:1},\22weights\22:[
// CHECK-SAME: {\22name\22:\22model.embed_tokens.weight\22,\22shape\22:[10,8],
// CHECK-SAME: \22slice\22:null,\22owners\22:null},{\22name\22:\22k\22,\22shape\22:[4,8]
// CHECK-SAME: \22scratch\22:{\22bytes_per_row\22:96,\22bytes\22:0}}"
module attributes {helix.model = #helix.model<architecture = "LlamaForCausalLM", num_layers = 1, hidden_size = 8, vocab_size = 10, weight_dtype = f32, tie_word_embeddings = false>} {
  // CHECK-LABEL: func.func @decode_step(
  // CHECK-SAME: %[[CTX:[a-zA-Z0-9_]+]]: i64, %[[TOK:[a-zA-Z0-9_]+]]: memref<?xi64>,
  // CHECK-SAME: %[[POS:[a-zA-Z0-9_]+]]: memref<?xi64>, %[[NEXT:[a-zA-Z0-9_]+]]: memref<?xi64>,
  // CHECK-SAME: %[[LOGITS:[a-zA-Z0-9_]+]]: memref<?x10xf32>)
  // CHECK-SAME: attributes {llvm.emit_c_interface}
  func.func @decode_step(%t: tensor<?xi64>, %p: tensor<?xi64>, %c: !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 4, element_type = f32>)
      -> (tensor<?xi64>, tensor<?x10xf32>, !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 4, element_type = f32>) {
    // Buffers come from the runtime, which checks each allocation.
    // CHECK: call @helix_rt_alloc(
    // CHECK: %[[H:.*]] = memref.view %[[HRAW:[0-9]+]][%{{.*}}][%{{.*}}] : memref<?xi8> to memref<?x8xf32>
    // CHECK: call @helix_rt_embed(%[[CTX]], %{{.*}}, %[[TOK]], %{{[^,)]+}})
    // CHECK-SAME: : (i64, i64, memref<?xi64>, memref<?x?xf32>) -> ()
    %h = helix.embed %t weight "model.embed_tokens.weight" {vocab_size = 10 : i64} : tensor<?xi64> -> tensor<?x8xf32>
    // CHECK: call @helix_rt_linear(%[[CTX]], %{{.*}}, %{{.*}}, %{{[^,)]+}})
    // CHECK-SAME: : (i64, i64, memref<?x?xf32>, memref<?x?xf32>) -> ()
    %k = helix.linear %h weight "k" : tensor<?x8xf32> -> tensor<?x4xf32>
    // CHECK: call @helix_rt_kv_append(%[[CTX]], %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}},
    // CHECK-SAME: %[[POS]], %[[POS]], %{{[^,]+}}, %{{[^,)]+}})
    %c1 = helix.kv_append %c[0], %k, %k at %p : !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 4, element_type = f32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?xi64>
    %q = helix.linear %h weight "q" : tensor<?x8xf32> -> tensor<?x8xf32>
    // CHECK: call @helix_rt_gqa_attention(
    %o = helix.gqa_attention %q, %c1[0] at %p {num_heads = 2 : i64, scale = 0.5 : f64} : tensor<?x8xf32>, !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 4, element_type = f32>, tensor<?xi64> -> tensor<?x8xf32>
    // Each buffer is freed right after its last use: the embedding output
    // after the residual add that reads it last.
    // CHECK: %[[HC:.*]] = memref.cast %[[H]] : memref<?x8xf32> to memref<?x?xf32>
    // CHECK: call @helix_rt_add(%[[CTX]], %[[HC]], %{{.*}}, %{{[^,)]+}})
    // CHECK-SAME: : (i64, memref<?x?xf32>, memref<?x?xf32>, memref<?x?xf32>) -> ()
    // CHECK: call @helix_rt_free(%{{.*}}, %[[HRAW]]) : (i64, memref<?xi8>) -> ()
    %r = arith.addf %h, %o : tensor<?x8xf32>
    // The LM head is its own entry: the runtime may skip rows nobody wants
    // logits of (row offset 0 without HOP-B).
    // CHECK: %[[ZERO:.*]] = arith.constant 0 : i64
    // CHECK: call @helix_rt_logits(%[[CTX]], %{{.*}}, %{{.*}}, %{{.*}}, %[[ZERO]])
    // CHECK-SAME: : (i64, i64, memref<?x?xf32>, memref<?x?xf32>, i64) -> ()
    %l = helix.linear %r weight "lm_head.weight" {logits} : tensor<?x8xf32> -> tensor<?x10xf32>
    // CHECK: %[[IDS:.*]] = memref.view %[[IDSRAW:[0-9]+]][%{{.*}}][%{{.*}}] : memref<?xi8> to memref<?xi64>
    // CHECK: call @helix_rt_argmax(%[[CTX]], %{{.*}}, %[[IDS]])
    // CHECK-SAME: : (i64, memref<?x?xf32>, memref<?xi64>) -> ()
    %n = helix.argmax %l : tensor<?x10xf32> -> tensor<?xi64>
    // The results reach the caller's buffers through the runtime's strided
    // copies.
    // CHECK: %[[NS:.*]] = memref.cast %[[NEXT]] : memref<?xi64>
    // CHECK-SAME: to memref<?xi64, strided<[?], offset: ?>>
    // CHECK: call @helix_rt_copy_i64_1d(%[[CTX]], %{{.*}}, %[[NS]])
    // CHECK: call @helix_rt_free(%{{.*}}, %[[IDSRAW]]) : (i64, memref<?xi8>) -> ()
    // CHECK: %[[LS:.*]] = memref.cast %[[LOGITS]] : memref<?x10xf32>
    // CHECK-SAME: to memref<?x?xf32, strided<[?, ?], offset: ?>>
    // CHECK: call @helix_rt_copy_f32_2d(%[[CTX]], %{{.*}}, %[[LS]])
    // CHECK-NEXT: call @helix_rt_free
    // CHECK: return
    return %n, %l, %c1 : tensor<?xi64>, tensor<?x10xf32>, !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 4, element_type = f32>
  }
  // CHECK: func.func private @helix_rt_embed(i64, i64, memref<?xi64>, memref<?x?xf32>)
  // CHECK-SAME: attributes {llvm.emit_c_interface}
}
// LLVM-LABEL: llvm.func @_mlir_ciface_decode_step(
// LLVM-SAME: %{{[a-z0-9_]+}}: i64, %{{[a-z0-9_]+}}: !llvm.ptr, %{{[a-z0-9_]+}}: !llvm.ptr,
// LLVM-SAME: %{{[a-z0-9_]+}}: !llvm.ptr, %{{[a-z0-9_]+}}: !llvm.ptr)
// LLVM: llvm.call @_mlir_ciface_helix_rt_embed(

// -----

// A sharded step: the KV owner rule, the rank's coordinate and collectives
// become runtime calls (with group ids), async collectives return request
// ids that are waited. The grids leave the IR;
// the manifest keeps them and the collective groups.
// CHECK: \22grids\22:{\22helix_attention\22:[2,1],\22helix_ffn\22:[1,2]}
// CHECK-SAME: \22groups\22:[{\22grid\22:\22helix_attention\22,\22axes\22:[0]},
// CHECK-SAME: {\22grid\22:\22helix_attention\22,\22axes\22:[0,1]}]
// CHECK-NOT: shard.grid
!kv = !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 4, element_type = f32, token_shards = 2, block = 2>
module attributes {helix.layout = #helix.layout<kvp = 2, tpa = 1, tpf = 2, ep = 1, microbatches = 1, kv_block = 2>, helix.model = #helix.model<architecture = "LlamaForCausalLM", num_layers = 1, hidden_size = 8, vocab_size = 10, weight_dtype = f32, tie_word_embeddings = false>} {
  shard.grid @helix_attention(shape = 2x1)
  shard.grid @helix_ffn(shape = 1x2)
  // CHECK-LABEL: func.func @decode_step
  func.func @decode_step(%t: tensor<?xi64>, %p: tensor<?xi64>, %c: !kv) -> (tensor<?xi64>, tensor<?x10xf32>, !kv) {
    // CHECK: %[[COORD:.*]] = call @helix_rt_grid_coord(%{{.*}}, %{{.*}}, %{{[^,)]+}})
    // CHECK-SAME: : (i64, i64, i64) -> i64
    %me = shard.process_multi_index on @helix_attention axes = [0] : index
    // CHECK: %[[OWN:.*]] = memref.view %[[OWNRAW:[0-9]+]][%{{.*}}][%{{.*}}] : memref<?xi8> to memref<?xi64>
    // CHECK: call @helix_rt_kv_owner(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[OWN]])
    // CHECK-SAME: : (i64, i64, i64, memref<?xi64>, memref<?xi64>) -> ()
    %own = helix.kv_owner %p {block = 2 : i64, shards = 2 : i64} : tensor<?xi64>
    %h = helix.embed %t weight "e" {vocab_size = 10 : i64} : tensor<?xi64> -> tensor<?x8xf32>
    %k = helix.linear %h weight "k" : tensor<?x8xf32> -> tensor<?x4xf32>
    %c1 = helix.kv_append %c[0], %k, %k at %p owner %own : tensor<?xi64> if kvp = %me : !kv, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?xi64>
    %q = helix.linear %h weight "q" : tensor<?x8xf32> -> tensor<?x8xf32>
    // CHECK: call @helix_rt_gqa_partial_attention(
    %pa = helix.gqa_partial_attention %q, %c1[0] at %p kvp = %me {num_heads = 2 : i64, scale = 0.5 : f64} : tensor<?x8xf32>, !kv, tensor<?xi64> -> tensor<1x?x2x5xf32>
    // CHECK: %[[REQ:.*]] = call @helix_rt_start_all_to_all(%{{.*}}, %{{.*}}, %{{.*}}, %{{[^,)]+}})
    // CHECK-SAME: : (i64, i64, memref<?x?x?x?xf32>, memref<?x?x?x?xf32>) -> i64
    %r = helix.collective_start {
      %a = shard.all_to_all %pa on @helix_attention grid_axes = [0] split_axis = 2 concat_axis = 0 : tensor<1x?x2x5xf32> -> tensor<2x?x1x5xf32>
      helix.yield %a : tensor<2x?x1x5xf32>
    } : !helix.request<tensor<2x?x1x5xf32>>
    // CHECK: call @helix_rt_wait(%{{.*}}, %[[REQ]]) : (i64, i64) -> ()
    %w = helix.collective_wait %r : !helix.request<tensor<2x?x1x5xf32>>
    // The LSE merge of the received partials (not fused into W_O on the
    // cpu target).
    // CHECK: call @helix_rt_lse_merge(%{{.*}}, %{{.*}}, %{{[^,)]+}})
    // CHECK-SAME: : (i64, memref<?x?x?x?xf32>, memref<?x?xf32>) -> ()
    // CHECK: call @helix_rt_linear(
    %m = helix.lse_merge %w : tensor<2x?x1x5xf32> -> tensor<?x4xf32>
    %o = helix.linear %m weight "o" {slice = #helix.slice<dim = 1, grid = @helix_attention, axes = [1, 0]>} : tensor<?x4xf32> -> tensor<?x8xf32>
    // CHECK: call @helix_rt_all_reduce(
    %s = shard.all_reduce %o on @helix_attention grid_axes = [0, 1] : tensor<?x8xf32> -> tensor<?x8xf32>
    %l = helix.linear %s weight "lm" : tensor<?x8xf32> -> tensor<?x10xf32>
    %n = helix.argmax %l : tensor<?x10xf32> -> tensor<?xi64>
    return %n, %l, %c1 : tensor<?xi64>, tensor<?x10xf32>, !kv
  }
}

// -----

// RMSNorm is a call with the weight's manifest id and epsilon.
module attributes {helix.model = #helix.model<architecture = "LlamaForCausalLM", num_layers = 1, hidden_size = 8, vocab_size = 10, weight_dtype = f32, tie_word_embeddings = false>} {
  // CHECK-LABEL: func.func @decode_step
  func.func @decode_step(%t: tensor<?xi64>, %p: tensor<?xi64>, %c: !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 4, element_type = f32>)
      -> (tensor<?xi64>, tensor<?x10xf32>, !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 4, element_type = f32>) {
    %h = helix.embed %t weight "e" {vocab_size = 10 : i64} : tensor<?xi64> -> tensor<?x8xf32>
    // CHECK: %[[ID:.*]] = arith.constant 1 : i64
    // CHECK: %[[EPS:.*]] = arith.constant 9.99999974E-6 : f32
    // CHECK: call @helix_rt_rms_norm(%{{.*}}, %[[ID]], %[[EPS]], %{{.*}}, %{{[^,)]+}})
    // CHECK-SAME: : (i64, i64, f32, memref<?x?xf32>, memref<?x?xf32>) -> ()
    %n = helix.rms_norm %h weight "norm" {epsilon = 1.0e-5 : f64} : tensor<?x8xf32>
    %l = helix.linear %n weight "lm" : tensor<?x8xf32> -> tensor<?x10xf32>
    %a = helix.argmax %l : tensor<?x10xf32> -> tensor<?xi64>
    return %a, %l, %c : tensor<?xi64>, tensor<?x10xf32>, !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 4, element_type = f32>
  }
}
