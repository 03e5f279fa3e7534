/*===- cuda_device.h - the CUDA device for target=cuda modules ----*- C -*-===*
 *
 * In libhelix_rt_cuda. A helix_device that keeps a rank's weights (bf16
 * matrices, fp32 vectors), its KV cache (bf16) and the step's buffers in GPU
 * memory and runs every op of a target=cuda module as CUDA kernels and
 * cuBLAS calls on one stream; the collectives go to the world's NCCL
 * communicators on the same stream order (docs/gpu.md).
 *
 *===----------------------------------------------------------------------===*/
#ifndef HELIX_RT_CUDA_DEVICE_H
#define HELIX_RT_CUDA_DEVICE_H

#include "helix_rt/comm.h"
#include "helix_rt/helix_rt.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Number of CUDA devices visible to this process (0 without a GPU or
 * driver); `why` gets the reason when 0. */
int helix_cuda_device_count(char *why, size_t whySize);

/* A device on the current CUDA device (the one the NCCL bootstrap picked),
 * for one rank. That rank's world must be an NCCL communicator: creating
 * the rank makes the device's stream the world's compute stream before the
 * groups are split, so collectives order after the kernels that produce
 * their inputs. Destroy with helix_device_destroy after the rank. */
helix_status helix_cuda_device_create(helix_device **out, char *error,
                                      size_t errorSize);

#ifdef __cplusplus
}
#endif

#endif /* HELIX_RT_CUDA_DEVICE_H */
