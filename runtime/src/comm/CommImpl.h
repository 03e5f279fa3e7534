//===- CommImpl.h - backend interface behind helix_comm ---------*- C++ -*-===//
//
// Private to the comm component. helix_comm and helix_comm_request are the
// base structs of every backend's endpoint and request; each points at its
// backend's CommOps table, so a new backend (NCCL: start enqueues on a
// stream, wait synchronizes) only fills in a table. The C API in Comm.cpp
// validates arguments once and forwards through the table.
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_RT_COMM_COMMIMPL_H
#define HELIX_RT_COMM_COMMIMPL_H

#include "helix_rt/comm.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace helix_rt {
namespace comm {

enum class CollectiveKind { AllReduceSum, AllToAll, AllGather, Barrier };

const char *collectiveName(CollectiveKind kind);

// One collective as started by one rank. count is per block (all_to_all and
// all_gather move `size` blocks of `count` floats).
struct CollectiveArgs {
  CollectiveKind kind;
  const float *in;
  float *out;
  int64_t count;
};

struct CommOps {
  const char *backendName;
  // Collective over comm; a negative color leaves the caller in no group
  // (*out = nullptr), like MPI_UNDEFINED.
  helix_status (*split)(helix_comm *comm, int32_t color, int32_t key,
                        helix_comm **out);
  // Deposits this rank's part; the result lands in args.out at wait.
  helix_status (*start)(helix_comm *comm, const CollectiveArgs &args,
                        helix_comm_request **request);
  // Completes and frees the request, also on failure.
  helix_status (*wait)(helix_comm_request *request);
  void (*abort)(helix_comm *comm, const char *reason);
  // The world's failure reason, or nullptr while the world is healthy.
  const char *(*worldError)(const helix_comm *comm);
  void (*destroy)(helix_comm *comm);
};

} // namespace comm
} // namespace helix_rt

struct helix_comm {
  const helix_rt::comm::CommOps *ops;
  int32_t rank;
  int32_t size;
  // The last failure of a call on this endpoint that did not fail the world
  // (bad arguments); read by helix_comm_error when the world is healthy.
  std::string localError;

protected:
  helix_comm(const helix_rt::comm::CommOps *ops, int32_t rank, int32_t size)
      : ops(ops), rank(rank), size(size) {}
  ~helix_comm() = default;
};

struct helix_comm_request {
  const helix_rt::comm::CommOps *ops;
  // Set by helix_comm_barrier_timeout: this wait's limit in ms (0: the
  // world's). Honoured by the MPI backend.
  int64_t timeoutMs = 0;
  // When the collective started (steady clock, ns), kept only while a
  // latency is injected (helix_comm_set_injected_latency_us).
  int64_t startedNs = 0;

protected:
  explicit helix_comm_request(const helix_rt::comm::CommOps *ops) : ops(ops) {}
  ~helix_comm_request() = default;
};

namespace helix_rt {
namespace comm {

// Failures of calls that have no endpoint to keep them (create, null
// communicator); helix_comm_error(NULL) reads the calling thread's last one.
helix_status setThreadError(helix_status status, std::string message);

/// MPI_Comm_split's rule, for the in-process backends: ranks of one color
/// form a group, ordered by key, then by parent rank; a negative color joins
/// none. Returns each group's parent ranks in new-rank order.
std::vector<std::vector<int32_t>>
splitMembers(const std::vector<int32_t> &colors,
             const std::vector<int32_t> &keys);

/// Fills a complete split operation's per-rank new groups and ranks from
/// splitMembers, for either in-process backend (each has its own Group,
/// built from the parent's world and the members' world ranks).
template <class Group, class Operation>
void assignSplitGroups(Operation &op, const Group &parent,
                       const std::vector<int32_t> &colors,
                       const std::vector<int32_t> &keys) {
  op.newGroups.resize(parent.size());
  op.newRanks.assign(parent.size(), -1);
  for (const std::vector<int32_t> &members : splitMembers(colors, keys)) {
    std::vector<int32_t> worldRanks;
    for (int32_t rank : members)
      worldRanks.push_back(parent.worldRanks[rank]);
    auto group = std::make_shared<Group>(parent.world, std::move(worldRanks));
    for (size_t i = 0; i < members.size(); ++i) {
      op.newGroups[members[i]] = group;
      op.newRanks[members[i]] = int32_t(i);
    }
  }
}

/// The words every backend's messages use. "0, 2, 3".
std::string joinRanks(const std::vector<int32_t> &ranks);
/// "the world communicator", or "a 2-rank communicator of world ranks 0, 2"
/// for a group whose rank r is world rank worldRanks[r].
std::string describeGroup(const std::vector<int32_t> &worldRanks,
                          int32_t worldSize);
/// "ranks 1, 3 (world ranks 2, 6)": ranks of a group, then their world
/// ranks where they differ.
std::string describeRanks(const std::vector<int32_t> &ranks,
                          const std::vector<int32_t> &worldRanks);

helix_status threadsCreate(int32_t worldSize, int64_t timeoutMs,
                           helix_comm **ranks);
#ifdef HELIX_HAVE_MPI
helix_status mpiCreate(helix_comm **out);
void mpiFinalize();
#endif

} // namespace comm
} // namespace helix_rt

#endif // HELIX_RT_COMM_COMMIMPL_H
