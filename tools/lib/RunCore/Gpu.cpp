//===- Gpu.cpp - NCCL world and CUDA device for --backend cuda ------------===//
#include "RunCore/Gpu.h"

#ifdef HELIX_HAVE_CUDA
#include "helix_rt/cuda_comm.h"
#include "helix_rt/cuda_device.h"

#include <cstdlib>
#include <string>
#endif

namespace helix::run {

#ifdef HELIX_HAVE_CUDA

bool cudaAvailable(std::string &why) {
  char reason[256] = "";
  if (helix_cuda_device_count(reason, sizeof reason) > 0)
    return true;
  why = std::string("no CUDA device: ") + reason;
  return false;
}

bool openGpuRank(bool underMpi, GpuRank &out, std::string &error) {
  helix_nccl_options options = helix_nccl_default_options();
  helix_status status;
  if (underMpi) {
    status = helix_comm_nccl_create_mpi(&options, &out.world);
  } else {
    // One process, one rank: a world of one, whatever launcher variables
    // the environment carries.
    setenv("HELIX_RANK", "0", 1);
    setenv("HELIX_WORLD_SIZE", "1", 1);
    setenv("HELIX_LOCAL_RANK", "0", 1);
    status = helix_comm_nccl_create_env(&options, &out.world);
  }
  if (status != HELIX_OK) {
    error = std::string("cannot create the NCCL world: ") +
            helix_comm_error(out.world);
    closeGpuRank(out);
    return false;
  }
  char message[512];
  if (helix_cuda_device_create(&out.device, message, sizeof message) !=
      HELIX_OK) {
    error = message;
    closeGpuRank(out);
    return false;
  }
  return true;
}

bool createGpuThreadWorld(int32_t world, helix_comm **comms,
                          std::string &error) {
  if (helix_comm_cuda_threads_create(world, nullptr, 0, comms) == HELIX_OK)
    return true;
  error = std::string("cannot create the GPU ranks' communicators: ") +
          helix_comm_error(nullptr);
  return false;
}

bool openThreadGpuRank(helix_comm *comm, GpuRank &out, std::string &error) {
  int device = helix_comm_cuda_device(comm);
  if (cudaError_t e = cudaSetDevice(device)) {
    error = "cudaSetDevice(" + std::to_string(device) +
            "): " + cudaGetErrorString(e);
    return false;
  }
  char message[512];
  if (helix_cuda_device_create(&out.device, message, sizeof message) !=
      HELIX_OK) {
    error = message;
    return false;
  }
  return true;
}

#else

bool cudaAvailable(std::string &why) {
  why = "this helix-run was built without the CUDA backend (nvcc or NCCL "
        "was not found when it was configured)";
  return false;
}

bool openGpuRank(bool, GpuRank &, std::string &error) {
  return cudaAvailable(error);
}

bool createGpuThreadWorld(int32_t, helix_comm **, std::string &error) {
  return cudaAvailable(error);
}

bool openThreadGpuRank(helix_comm *, GpuRank &, std::string &error) {
  return cudaAvailable(error);
}

#endif

void closeGpuRank(GpuRank &rank) {
  if (rank.device)
    helix_device_destroy(rank.device);
  if (rank.world)
    helix_comm_destroy(rank.world);
  rank = GpuRank{};
}

} // namespace helix::run
