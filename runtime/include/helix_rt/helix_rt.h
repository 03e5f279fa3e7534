/*===- helix_rt.h - load compiled decode steps and run ranks -----*- C -*-===*
 *
 * The runtime's entry points for tools and embedders (docs/abi.md): open a
 * compiled decode-step shared object, create one rank per endpoint of a
 * communicator world (each rank loads only its shard of the weights from a
 * safetensors checkpoint and owns its shard of the KV cache), and run decode
 * steps. Every rank of the world calls helix_rank_step with the same inputs.
 *
 *===----------------------------------------------------------------------===*/
#ifndef HELIX_RT_HELIX_RT_H
#define HELIX_RT_HELIX_RT_H

#include "helix_rt/comm.h"
#include "helix_rt/safetensors.h"
#include "helix_rt/status.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct helix_module helix_module;
typedef struct helix_rank helix_rank;

/* dlopens `path` and checks its ABI version and manifest. */
helix_status helix_module_open(const char *path, helix_module **out,
                               char *error, size_t error_size);
/* The module's manifest (JSON, docs/abi.md); valid until close. */
const char *helix_module_manifest(const helix_module *module);

/* What a tool needs to know about a module to launch it: its layout, world
 * size, vocabulary and target, read from the manifest at open. */
typedef struct helix_module_info {
  int64_t kvp, tpa, tpf, ep, microbatches, kv_block;
  int64_t world_size;       /* ranks the module runs on: kvp * tpa */
  int64_t vocab_size;
  const char *target;       /* "cpu" or "cuda"; valid until close */
  const char *architecture; /* e.g. "LlamaForCausalLM"; valid until close */
} helix_module_info;
void helix_module_get_info(const helix_module *module, helix_module_info *out);
void helix_module_close(helix_module *module);

/* Where a target=cuda module's buffers live and its ops run: made by a
 * backend library (helix_cuda_device_create in libhelix_rt_cuda). */
typedef struct helix_device helix_device;

/* The KV cache's element type. A runtime choice: the compiled step never
 * touches cache memory (appends and attention are runtime calls), so one
 * module serves every cache type. */
typedef enum helix_kv_dtype {
  /* The device's own: fp32 on the CPU device, bf16 on the CUDA one. */
  HELIX_KV_DTYPE_DEFAULT = 0,
  HELIX_KV_DTYPE_F32 = 1,
  /* Half the bytes: appends round to bf16 (nearest even), attention widens
   * to fp32 and accumulates in fp32. */
  HELIX_KV_DTYPE_BF16 = 2
} helix_kv_dtype;

typedef struct helix_rank_options {
  int64_t max_batch;   /* sequences per step (cache rows) */
  int64_t max_context; /* tokens per sequence the cache must hold */
  /* NULL: the rank's own CPU device (host memory, the CPU kernels), which
   * runs target=cpu and target=cuda modules alike. Otherwise the rank's
   * device (the module must be target=cuda); it must outlive the rank. */
  helix_device *device;
  /* The cache's element type; a device refuses one it cannot hold (the
   * CUDA device keeps bf16 only). */
  helix_kv_dtype kv_dtype;
} helix_rank_options;

/* Frees a device made by a backend library (after every rank using it). */
void helix_device_destroy(helix_device *device);

/* Collective over `world` (whose size must match the module's layout):
 * loads this rank's weights from `checkpoint` (shapes checked against the
 * manifest), allocates its KV cache shard and the layout's communicators. */
helix_status helix_rank_create(const helix_module *module,
                               const helix_checkpoint *checkpoint,
                               helix_comm *world,
                               const helix_rank_options *options,
                               helix_rank **out, char *error,
                               size_t error_size);

/* One decode step for `batch` sequences (rows 0..batch-1 of the cache):
 * tokens[b] at positions[b]; writes the greedy next_tokens[b] and the logits
 * [batch, vocab] (either may be NULL). */
helix_status helix_rank_step(helix_rank *rank, const int64_t *tokens,
                             const int64_t *positions, int64_t batch,
                             int64_t *next_tokens, float *logits, char *error,
                             size_t error_size);

/* A step over `rows` token rows that need not be one per sequence: row r is
 * token tokens[r] of sequence (cache row) sequences[r] at positions[r]. A
 * prefill chunk is several consecutive positions of one sequence; its rows
 * must come in increasing position order, and attention of each row covers
 * the sequence's cache up to its position (the chunk's earlier rows
 * included), so the result equals stepping the tokens one at a time.
 * next_tokens and logits are per row; with `outputs` (may be NULL: every
 * row), only rows with outputs[r] != 0 get them, the others get token 0 and
 * zero logits, and the LM head may skip those rows (a prefill chunk needs a
 * sequence's last prompt row only). helix_rank_step is this with
 * sequences[r] = r and every row's outputs. */
helix_status helix_rank_step_rows(helix_rank *rank, const int64_t *tokens,
                                  const int64_t *positions,
                                  const int64_t *sequences,
                                  const uint8_t *outputs, int64_t rows,
                                  int64_t *next_tokens, float *logits,
                                  char *error, size_t error_size);

/* Bytes of weights and of KV cache this rank holds. */
int64_t helix_rank_weight_bytes(const helix_rank *rank);
/* Of its weight bytes, those held as `dtype` (the CPU device keeps bf16/f16
 * matrices in the checkpoint's dtype; norms and other vectors are F32). */
int64_t helix_rank_weight_bytes_of(const helix_rank *rank, helix_dtype dtype);
int64_t helix_rank_cache_bytes(const helix_rank *rank);
/* The element type of its KV cache (HELIX_DTYPE_F32 or HELIX_DTYPE_BF16). */
helix_dtype helix_rank_cache_dtype(const helix_rank *rank);
int64_t helix_rank_vocab_size(const helix_rank *rank);
/* Decode steps recorded once and replayed since (CUDA graphs where the
 * device records steps, docs/gpu.md; 0 and 0 elsewhere). A recorded step
 * ran too, by replaying its recording, and is not counted as replayed. */
void helix_rank_recorded_steps(const helix_rank *rank, int64_t *recorded,
                               int64_t *replayed);

void helix_rank_destroy(helix_rank *rank);

#ifdef __cplusplus
}
#endif

#endif /* HELIX_RT_HELIX_RT_H */
