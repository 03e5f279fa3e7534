//===- NcclBootstrap.cpp - Creating NCCL worlds: MPI and environment ------===//
//
// Both paths end in createWorld with the same unique id on every rank. MPI:
// rank 0's ncclGetUniqueId is broadcast over MPI_COMM_WORLD. Environment:
// rank 0 writes the id to HELIX_NCCL_ID_FILE (a temporary file renamed into
// place, so readers never see half of it) and the others poll for it until
// the deadline; the file carries the job id and world size so that a file
// left by an earlier job is never used.
//
//===----------------------------------------------------------------------===//
#include "BootstrapEnv.h"
#include "NcclWorld.h"

#ifdef HELIX_HAVE_MPI
#include <mpi.h>
#endif

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace helix_rt::cuda::nccl {

namespace {

int64_t timeoutOf(const helix_nccl_options &o) {
  if (o.timeout_ms > 0)
    return o.timeout_ms;
  const char *text = std::getenv("HELIX_COMM_TIMEOUT_MS");
  const long long v = text ? std::atoll(text) : 0;
  return v > 0 ? v : 600000;
}

/// The device for a local rank: the option, else local rank % devices.
helix_status pickDevice(const helix_nccl_options &o, int32_t localRank,
                        int *device) {
  int count = 0;
  if (cudaError_t c = cudaGetDeviceCount(&count); c != cudaSuccess || !count)
    return bootstrapError(HELIX_ERROR_COMM,
                          std::string("no CUDA device: ") +
                              (c ? cudaGetErrorString(c) : "0 devices"));
  *device = o.device >= 0 ? o.device : localRank % count;
  if (*device >= count)
    return bootstrapError(HELIX_ERROR_INVALID_ARGUMENT,
                          "device " + std::to_string(*device) + " of " +
                              std::to_string(count));
  return HELIX_OK;
}

helix_status writeIdFile(const bootstrap::EnvBootstrap &b,
                         const bootstrap::UniqueIdBytes &id) {
  const std::string tmp = b.idFile + ".tmp." + std::to_string(b.rank);
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << bootstrap::encodeUniqueId(id, b.jobId, b.worldSize);
    if (!out.flush())
      return bootstrapError(HELIX_ERROR_IO, "cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), b.idFile.c_str()) != 0)
    return bootstrapError(HELIX_ERROR_IO, "cannot rename " + tmp + " to " +
                                              b.idFile + ": " +
                                              std::strerror(errno));
  return HELIX_OK;
}

helix_status readIdFile(const bootstrap::EnvBootstrap &b, int64_t timeoutMs,
                        bootstrap::UniqueIdBytes *id) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
  std::string why = "it does not exist";
  for (;;) {
    std::ifstream in(b.idFile);
    if (in) {
      std::stringstream text;
      text << in.rdbuf();
      if (bootstrap::decodeUniqueId(text.str(), b.jobId, b.worldSize, id, &why))
        return HELIX_OK;
    }
    if (std::chrono::steady_clock::now() > deadline)
      return bootstrapError(HELIX_ERROR_COMM,
                            "rank " + std::to_string(b.rank) +
                                " found no usable NCCL id in " + b.idFile +
                                " within " + std::to_string(timeoutMs) +
                                " ms: " + why);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

} // namespace

} // namespace helix_rt::cuda::nccl

using namespace helix_rt::cuda;
using namespace helix_rt::cuda::nccl;

extern "C" {

helix_status helix_comm_nccl_create_env(const helix_nccl_options *options,
                                        helix_comm **out) {
  if (!out)
    return bootstrapError(HELIX_ERROR_INVALID_ARGUMENT, "null output");
  *out = nullptr;
  const helix_nccl_options o =
      options ? *options : helix_nccl_default_options();
  bootstrap::EnvBootstrap b;
  std::string error;
  if (!bootstrap::parseBootstrapEnv([](const char *n) { return std::getenv(n); },
                               &b, &error))
    return bootstrapError(HELIX_ERROR_INVALID_ARGUMENT, error);
  int device = 0;
  if (helix_status s = pickDevice(o, b.localRank, &device))
    return s;
  if (cudaError_t c = cudaSetDevice(device))
    return bootstrapError(HELIX_ERROR_COMM, cudaGetErrorString(c));
  ncclUniqueId id;
  static_assert(sizeof(id) == bootstrap::kUniqueIdBytes, "ncclUniqueId size");
  bootstrap::UniqueIdBytes bytes{};
  if (b.rank == 0) {
    if (ncclResult_t r = ncclGetUniqueId(&id))
      return bootstrapError(HELIX_ERROR_COMM,
                            std::string("ncclGetUniqueId: ") +
                                ncclGetErrorString(r));
    std::memcpy(bytes.data(), &id, sizeof(id));
    if (b.worldSize > 1)
      if (helix_status s = writeIdFile(b, bytes))
        return s;
  } else {
    if (helix_status s = readIdFile(b, timeoutOf(o), &bytes))
      return s;
    std::memcpy(&id, bytes.data(), sizeof(id));
  }
  return createWorld(b.rank, b.worldSize, id, device, o, false, out);
}

#ifdef HELIX_HAVE_MPI
helix_status helix_comm_nccl_create_mpi(const helix_nccl_options *options,
                                        helix_comm **out) {
  if (!out)
    return bootstrapError(HELIX_ERROR_INVALID_ARGUMENT, "null output");
  *out = nullptr;
  const helix_nccl_options o =
      options ? *options : helix_nccl_default_options();
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    int provided = 0;
    if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided) !=
        MPI_SUCCESS)
      return bootstrapError(HELIX_ERROR_COMM, "MPI_Init_thread failed");
  }
  int rank = 0, size = 0, localRank = 0, localSize = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  // The local rank picks the GPU: ranks sharing a node, in rank order.
  MPI_Comm node = MPI_COMM_NULL;
  if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank,
                          MPI_INFO_NULL, &node) == MPI_SUCCESS) {
    MPI_Comm_rank(node, &localRank);
    MPI_Comm_size(node, &localSize);
    MPI_Comm_free(&node);
  }
  int device = 0;
  helix_status status = pickDevice(o, localRank, &device);
  // NCCL refuses two ranks on one GPU: say so before its init does.
  int count = 0;
  if (status == HELIX_OK && o.device < 0 &&
      cudaGetDeviceCount(&count) == cudaSuccess && localSize > count)
    status = bootstrapError(
        HELIX_ERROR_COMM,
        std::to_string(localSize) + " MPI ranks on this node would share " +
            std::to_string(count) +
            " GPU(s), but NCCL runs one rank per GPU; run the ranks as "
            "threads of one process instead (helix-run --launcher threads)");
  if (status == HELIX_OK && cudaSetDevice(device) != cudaSuccess)
    status = bootstrapError(HELIX_ERROR_COMM, "cudaSetDevice failed");
  ncclUniqueId id;
  std::memset(&id, 0, sizeof(id));
  if (rank == 0 && status == HELIX_OK)
    if (ncclResult_t r = ncclGetUniqueId(&id))
      status = bootstrapError(HELIX_ERROR_COMM,
                              std::string("ncclGetUniqueId: ") +
                                  ncclGetErrorString(r));
  // Every rank learns whether any failed, so none waits in NCCL init for a
  // rank that gave up.
  int ok = status == HELIX_OK, allOk = 0;
  MPI_Allreduce(&ok, &allOk, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (!allOk)
    return status != HELIX_OK
               ? status
               : bootstrapError(HELIX_ERROR_COMM,
                                "another rank failed to set up CUDA/NCCL");
  MPI_Bcast(&id, int(sizeof(id)), MPI_BYTE, 0, MPI_COMM_WORLD);
  return createWorld(rank, size, id, device, o, true, out);
}
#else
helix_status helix_comm_nccl_create_mpi(const helix_nccl_options *,
                                        helix_comm **out) {
  if (out)
    *out = nullptr;
  return bootstrapError(HELIX_ERROR_INVALID_ARGUMENT,
                        "this runtime was built without MPI");
}
#endif

} // extern "C"
