//===- Gpu.h - the GPU side of helix-run --backend cuda ---------*- C++ -*-===//
#ifndef HELIX_TOOLS_RUNCORE_GPU_H
#define HELIX_TOOLS_RUNCORE_GPU_H

#include "helix_rt/helix_rt.h"

#include <string>

namespace helix::run {

/// One GPU rank: its NCCL world and the device its step runs on.
struct GpuRank {
  helix_comm *world = nullptr;
  helix_device *device = nullptr;
};

/// False with the reason when this build or machine cannot run CUDA ranks.
bool cudaAvailable(std::string &why);

/// Creates the NCCL world (through MPI under mpirun, else a one-rank world)
/// and the CUDA device bound to it. False with a one-line `error`.
bool openGpuRank(bool underMpi, GpuRank &out, std::string &error);

/// The endpoints of `world` ranks as threads of this process on the GPUs
/// (rank r on GPU r % count, several per GPU), shared-CUDA backend.
bool createGpuThreadWorld(int32_t world, helix_comm **comms,
                          std::string &error);
/// On rank `comm`'s own thread: makes its GPU current and creates its
/// device (out.world stays null: the launcher owns the endpoints).
bool openThreadGpuRank(helix_comm *comm, GpuRank &out, std::string &error);
void closeGpuRank(GpuRank &rank);

} // namespace helix::run

#endif // HELIX_TOOLS_RUNCORE_GPU_H
