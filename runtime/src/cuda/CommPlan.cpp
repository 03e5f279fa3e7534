//===- CommPlan.cpp - Host-side planning of the NCCL backend --------------===//
#include "CommPlan.h"

#include <cstdlib>
#include <sstream>

namespace helix_rt::cuda::plan {

namespace {

constexpr int64_t kAlign = 256;

int64_t alignUp(int64_t bytes) { return (bytes + kAlign - 1) / kAlign * kAlign; }

/// Coordinates of a rank on the two grids (docs/sharding.md).
struct Coords {
  int32_t kvp, tpa, ep, tpf;
};
Coords coordsOf(const HelixGrid &g, int32_t rank) {
  return {rank / g.tpa, rank % g.tpa, rank / g.tpf, rank % g.tpf};
}

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

std::string validateGrid(const HelixGrid &g) {
  if (g.kvp < 1 || g.tpa < 1 || g.ep < 1 || g.tpf < 1)
    return "every grid extent must be at least 1";
  if (int64_t(g.kvp) * g.tpa != int64_t(g.ep) * g.tpf)
    return "kvp x tpa (" + std::to_string(int64_t(g.kvp) * g.tpa) +
           ") and ep x tpf (" + std::to_string(int64_t(g.ep) * g.tpf) +
           ") must cover the same ranks";
  return "";
}

const char *groupName(Group group) {
  switch (group) {
  case Group::World:
    return "world";
  case Group::Kvp:
    return "kvp";
  case Group::Expert:
    return "expert";
  case Group::ExpertGather:
    return "expert-gather";
  }
  return "group";
}

SplitArgs splitFor(const HelixGrid &grid, Group group, int32_t rank) {
  const Coords c = coordsOf(grid, rank);
  switch (group) {
  case Group::World:
    return {0, rank};
  case Group::Kvp:
    return {c.tpa, c.kvp};
  case Group::Expert:
    return {c.ep, c.tpf};
  case Group::ExpertGather:
    return {c.tpf, c.ep};
  }
  return {0, rank};
}

SplitArgs splitOnGrid(const std::vector<int64_t> &shape,
                      const std::vector<int64_t> &axes, int64_t rank) {
  auto coord = [&](int64_t axis) {
    int64_t stride = 1;
    for (int64_t d = int64_t(shape.size()) - 1; d > axis; --d)
      stride *= shape[size_t(d)];
    return (rank / stride) % shape[size_t(axis)];
  };
  int64_t color = 0, key = 0;
  for (int64_t axis = 0; axis < int64_t(shape.size()); ++axis) {
    bool inGroup = false;
    for (int64_t a : axes)
      inGroup |= a == axis;
    if (!inGroup)
      color = color * shape[size_t(axis)] + coord(axis);
  }
  for (int64_t axis : axes)
    key = key * shape[size_t(axis)] + coord(axis);
  return {int32_t(color), int32_t(key)};
}

std::vector<int32_t> groupMembers(const HelixGrid &grid, Group group,
                                  int32_t rank) {
  const SplitArgs mine = splitFor(grid, group, rank);
  std::vector<std::pair<int32_t, int32_t>> keyed; // (key, rank)
  for (int32_t r = 0; r < grid.worldSize(); ++r) {
    const SplitArgs s = splitFor(grid, group, r);
    if (s.color == mine.color)
      keyed.push_back({s.key, r});
  }
  std::vector<int32_t> members(keyed.size());
  for (const auto &[key, r] : keyed)
    members[size_t(key)] = r; // keys are 0..size-1 by construction
  return members;
}

std::vector<int64_t> microbatchRows(int64_t batch, int32_t microbatches) {
  std::vector<int64_t> rows;
  if (microbatches < 1 || batch < 0)
    return rows;
  for (int32_t m = 0; m < microbatches; ++m)
    rows.push_back(batch / microbatches + (m < batch % microbatches ? 1 : 0));
  return rows;
}

bool exchangeSizes(const ExchangeRequest &r, ExchangeSizes *s,
                   std::string *error) {
  if (std::string why = validateGrid(r.grid); !why.empty()) {
    *error = why;
    return false;
  }
  if (r.maxBatch < 1 || r.microbatches < 1 || r.localHeads < 1 ||
      r.width < 1 || r.hidden < 1) {
    *error = "batch, micro-batches, heads, width and hidden must be positive";
    return false;
  }
  if (r.localHeads % r.grid.kvp != 0) {
    *error = std::to_string(r.localHeads) + " heads per TPA shard do not "
             "split over " + std::to_string(r.grid.kvp) + " KVP ranks";
    return false;
  }
  ExchangeSizes out;
  out.rows = microbatchRows(r.maxBatch, r.microbatches).front();
  out.allToAllBlock = out.rows * (r.localHeads / r.grid.kvp) * (r.width + 1);
  out.allToAllFloats = out.allToAllBlock * r.grid.kvp;
  out.allReduceFloats = out.rows * r.hidden;
  if (r.moe) {
    out.allGatherBlock = out.rows * r.hidden;
    out.allGatherFloats = out.allGatherBlock * r.grid.ep;
  }
  out.bytesPerMicrobatch = 2 * alignUp(out.allToAllFloats * 4) +
                           alignUp(out.allReduceFloats * 4) +
                           alignUp(out.allGatherFloats * 4);
  out.totalBytes = out.bytesPerMicrobatch * r.microbatches;
  *s = out;
  return true;
}

ExchangeLayout exchangeLayout(const ExchangeSizes &s, int32_t microbatch) {
  ExchangeLayout l;
  l.allToAllSend = s.bytesPerMicrobatch * microbatch;
  l.allToAllRecv = l.allToAllSend + alignUp(s.allToAllFloats * 4);
  l.allReduce = l.allToAllRecv + alignUp(s.allToAllFloats * 4);
  l.allGatherRecv = l.allReduce + alignUp(s.allReduceFloats * 4);
  return l;
}

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

} // namespace helix_rt::cuda::plan
