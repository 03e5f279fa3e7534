//===- BootstrapEnv.h - NCCL bootstrap from the environment -----*- C++ -*-===//
//
// Pure C++ (no CUDA, no NCCL) so that it is unit tested on any machine:
// rank, size and the unique-id file of helix_comm_nccl_create_env
// (NcclBootstrap.cpp), from HELIX_* or the launchers' variables.
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_RT_CUDA_BOOTSTRAPENV_H
#define HELIX_RT_CUDA_BOOTSTRAPENV_H

#include <array>
#include <cstdint>
#include <functional>
#include <string>

namespace helix_rt::cuda::bootstrap {

/// Rank, size and device of this process and where the unique id is
/// exchanged, from the environment (see docs/gpu.md).
struct EnvBootstrap {
  int32_t rank = 0, worldSize = 1, localRank = 0;
  std::string idFile; // required when worldSize > 1
  std::string jobId;  // tags the id file so a stale one is never used
};
using GetEnv = std::function<const char *(const char *)>;
bool parseBootstrapEnv(const GetEnv &getenv, EnvBootstrap *out,
                       std::string *error);

/// The unique id file's text: a header line with the job tag and world
/// size, then the id in hex.
constexpr size_t kUniqueIdBytes = 128; // sizeof(ncclUniqueId)
using UniqueIdBytes = std::array<unsigned char, kUniqueIdBytes>;
std::string encodeUniqueId(const UniqueIdBytes &id, const std::string &jobId,
                           int32_t worldSize);
bool decodeUniqueId(const std::string &text, const std::string &jobId,
                    int32_t worldSize, UniqueIdBytes *id, std::string *error);

} // namespace helix_rt::cuda::bootstrap

#endif // HELIX_RT_CUDA_BOOTSTRAPENV_H
