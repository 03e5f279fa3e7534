//===- NcclWorld.h - Creating NCCL worlds (private) -------------*- C++ -*-===//
#ifndef HELIX_RT_CUDA_NCCLWORLD_H
#define HELIX_RT_CUDA_NCCLWORLD_H

#include "helix_rt/cuda_comm.h"

#include <nccl.h>

#include <string>

namespace helix_rt::cuda::nccl {

/// Joins the world of `size` ranks identified by `id` as `rank` on
/// `device`; mpiBootstrap makes aborts end the job with MPI_Abort.
helix_status createWorld(int32_t rank, int32_t size, const ncclUniqueId &id,
                         int device, const helix_nccl_options &options,
                         bool mpiBootstrap, helix_comm **out);

/// Records a failure that has no endpoint (bootstrap) for helix_comm_error.
helix_status bootstrapError(helix_status status, const std::string &message);

} // namespace helix_rt::cuda::nccl

#endif // HELIX_RT_CUDA_NCCLWORLD_H
