// RUN: helix-opt %s --split-input-file --helix-fuse-merge-into-linear --helix-lower-to-runtime=target=cuda | FileCheck %s
// RUN: helix-opt %s --split-input-file --helix-lower-to-llvm=target=cuda | FileCheck %s --check-prefix=LLVM
// RUN: helix-opt %s --split-input-file --helix-fuse-merge-into-linear --helix-lower-to-runtime=target=cuda | FileCheck %s --check-prefix=NOHOST

// target=cuda: the module touches no data. Buffers are runtime blocks shaped
// by memref.view and freed through the runtime after their last use; the
// KV owner rule, RMSNorm, the LSE merge (fused into the GEMM it feeds),
// residual adds, argmax and the output copies are runtime calls (kernels on
// a GPU rank). The manifest
// says which target the step was built for.
// NOHOST-NOT: memref.alloc
// NOHOST-NOT: memref.dealloc
// NOHOST-NOT: memref.load
// NOHOST-NOT: memref.store
// NOHOST-NOT: linalg.
// NOHOST-NOT: scf.for
// NOHOST-NOT: helix_rt_weight_1d
// NOHOST-NOT: helix_rt_lse_merge
// CHECK: helix.manifest = "{\22abi_version\22:4,{{.*}}\22target\22:\22cuda\22
// LLVM: llvm.func @_mlir_ciface_decode_step(
// LLVM: llvm.call @_mlir_ciface_helix_rt_alloc(
// LLVM: llvm.call @_mlir_ciface_helix_rt_free(
!kv = !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 4, element_type = f32, token_shards = 2, block = 2>
module attributes {helix.layout = #helix.layout<kvp = 2, tpa = 1, tpf = 2, ep = 1, microbatches = 1, kv_block = 2>, helix.model = #helix.model<architecture = "LlamaForCausalLM", num_layers = 1, hidden_size = 8, vocab_size = 10, weight_dtype = f32, tie_word_embeddings = false>} {
  shard.grid @helix_attention(shape = 2x1)
  shard.grid @helix_ffn(shape = 1x2)
  // CHECK-LABEL: func.func @decode_step(
  // CHECK-SAME: %[[CTX:[a-zA-Z0-9_]+]]: i64, %[[TOK:[a-zA-Z0-9_]+]]: memref<?xi64>,
  // CHECK-SAME: %[[POS:[a-zA-Z0-9_]+]]: memref<?xi64>, %[[NEXT:[a-zA-Z0-9_]+]]: memref<?xi64>,
  // CHECK-SAME: %[[LOGITS:[a-zA-Z0-9_]+]]: memref<?x10xf32>)
  func.func @decode_step(%t: tensor<?xi64>, %p: tensor<?xi64>, %c: !kv) -> (tensor<?xi64>, tensor<?x10xf32>, !kv) {
    %me = shard.process_multi_index on @helix_attention axes = [0] : index
    // Bytes = 8 per id x the batch.
    // CHECK: %[[B:.*]] = memref.dim %[[POS]], %{{.*}} : memref<?xi64>
    // CHECK: %[[N:.*]] = arith.index_cast %[[B]] : index to i64
    // CHECK: %[[BYTES:.*]] = arith.muli %{{.*}}, %[[N]] : i64
    // CHECK: %[[RAW:.*]] = call @helix_rt_alloc(%[[CTX]], %[[BYTES]]) : (i64, i64) -> memref<?xi8>
    // CHECK: %[[OWN:.*]] = memref.view %[[RAW]][%{{.*}}][%[[B]]] : memref<?xi8> to memref<?xi64>
    // CHECK: call @helix_rt_kv_owner(%[[CTX]], %{{.*}}, %{{.*}}, %[[POS]], %[[OWN]])
    // CHECK-SAME: : (i64, i64, i64, memref<?xi64>, memref<?xi64>) -> ()
    %own = helix.kv_owner %p {block = 2 : i64, shards = 2 : i64} : tensor<?xi64>
    %h = helix.embed %t weight "e" {vocab_size = 10 : i64} : tensor<?xi64> -> tensor<?x8xf32>
    // CHECK: call @helix_rt_rms_norm(%[[CTX]], %{{.*}}, %{{.*}}, %{{.*}}, %{{[^,)]+}})
    // CHECK-SAME: : (i64, i64, f32, memref<?x?xf32>, memref<?x?xf32>) -> ()
    %hn = helix.rms_norm %h weight "norm" {epsilon = 1.0e-5 : f64} : tensor<?x8xf32>
    %k = helix.linear %hn weight "k" : tensor<?x8xf32> -> tensor<?x4xf32>
    // CHECK: call @helix_rt_kv_append(%[[CTX]], %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}},
    // CHECK-SAME: %[[POS]], %{{[^,]+}}, %{{[^,]+}}, %{{[^,)]+}})
    %c1 = helix.kv_append %c[0], %k, %k at %p owner %own : tensor<?xi64> if kvp = %me : !kv, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?xi64>
    // The owner ids are freed right after the append, their last use.
    // CHECK-NOT: call @helix_rt_linear
    // CHECK: call @helix_rt_free(%[[CTX]], %[[RAW]]) : (i64, memref<?xi8>) -> ()
    %q = helix.linear %hn weight "q" : tensor<?x8xf32> -> tensor<?x8xf32>
    %pa = helix.gqa_partial_attention %q, %c1[0] at %p kvp = %me {num_heads = 2 : i64, scale = 0.5 : f64} : tensor<?x8xf32>, !kv, tensor<?xi64> -> tensor<1x?x2x5xf32>
    // CHECK: %[[REQ:.*]] = call @helix_rt_start_all_to_all(
    %r = helix.collective_start {
      %a = shard.all_to_all %pa on @helix_attention grid_axes = [0] split_axis = 2 concat_axis = 0 : tensor<1x?x2x5xf32> -> tensor<2x?x1x5xf32>
      helix.yield %a : tensor<2x?x1x5xf32>
    } : !helix.request<tensor<2x?x1x5xf32>>
    // CHECK: call @helix_rt_wait(%[[CTX]], %[[REQ]])
    %w = helix.collective_wait %r : !helix.request<tensor<2x?x1x5xf32>>
    // The merge feeds only W_O: it is fused into that GEMM's call, which
    // takes the all-to-all's receive buffer itself.
    // CHECK-NOT: helix_rt_lse_merge
    // CHECK: call @helix_rt_merge_linear(%[[CTX]], %{{.*}}, %{{.*}}, %{{[^,)]+}})
    // CHECK-SAME: : (i64, i64, memref<?x?x?x?xf32>, memref<?x?xf32>) -> ()
    %m = helix.lse_merge %w : tensor<2x?x1x5xf32> -> tensor<?x4xf32>
    %o = helix.linear %m weight "o" {slice = #helix.slice<dim = 1, grid = @helix_attention, axes = [1, 0]>} : tensor<?x4xf32> -> tensor<?x8xf32>
    %s = shard.all_reduce %o on @helix_attention grid_axes = [0, 1] : tensor<?x8xf32> -> tensor<?x8xf32>
    // CHECK: call @helix_rt_add(%[[CTX]], %{{.*}}, %{{.*}}, %{{[^,)]+}})
    // CHECK-SAME: : (i64, memref<?x?xf32>, memref<?x?xf32>, memref<?x?xf32>) -> ()
    %res = arith.addf %h, %s : tensor<?x8xf32>
    %l = helix.linear %res weight "lm" : tensor<?x8xf32> -> tensor<?x10xf32>
    // CHECK: call @helix_rt_argmax(%[[CTX]], %{{.*}}, %{{[^,)]+}})
    // CHECK-SAME: : (i64, memref<?x?xf32>, memref<?xi64>) -> ()
    %n = helix.argmax %l : tensor<?x10xf32> -> tensor<?xi64>
    // The results reach the caller's buffers through copies that take any
    // strides.
    // CHECK: %[[NS:.*]] = memref.cast %[[NEXT]] : memref<?xi64>
    // CHECK-SAME: to memref<?xi64, strided<[?], offset: ?>>
    // CHECK: call @helix_rt_copy_i64_1d(%[[CTX]], %{{.*}}, %[[NS]])
    // CHECK: %[[LS:.*]] = memref.cast %[[LOGITS]] : memref<?x10xf32>
    // CHECK-SAME: to memref<?x?xf32, strided<[?, ?], offset: ?>>
    // CHECK: call @helix_rt_copy_f32_2d(%[[CTX]], %{{.*}}, %[[LS]])
    // CHECK: return
    return %n, %l, %c1 : tensor<?xi64>, tensor<?x10xf32>, !kv
  }
}

// -----

// Micro-batch slices and their concatenation are views copied by the
// runtime, so the rows of a device buffer never pass through the host.
module attributes {helix.model = #helix.model<architecture = "LlamaForCausalLM", num_layers = 1, hidden_size = 8, vocab_size = 10, weight_dtype = f32, tie_word_embeddings = false>} {
  // CHECK-LABEL: func.func @decode_step(
  func.func @decode_step(%t: tensor<?xi64>, %p: tensor<?xi64>, %c: !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 4, element_type = f32>)
      -> (tensor<?xi64>, tensor<?x10xf32>, !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 4, element_type = f32>) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %b = tensor.dim %t, %c0 : tensor<?xi64>
    %rest = arith.subi %b, %c1 : index
    %h = helix.embed %t weight "e" {vocab_size = 10 : i64} : tensor<?xi64> -> tensor<?x8xf32>
    // CHECK: %[[SV:.*]] = memref.subview %{{.*}}[0, 0] [1, 8] [1, 1]
    // CHECK: call @helix_rt_copy_f32_2d(%{{.*}}, %{{.*}}, %{{[^,)]+}}) : (i64,
    // CHECK-SAME: memref<?x?xf32, strided<[?, ?], offset: ?>>,
    // CHECK-SAME: memref<?x?xf32, strided<[?, ?], offset: ?>>) -> ()
    %h0 = tensor.extract_slice %h[0, 0] [1, 8] [1, 1] : tensor<?x8xf32> to tensor<1x8xf32>
    %h1 = tensor.extract_slice %h[1, 0] [%rest, 8] [1, 1] : tensor<?x8xf32> to tensor<?x8xf32>
    %l0 = helix.linear %h0 weight "lm" : tensor<1x8xf32> -> tensor<1x10xf32>
    %l1 = helix.linear %h1 weight "lm" : tensor<?x8xf32> -> tensor<?x10xf32>
    // CHECK: call @helix_rt_linear(
    // CHECK: call @helix_rt_linear(
    // CHECK: memref.subview %[[CAT:[a-z_0-9]+]]
    // CHECK: call @helix_rt_copy_f32_2d(
    // CHECK: memref.subview %[[CAT]]
    // CHECK: call @helix_rt_copy_f32_2d(
    %l = tensor.concat dim(0) %l0, %l1 : (tensor<1x10xf32>, tensor<?x10xf32>) -> tensor<?x10xf32>
    %a = helix.argmax %l : tensor<?x10xf32> -> tensor<?xi64>
    return %a, %l, %c : tensor<?xi64>, tensor<?x10xf32>, !helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 4, element_type = f32>
  }
}
