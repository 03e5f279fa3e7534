//===- BootstrapEnv.cpp - NCCL bootstrap from the environment -------------===//
#include "BootstrapEnv.h"

#include <cstdlib>
#include <sstream>

namespace helix_rt::cuda::bootstrap {

namespace {

bool parseInt(const char *text, int64_t *value) {
  if (!text || !*text)
    return false;
  char *end = nullptr;
  long long v = std::strtoll(text, &end, 10);
  if (*end != '\0')
    return false;
  *value = v;
  return true;
}

/// The first of `names` that is set, or nullptr.
const char *firstSet(const GetEnv &getenv, std::initializer_list<const char *> names,
                     const char **which) {
  for (const char *name : names)
    if (const char *v = getenv(name); v && *v) {
      *which = name;
      return v;
    }
  return nullptr;
}

} // namespace

bool parseBootstrapEnv(const GetEnv &getenv, EnvBootstrap *out,
                       std::string *error) {
  // HELIX_* first, then what common launchers set (Slurm, Open MPI, PMI).
  const char *which = nullptr;
  EnvBootstrap b;
  int64_t v = 0;
  const char *rank = firstSet(getenv, {"HELIX_RANK", "SLURM_PROCID",
                                       "OMPI_COMM_WORLD_RANK", "PMI_RANK"},
                              &which);
  if (!rank) {
    *error = "no rank in the environment (set HELIX_RANK)";
    return false;
  }
  if (!parseInt(rank, &v) || v < 0) {
    *error = std::string(which) + "='" + rank + "' is not a rank";
    return false;
  }
  b.rank = int32_t(v);
  const char *size =
      firstSet(getenv, {"HELIX_WORLD_SIZE", "SLURM_NTASKS",
                        "OMPI_COMM_WORLD_SIZE", "PMI_SIZE"},
               &which);
  if (!size) {
    *error = "no world size in the environment (set HELIX_WORLD_SIZE)";
    return false;
  }
  if (!parseInt(size, &v) || v < 1 || v > 1 << 20) {
    *error = std::string(which) + "='" + size + "' is not a world size";
    return false;
  }
  b.worldSize = int32_t(v);
  if (b.rank >= b.worldSize) {
    *error = "rank " + std::to_string(b.rank) + " is not below the world "
             "size " + std::to_string(b.worldSize);
    return false;
  }
  if (const char *local =
          firstSet(getenv, {"HELIX_LOCAL_RANK", "SLURM_LOCALID",
                            "OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID"},
                   &which)) {
    if (!parseInt(local, &v) || v < 0) {
      *error = std::string(which) + "='" + local + "' is not a local rank";
      return false;
    }
    b.localRank = int32_t(v);
  }
  if (const char *file = getenv("HELIX_NCCL_ID_FILE"); file && *file)
    b.idFile = file;
  if (b.worldSize > 1 && b.idFile.empty()) {
    *error = "HELIX_NCCL_ID_FILE must name a file on a filesystem every rank "
             "sees when the world has more than one rank";
    return false;
  }
  if (const char *job = firstSet(getenv, {"HELIX_JOB_ID", "SLURM_JOB_ID"},
                                 &which))
    b.jobId = job;
  *out = b;
  return true;
}

std::string encodeUniqueId(const UniqueIdBytes &id, const std::string &jobId,
                           int32_t worldSize) {
  static const char *hex = "0123456789abcdef";
  std::string text = "helix-nccl-id 1 job=" +
                     (jobId.empty() ? std::string("-") : jobId) +
                     " size=" + std::to_string(worldSize) + "\n";
  for (unsigned char byte : id) {
    text += hex[byte >> 4];
    text += hex[byte & 15];
  }
  return text + "\n";
}

bool decodeUniqueId(const std::string &text, const std::string &jobId,
                    int32_t worldSize, UniqueIdBytes *id, std::string *error) {
  std::istringstream in(text);
  std::string magic, version, job, size, body;
  if (!(in >> magic >> version >> job >> size >> body) ||
      magic != "helix-nccl-id" || version != "1") {
    *error = "not a helix NCCL id file (or still being written)";
    return false;
  }
  const std::string expectJob = "job=" + (jobId.empty() ? "-" : jobId);
  if (job != expectJob) {
    *error = "id file is from another job (" + job + ", expected " +
             expectJob + ")";
    return false;
  }
  if (size != "size=" + std::to_string(worldSize)) {
    *error = "id file is for another world size (" + size + ")";
    return false;
  }
  if (body.size() != 2 * kUniqueIdBytes) {
    *error = "id has " + std::to_string(body.size()) + " hex digits, not " +
             std::to_string(2 * kUniqueIdBytes);
    return false;
  }
  auto nibble = [](char c) {
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                  : -1;
  };
  for (size_t i = 0; i < kUniqueIdBytes; ++i) {
    const int hi = nibble(body[2 * i]), lo = nibble(body[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      *error = "id is not lowercase hex";
      return false;
    }
    (*id)[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  return true;
}

} // namespace helix_rt::cuda::bootstrap
