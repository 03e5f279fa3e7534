/*===- comm.h - collectives between ranks, behind one interface -*- C -*-===*
 *
 * A communicator is one rank's endpoint in a group, as in MPI or NCCL.
 * Backends: threads (N ranks in one process; the default), MPI (one rank
 * per process), and in libhelix_rt_cuda NCCL and shared-CUDA
 * (helix_rt/cuda_comm.h). Every call is collective over the communicator: all its
 * ranks make the same calls in the same order. Collectives have a blocking
 * form and a start/wait form (HOP-B overlaps compute between the two).
 *
 * Failure never hangs: a rank that fails calls helix_comm_abort, after which
 * every pending and future call on any communicator of the same world
 * returns HELIX_ERROR_COMM with the reason; a peer that does not arrive
 * within the world's timeout aborts the world the same way.
 *
 *===----------------------------------------------------------------------===*/
#ifndef HELIX_RT_COMM_H
#define HELIX_RT_COMM_H

#include "helix_rt/status.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct helix_comm helix_comm;
typedef struct helix_comm_request helix_comm_request;

/* --- backends ---------------------------------------------------------- */

/* Creates the `world_size` endpoints of one in-process world; ranks[i] is
 * rank i, to be used by one thread each. timeout_ms bounds every wait (0:
 * default 600000). */
helix_status helix_comm_threads_create(int32_t world_size, int64_t timeout_ms,
                                       helix_comm **ranks);

/* The MPI_COMM_WORLD endpoint of this process. Initializes MPI if needed
 * (the caller finalizes with helix_comm_mpi_finalize). Returns
 * HELIX_ERROR_INVALID_ARGUMENT when the runtime was built without MPI. */
helix_status helix_comm_mpi_create(helix_comm **out);
void helix_comm_mpi_finalize(void);

/* The host twin of libhelix_rt_cuda's helix_comm_cuda_threads_create: the
 * same per-group slots, rendezvous and event order (ranks pull from each
 * other's buffers), with host memory, synchronous copies and events that
 * check their order. For tests and HELIX_CUDA_ON_HOST runs; arguments as
 * helix_comm_threads_create (timeout 0: HELIX_COMM_TIMEOUT_MS, else
 * 600000). */
helix_status helix_comm_shared_host_create(int32_t world_size,
                                           int64_t timeout_ms,
                                           helix_comm **ranks);

/* --- queries and groups ------------------------------------------------ */

int32_t helix_comm_rank(const helix_comm *comm);
int32_t helix_comm_size(const helix_comm *comm);
/* The last failure on this communicator's world ("" if none). */
const char *helix_comm_error(const helix_comm *comm);

/* Collective: ranks with equal `color` form a new communicator, ordered by
 * `key` (ties by parent rank), like MPI_Comm_split. */
helix_status helix_comm_split(helix_comm *comm, int32_t color, int32_t key,
                              helix_comm **out);

/* --- collectives (float32) --------------------------------------------- */

/* out[i] = sum over ranks of in[i], i < count. in may equal out. */
helix_status helix_comm_all_reduce_sum(helix_comm *comm, const float *in,
                                       float *out, int64_t count);
/* in is [size][count]: block j goes to rank j; out is [size][count]: block j
 * came from rank j. */
helix_status helix_comm_all_to_all(helix_comm *comm, const float *in,
                                   float *out, int64_t count);
/* out is [size][count]: block j is rank j's in. */
helix_status helix_comm_all_gather(helix_comm *comm, const float *in,
                                   float *out, int64_t count);

/* Start forms: the buffers must stay valid and untouched until the wait. */
helix_status helix_comm_start_all_reduce_sum(helix_comm *comm, const float *in,
                                             float *out, int64_t count,
                                             helix_comm_request **request);
helix_status helix_comm_start_all_to_all(helix_comm *comm, const float *in,
                                         float *out, int64_t count,
                                         helix_comm_request **request);
helix_status helix_comm_start_all_gather(helix_comm *comm, const float *in,
                                         float *out, int64_t count,
                                         helix_comm_request **request);
/* Completes and frees the request. */
helix_status helix_comm_wait(helix_comm_request *request);

helix_status helix_comm_barrier(helix_comm *comm);

/* A barrier that waits up to timeout_ms instead of the world's timeout
 * (HELIX_COMM_TIMEOUT_MS, sized for a decode step): for setup phases that
 * take longer, such as rank 0 compiling while the others wait. Honoured by
 * the MPI backend; the others wait as helix_comm_barrier. */
helix_status helix_comm_barrier_timeout(helix_comm *comm, int64_t timeout_ms);

/* For measurements on CPU ranks: every collective of the threads and MPI
 * backends then completes no earlier than `us` microseconds after its start
 * (the wait sleeps out the rest, without holding a core), as on a slow
 * interconnect, so a start/wait pair overlaps that latency with the compute
 * between them. Process-wide; 0 (the default) turns it off at no cost. The
 * initial value comes from HELIX_COMM_LATENCY_US. The GPU backends ignore
 * it: their collectives complete on the device. */
void helix_comm_set_injected_latency_us(int64_t us);
int64_t helix_comm_injected_latency_us(void);

/* Collectives the calling thread has started so far (blocking ones
 * included), on any endpoint: one rank's count when each rank is a thread
 * or a process, for measurements (helix-run's collectives per step). */
int64_t helix_comm_thread_collectives(void);

/* Fails the whole world with `reason` (first reason wins). */
void helix_comm_abort(helix_comm *comm, const char *reason);

void helix_comm_destroy(helix_comm *comm);

#ifdef __cplusplus
}
#endif

#endif /* HELIX_RT_COMM_H */
