/*===- cuda_comm.h - CUDA communicators behind helix_comm --------*- C -*-===*
 *
 * Two backends of helix_rt/comm.h in libhelix_rt_cuda, both on device
 * pointers and ordered after the caller's compute stream: NCCL (one rank
 * per process, below) and shared-CUDA (ranks as threads of one process,
 * any number per GPU; at the end).
 *
 * NCCL: one process per GPU. The endpoints it creates are ordinary helix_comm handles (split,
 * collectives, abort, destroy all work through comm.h), but buffers are
 * device pointers. A start form records "inputs ready" on the endpoint's
 * compute stream, makes the world's communication stream wait for it and
 * enqueues the NCCL call there; helix_comm_wait makes the compute stream
 * wait for the collective's completion event and, in the default polling
 * mode, blocks the host until the collective is done while polling
 * ncclCommGetAsyncError against a deadline. Every endpoint of a world
 * shares one communication stream, so collectives run in the order every
 * rank issued them.
 *
 * Failure never hangs: communicators are created non-blocking; an NCCL
 * error, a CUDA error or a deadline passing aborts every communicator of
 * the world (ncclCommAbort) and returns HELIX_ERROR_COMM; in an MPI-
 * bootstrapped world helix_comm_abort and timeouts also end the job
 * through MPI_Abort, as the MPI backend does. See docs/gpu.md.
 *
 *===----------------------------------------------------------------------===*/
#ifndef HELIX_RT_CUDA_COMM_H
#define HELIX_RT_CUDA_COMM_H

#include "helix_rt/comm.h"

#include <cuda_runtime_api.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct helix_nccl_options {
  int32_t device;     /* CUDA device; -1: local rank % device count */
  int64_t timeout_ms; /* 0: HELIX_COMM_TIMEOUT_MS, else 600000 */
  int32_t poll_wait;  /* 1 (default): helix_comm_wait blocks and polls;
                         0: it only orders the compute stream (CUDA graph
                         capture), and helix_comm_nccl_check polls */
} helix_nccl_options;

/* Defaults: device -1, timeout 0, poll_wait 1. */
helix_nccl_options helix_nccl_default_options(void);

/* World of MPI_COMM_WORLD: rank 0 creates the NCCL unique id and
 * broadcasts it with MPI_Bcast. Initializes MPI if needed. Returns
 * HELIX_ERROR_INVALID_ARGUMENT when built without MPI. */
helix_status helix_comm_nccl_create_mpi(const helix_nccl_options *options,
                                        helix_comm **out);

/* World from environment variables (any launcher, e.g. Slurm's srun):
 * HELIX_RANK, HELIX_WORLD_SIZE, HELIX_LOCAL_RANK (falling back to
 * SLURM_PROCID / SLURM_NTASKS / SLURM_LOCALID, then Open MPI's and PMI's),
 * HELIX_NCCL_ID_FILE (shared file rank 0 writes the unique id to) and
 * HELIX_JOB_ID or SLURM_JOB_ID (tags the file so a stale one is ignored). */
helix_status helix_comm_nccl_create_env(const helix_nccl_options *options,
                                        helix_comm **out);

/* The stream the caller's kernels run on (default: the legacy stream 0).
 * Split endpoints inherit their parent's. */
helix_status helix_comm_nccl_set_stream(helix_comm *comm,
                                        cudaStream_t compute);

/* Generalises helix_comm_nccl_set_stream to both CUDA backends. */
helix_status helix_comm_cuda_set_stream(helix_comm *comm,
                                        cudaStream_t compute);

/* Non-blocking health check of the world: NCCL async errors and the
 * deadlines of collectives still in flight (poll_wait = 0). */
helix_status helix_comm_nccl_check(helix_comm *comm);

/* --- shared-CUDA: ranks as threads of one process --------------------- *
 *
 * NCCL refuses two ranks on one device; these endpoints do not need it.
 * Each rank has its own comm stream and the compute stream set with
 * helix_comm_cuda_set_stream (split endpoints share their rank's). A start
 * records "ready" on the compute stream and waits on the host (bounded by
 * the timeout, woken by an abort) until every rank of the group has
 * started; then the rank's comm stream waits for every rank's "ready",
 * copies what it needs straight from the peers' `in` buffers into its
 * `out` (cudaMemcpyPeerAsync across devices; all-reduce: into a scratch,
 * then a sum in rank order, identical on every rank) and records "done".
 * The host never waits for the GPU. helix_comm_wait makes the compute
 * stream wait for every rank's "done" of that collective, so `out` is
 * ready and `in` may be overwritten. See docs/gpu.md. */

/* world_size endpoints of one world; ranks[r] is rank r, used by one
 * thread. devices[r] is rank r's CUDA device (devices NULL: r % device
 * count); several ranks may share one. timeout_ms bounds every host wait
 * (0: HELIX_COMM_TIMEOUT_MS, else 600000). HELIX_ERROR_COMM without a
 * device. */
helix_status helix_comm_cuda_threads_create(int32_t world_size,
                                            const int32_t *devices,
                                            int64_t timeout_ms,
                                            helix_comm **ranks);

/* The CUDA device of a shared-CUDA endpoint's rank; -1 for other
 * endpoints. Its thread makes it current (cudaSetDevice) before creating
 * the rank's device. */
int helix_comm_cuda_device(const helix_comm *comm);

/* Collective over a shared-CUDA world (NCCL: this rank alone): fails with
 * HELIX_ERROR_OUT_OF_RANGE and a message naming bytes needed and free when
 * the `bytes` of all ranks on this rank's GPU exceed what cudaMemGetInfo
 * reports free. Call it before allocating them. */
helix_status helix_comm_cuda_reserve(helix_comm *comm, int64_t bytes);

#ifdef __cplusplus
}
#endif

#endif /* HELIX_RT_CUDA_COMM_H */
