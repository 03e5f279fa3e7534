//===- CommPlan.h - Host-side planning of the NCCL backend ------*- C++ -*-===//
//
// Pure C++ (no CUDA, no NCCL) so that it is unit tested on any machine:
// which communicators a rank joins for a Helix layout (the color/key of each
// split, following docs/sharding.md's rank numbering), the sizes of the
// preallocated exchange buffers, the HOP-B micro-batch rows, and the
// environment-variable bootstrap (rank, size, unique-id file).
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_RT_CUDA_COMMPLAN_H
#define HELIX_RT_CUDA_COMMPLAN_H

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace helix_rt::cuda::plan {

/// A Helix layout: attention grid kvp x tpa, FFN grid ep x tpf, both over
/// the same N ranks.
struct HelixGrid {
  int32_t kvp = 1, tpa = 1, ep = 1, tpf = 1;
  int32_t worldSize() const { return kvp * tpa; }
};

/// "" when the grid is usable, else why not.
std::string validateGrid(const HelixGrid &grid);

enum class Group {
  World,       // W_O, dense FFN and shared-expert all-reduce: all N ranks
  Kvp,         // the all-to-all: same tpa index, ordered by kvp index
  Expert,      // MoE all-reduce: same ep index, ordered by tpf index
  ExpertGather // MoE all-gather: same tpf index, ordered by ep index
};
const char *groupName(Group group);

/// Arguments of ncclCommSplit / helix_comm_split that put world rank
/// `rank` into its `group`.
struct SplitArgs {
  int32_t color, key;
};
SplitArgs splitFor(const HelixGrid &grid, Group group, int32_t rank);

/// The same on any grid (as the module runtime does from its manifest):
/// color = the rank's coordinates off `axes`, key = its block index over
/// `axes` (row-major).
SplitArgs splitOnGrid(const std::vector<int64_t> &shape,
                      const std::vector<int64_t> &axes, int64_t rank);

/// World ranks of the group that holds `rank`, in communicator rank order.
std::vector<int32_t> groupMembers(const HelixGrid &grid, Group group,
                                  int32_t rank);

/// HOP-B micro-batch sizes: `batch` rows in `microbatches` parts that
/// differ by at most one, larger first (as helix-hopb slices them).
std::vector<int64_t> microbatchRows(int64_t batch, int32_t microbatches);

/// What the exchange buffers must hold.
struct ExchangeRequest {
  HelixGrid grid;
  int64_t maxBatch = 0;
  int32_t microbatches = 1;
  int64_t localHeads = 0; // query heads of this rank's TPA shard
  int64_t width = 0;      // per-head output: head_dim (GQA), kv rank (MLA)
  int64_t hidden = 0;
  bool moe = false; // the all-gather across expert groups is needed
};

/// Float counts and bytes of one micro-batch's buffers, and the total for
/// all micro-batches (each buffer 256-byte aligned). Collectives of
/// micro-batches in flight at once never share a buffer.
struct ExchangeSizes {
  int64_t rows = 0;           // rows of the largest micro-batch
  int64_t allToAllBlock = 0;  // floats per peer: rows * heads/kvp * (w + 1)
  int64_t allToAllFloats = 0; // send (and receive) buffer: kvp blocks
  int64_t allReduceFloats = 0;
  int64_t allGatherBlock = 0;  // floats per expert group
  int64_t allGatherFloats = 0; // receive buffer: ep blocks
  int64_t bytesPerMicrobatch = 0;
  int64_t totalBytes = 0;
};
bool exchangeSizes(const ExchangeRequest &request, ExchangeSizes *sizes,
                   std::string *error);

/// Byte offsets of one micro-batch's buffers inside the preallocation.
struct ExchangeLayout {
  int64_t allToAllSend, allToAllRecv, allReduce, allGatherRecv;
};
ExchangeLayout exchangeLayout(const ExchangeSizes &sizes, int32_t microbatch);

// --- bootstrap without MPI ------------------------------------------------

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

} // namespace helix_rt::cuda::plan

#endif // HELIX_RT_CUDA_COMMPLAN_H
