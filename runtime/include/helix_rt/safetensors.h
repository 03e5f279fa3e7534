/*===- safetensors.h - read Hugging Face safetensors checkpoints -*- C -*-===*
 *
 * A checkpoint is a model directory: model.safetensors, or the shards named
 * by model.safetensors.index.json ("weight_map"), or, without an index, every
 * *.safetensors file in the directory. Files are mmapped; every header is
 * validated on open (JSON, known dtype, offsets inside the file, sizes equal
 * to shape x dtype size, no overlaps) and every read is bounds-checked. Reads
 * convert F32/BF16/F16 to float (or keep a half-precision tensor's own
 * dtype) and copy only the requested block, so a rank that needs 1/N of a
 * tensor touches 1/N of its bytes; a block that is one run of the file can
 * also be used in place (helix_checkpoint_map_block).
 *
 *===----------------------------------------------------------------------===*/
#ifndef HELIX_RT_SAFETENSORS_H
#define HELIX_RT_SAFETENSORS_H

#include "helix_rt/status.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct helix_checkpoint helix_checkpoint;

typedef enum helix_dtype {
  HELIX_DTYPE_F32 = 0,
  HELIX_DTYPE_BF16 = 1,
  HELIX_DTYPE_F16 = 2
} helix_dtype;

#define HELIX_MAX_RANK 8

typedef struct helix_tensor_info {
  helix_dtype dtype;
  int32_t rank;
  int64_t shape[HELIX_MAX_RANK];
} helix_tensor_info;

/* Opens the checkpoint in `model_dir`. On failure *out is NULL and `error`
 * (if not NULL) receives one line naming the file and the problem. */
helix_status helix_checkpoint_open(const char *model_dir, helix_checkpoint **out,
                                   char *error, size_t error_size);

/* Dtype and shape of tensor `name`; HELIX_ERROR_INVALID_ARGUMENT if absent. */
helix_status helix_checkpoint_info(const helix_checkpoint *checkpoint,
                                   const char *name, helix_tensor_info *info,
                                   char *error, size_t error_size);

/* Copies, as float, the block [begin, begin + size) along dimension `dim`
 * (0 or 1) of a 1-D or 2-D tensor into `dst` (row-major, contiguous: for
 * dim 1 of an [R, C] tensor that is R x size values). */
helix_status helix_checkpoint_read_block(const helix_checkpoint *checkpoint,
                                         const char *name, int32_t dim,
                                         int64_t begin, int64_t size,
                                         float *dst, char *error,
                                         size_t error_size);

/* Copies the block like helix_checkpoint_read_block, as `dtype`: F32
 * converts from any dtype; BF16 and F16 copy a tensor of that same dtype
 * (nothing is ever rounded; another pairing is HELIX_ERROR_INVALID_ARGUMENT).
 * `dst` holds the block's values of `dtype`'s size, row-major. */
helix_status helix_checkpoint_read_block_as(const helix_checkpoint *checkpoint,
                                            const char *name, int32_t dim,
                                            int64_t begin, int64_t size,
                                            helix_dtype dtype, void *dst,
                                            char *error, size_t error_size);

/* A reference that keeps one checkpoint file mapped, also after
 * helix_checkpoint_close, until it is released. */
typedef struct helix_checkpoint_mapping helix_checkpoint_mapping;

/* The block (as helix_checkpoint_read_block selects it) in the tensor's own
 * dtype, where it lies in the mapped file, without a copy. Possible when its
 * bytes are one run (a 1-D tensor, a block along dim 0, or a dim-1 block
 * that spans whole rows) aligned to the dtype's size; otherwise the call
 * succeeds with *data and *mapping NULL, and the caller copies the block
 * (helix_checkpoint_read_block_as). On success *data stays valid until
 * helix_checkpoint_mapping_release(*mapping). */
helix_status helix_checkpoint_map_block(const helix_checkpoint *checkpoint,
                                        const char *name, int32_t dim,
                                        int64_t begin, int64_t size,
                                        const void **data,
                                        helix_checkpoint_mapping **mapping,
                                        char *error, size_t error_size);
void helix_checkpoint_mapping_release(helix_checkpoint_mapping *mapping);

/* Number of tensors, and the name of tensor i (stable order). */
int64_t helix_checkpoint_size(const helix_checkpoint *checkpoint);
const char *helix_checkpoint_name(const helix_checkpoint *checkpoint, int64_t i);

void helix_checkpoint_close(helix_checkpoint *checkpoint);

#ifdef __cplusplus
}
#endif

#endif /* HELIX_RT_SAFETENSORS_H */
