//===- ThreadsComm.cpp - N ranks of one world in one process --------------===//
//
// Every communicator (the world and each split) is a Group shared by its
// ranks' endpoints. The k-th collective an endpoint starts is the group's
// operation k (ranks call collectives in the same order), so several may be
// in flight. Start copies the rank's contribution into the operation and
// returns; wait blocks until every rank has deposited, then builds the
// rank's output from the copies. Copying on start frees the caller's `in`
// at once (in may equal out) and means no rank ever reads another's buffers.
// One mutex and condition variable per world guard all of its groups, so an
// abort wakes every waiter of the world.
//
//===----------------------------------------------------------------------===//
#include "CommImpl.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using namespace helix_rt::comm;

namespace {

using Clock = std::chrono::steady_clock;

// Longest honoured timeout (a year); keeps deadlines from overflowing.
constexpr int64_t kMaxTimeoutMs = 365LL * 24 * 3600 * 1000;
constexpr int64_t kDefaultTimeoutMs = 600000;

struct World {
  World(int32_t size, int64_t timeoutMs, std::chrono::microseconds spin)
      : size(size), timeout(timeoutMs), spin(spin) {}

  // Records the first reason and wakes every waiter. Caller holds mutex.
  void failLocked(const std::string &why) {
    if (!failed.load(std::memory_order_relaxed)) {
      reason = why;
      // Release: helix_comm_error reads `reason` without the mutex.
      failed.store(true, std::memory_order_release);
    }
    changed.notify_all();
  }
  void fail(const std::string &why) {
    std::lock_guard<std::mutex> lock(mutex);
    failLocked(why);
  }

  std::mutex mutex;
  std::condition_variable changed;
  std::atomic<bool> failed{false};
  std::string reason; // Written once, before `failed` becomes true.
  const int32_t size;
  const std::chrono::milliseconds timeout;
  // How long a waiter spins before it blocks (0: never). A condition
  // variable's wake-up costs tens of microseconds, several times a
  // collective between threads; spinning is only worth a core when every
  // rank has one (threadsCreate).
  const std::chrono::microseconds spin;
};

struct Group;

// What every rank must agree on for one operation.
struct Signature {
  bool split;
  CollectiveKind kind;
  int64_t count;

  bool operator==(const Signature &other) const {
    return split == other.split && kind == other.kind && count == other.count;
  }
  std::string describe() const {
    if (split)
      return "split";
    return std::string(collectiveName(kind)) + "(count " +
           std::to_string(count) + ")";
  }
};

// One collective of one group, shared by the requests of its ranks.
struct Operation {
  Operation(const Signature &signature, int32_t size, int32_t firstRank)
      : signature(signature), firstRank(firstRank), present(size, false),
        contributions(size) {
    if (signature.split) {
      colors.resize(size);
      keys.resize(size);
    }
  }

  const Signature signature;
  const int32_t firstRank; // Named when a later rank disagrees.
  int32_t arrived = 0;
  // `arrived == size`, readable without the mutex: what a spinning waiter
  // polls (awaitAll). Set under the mutex with release order.
  std::atomic<bool> complete{false};
  std::vector<bool> present;
  std::vector<std::vector<float>> contributions; // Immutable once complete.
  // Split: inputs, then the groups built by the first rank to finish.
  std::vector<int32_t> colors, keys;
  std::vector<std::shared_ptr<Group>> newGroups; // Per parent rank.
  std::vector<int32_t> newRanks;
};

struct Group {
  Group(std::shared_ptr<World> world, std::vector<int32_t> worldRanks)
      : world(std::move(world)), worldRanks(std::move(worldRanks)) {}

  int32_t size() const { return int32_t(worldRanks.size()); }

  const std::shared_ptr<World> world;
  const std::vector<int32_t> worldRanks; // Group rank -> world rank.
  // Operations some but not all ranks have started; under world->mutex.
  std::map<uint64_t, std::shared_ptr<Operation>> pending;
};

extern const CommOps threadsOps;

struct ThreadsComm : helix_comm {
  ThreadsComm(std::shared_ptr<Group> group, int32_t rank)
      : helix_comm(&threadsOps, rank, group->size()), group(std::move(group)) {}

  const std::shared_ptr<Group> group;
  uint64_t nextSequence = 0; // Used only by the rank's own thread.
};

struct ThreadsRequest : helix_comm_request {
  ThreadsRequest(std::shared_ptr<Group> group, std::shared_ptr<Operation> op,
                 uint64_t sequence, int32_t rank, float *out)
      : helix_comm_request(&threadsOps), group(std::move(group)),
        op(std::move(op)), sequence(sequence), rank(rank), out(out) {}

  const std::shared_ptr<Group> group;
  const std::shared_ptr<Operation> op;
  const uint64_t sequence;
  const int32_t rank;
  float *const out;
};

ThreadsComm *self(helix_comm *comm) { return static_cast<ThreadsComm *>(comm); }

std::string describeGroup(const Group &group) {
  return helix_rt::comm::describeGroup(group.worldRanks, group.world->size);
}

// Joins this rank to the endpoint's next operation. `contribution` and
// color/key are deposited; on success *opOut/*sequenceOut name it.
helix_status join(ThreadsComm *comm, const Signature &signature,
                  std::vector<float> contribution, int32_t color, int32_t key,
                  std::shared_ptr<Operation> *opOut, uint64_t *sequenceOut) {
  Group &group = *comm->group;
  World &world = *group.world;
  std::lock_guard<std::mutex> lock(world.mutex);
  if (world.failed.load(std::memory_order_relaxed))
    return HELIX_ERROR_COMM;
  uint64_t sequence = comm->nextSequence++;
  std::shared_ptr<Operation> &slot = group.pending[sequence];
  if (!slot)
    slot = std::make_shared<Operation>(signature, group.size(), comm->rank);
  std::shared_ptr<Operation> op = slot;
  if (!(op->signature == signature)) {
    world.failLocked("helix_comm: mismatched collectives #" +
                     std::to_string(sequence) + " on " + describeGroup(group) +
                     ": rank " + std::to_string(op->firstRank) + " called " +
                     op->signature.describe() + " but rank " +
                     std::to_string(comm->rank) + " called " +
                     signature.describe());
    return HELIX_ERROR_COMM;
  }
  op->contributions[comm->rank] = std::move(contribution);
  if (signature.split) {
    op->colors[comm->rank] = color;
    op->keys[comm->rank] = key;
  }
  op->present[comm->rank] = true;
  if (++op->arrived == group.size()) {
    op->complete.store(true, std::memory_order_release);
    group.pending.erase(sequence);
    world.changed.notify_all();
  }
  *opOut = std::move(op);
  *sequenceOut = sequence;
  return HELIX_OK;
}

inline void spinPause() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

// Blocks until every rank joined `request`'s operation (spinning first when
// the world allows it, with the lock released); aborts the world on
// timeout. Returns with the lock held.
helix_status awaitAll(const ThreadsRequest &request,
                      std::unique_lock<std::mutex> &lock) {
  const Group &group = *request.group;
  World &world = *group.world;
  const Operation &op = *request.op;
  if (world.spin.count() > 0 && op.arrived < group.size()) {
    lock.unlock();
    const Clock::time_point until = Clock::now() + world.spin;
    while (!op.complete.load(std::memory_order_acquire) &&
           !world.failed.load(std::memory_order_relaxed) &&
           Clock::now() < until)
      spinPause();
    lock.lock();
  }
  Clock::time_point deadline = Clock::now() + world.timeout;
  while (!world.failed.load(std::memory_order_relaxed) &&
         op.arrived < group.size()) {
    if (world.changed.wait_until(lock, deadline) != std::cv_status::timeout)
      continue;
    if (world.failed.load(std::memory_order_relaxed) ||
        op.arrived == group.size())
      break;
    std::vector<int32_t> missing;
    for (int32_t rank = 0; rank < group.size(); ++rank)
      if (!op.present[rank])
        missing.push_back(rank);
    world.failLocked("helix_comm: " + op.signature.describe() + " #" +
                     std::to_string(request.sequence) + " on " +
                     describeGroup(group) + " timed out after " +
                     std::to_string(world.timeout.count()) + " ms on rank " +
                     std::to_string(request.rank) + ": " +
                     describeRanks(missing, group.worldRanks) +
                     " did not arrive");
  }
  return world.failed.load(std::memory_order_relaxed) ? HELIX_ERROR_COMM
                                                      : HELIX_OK;
}

// Writes this rank's output from the complete operation's contributions.
void finish(const ThreadsRequest &request) {
  const Operation &op = *request.op;
  const std::vector<std::vector<float>> &parts = op.contributions;
  size_t count = size_t(op.signature.count);
  size_t bytes = count * sizeof(float);
  float *out = request.out;
  switch (op.signature.kind) {
  case CollectiveKind::AllReduceSum:
    // Rank order on every rank: bitwise-identical sums everywhere.
    if (count == 0)
      break;
    std::memcpy(out, parts[0].data(), bytes);
    for (size_t rank = 1; rank < parts.size(); ++rank) {
      const float *part = parts[rank].data();
      for (size_t i = 0; i < count; ++i)
        out[i] += part[i];
    }
    break;
  case CollectiveKind::AllToAll:
    for (size_t rank = 0; rank < parts.size() && count; ++rank)
      std::memcpy(out + rank * count,
                  parts[rank].data() + size_t(request.rank) * count, bytes);
    break;
  case CollectiveKind::AllGather:
    for (size_t rank = 0; rank < parts.size() && count; ++rank)
      std::memcpy(out + rank * count, parts[rank].data(), bytes);
    break;
  case CollectiveKind::Barrier:
    break;
  }
}

helix_status failOutOfMemory(ThreadsComm *comm, const char *what) {
  comm->group->world->fail("helix_comm: world rank " +
                           std::to_string(comm->group->worldRanks[comm->rank]) +
                           " ran out of memory in " + what);
  return HELIX_ERROR_COMM;
}

helix_status threadsStart(helix_comm *base, const CollectiveArgs &args,
                          helix_comm_request **request) {
  ThreadsComm *comm = self(base);
  try {
    size_t floats = size_t(args.count);
    if (args.kind == CollectiveKind::AllToAll)
      floats *= size_t(comm->size);
    std::vector<float> contribution(args.in, args.in + floats);
    std::shared_ptr<Operation> op;
    uint64_t sequence = 0;
    if (helix_status status =
            join(comm, {false, args.kind, args.count}, std::move(contribution),
                 0, 0, &op, &sequence))
      return status;
    *request = new ThreadsRequest(comm->group, std::move(op), sequence,
                                  comm->rank, args.out);
    return HELIX_OK;
  } catch (const std::bad_alloc &) {
    return failOutOfMemory(comm, collectiveName(args.kind));
  }
}

helix_status threadsWait(helix_comm_request *base) {
  std::unique_ptr<ThreadsRequest> request(static_cast<ThreadsRequest *>(base));
  {
    std::unique_lock<std::mutex> lock(request->group->world->mutex);
    if (helix_status status = awaitAll(*request, lock))
      return status;
  }
  // Complete operations are immutable; read them without the lock.
  finish(*request);
  return HELIX_OK;
}

// Builds the groups of a complete split once; caller holds the world mutex.
void buildSplitGroups(Operation &op, const Group &parent) {
  if (!op.newGroups.empty())
    return;
  assignSplitGroups(op, parent, op.colors, op.keys);
}

helix_status threadsSplit(helix_comm *base, int32_t color, int32_t key,
                          helix_comm **out) {
  ThreadsComm *comm = self(base);
  try {
    std::shared_ptr<Operation> op;
    uint64_t sequence = 0;
    if (helix_status status = join(comm, {true, CollectiveKind::Barrier, 0}, {},
                                   color, key, &op, &sequence))
      return status;
    ThreadsRequest request(comm->group, std::move(op), sequence, comm->rank,
                           nullptr);
    std::shared_ptr<Group> group;
    int32_t newRank = -1;
    {
      std::unique_lock<std::mutex> lock(comm->group->world->mutex);
      if (helix_status status = awaitAll(request, lock))
        return status;
      buildSplitGroups(*request.op, *comm->group);
      group = request.op->newGroups[comm->rank];
      newRank = request.op->newRanks[comm->rank];
    }
    if (group)
      *out = new ThreadsComm(std::move(group), newRank);
    return HELIX_OK;
  } catch (const std::bad_alloc &) {
    return failOutOfMemory(comm, "split");
  }
}

void threadsAbort(helix_comm *comm, const char *reason) {
  self(comm)->group->world->fail(reason);
}

const char *threadsWorldError(const helix_comm *comm) {
  const World &world = *static_cast<const ThreadsComm *>(comm)->group->world;
  return world.failed.load(std::memory_order_acquire) ? world.reason.c_str()
                                                      : nullptr;
}

void threadsDestroy(helix_comm *comm) { delete self(comm); }

const CommOps threadsOps = {"threads",     threadsSplit, threadsStart,
                            threadsWait,   threadsAbort, threadsWorldError,
                            threadsDestroy};

} // namespace

namespace {

// HELIX_COMM_SPIN_US overrides; by default 50 us when every rank has a core
// of its own, else 0 (a spinning rank would take the core its peer needs).
std::chrono::microseconds spinFor(int32_t worldSize) {
  if (const char *text = std::getenv("HELIX_COMM_SPIN_US"))
    return std::chrono::microseconds(std::max(0LL, std::atoll(text)));
  const unsigned cores = std::thread::hardware_concurrency();
  return std::chrono::microseconds(
      cores >= unsigned(worldSize) && worldSize > 1 ? 50 : 0);
}

} // namespace

helix_status helix_rt::comm::threadsCreate(int32_t worldSize, int64_t timeoutMs,
                                           helix_comm **ranks) {
  if (timeoutMs == 0)
    timeoutMs = kDefaultTimeoutMs;
  timeoutMs = std::min(timeoutMs, kMaxTimeoutMs);
  std::vector<std::unique_ptr<ThreadsComm>> endpoints;
  try {
    std::vector<int32_t> worldRanks(worldSize);
    for (int32_t rank = 0; rank < worldSize; ++rank)
      worldRanks[rank] = rank;
    auto group = std::make_shared<Group>(
        std::make_shared<World>(worldSize, timeoutMs, spinFor(worldSize)),
        std::move(worldRanks));
    for (int32_t rank = 0; rank < worldSize; ++rank)
      endpoints.push_back(std::make_unique<ThreadsComm>(group, rank));
  } catch (const std::bad_alloc &) {
    return setThreadError(HELIX_ERROR_INTERNAL,
                          "helix_comm_threads_create: out of memory");
  }
  for (int32_t rank = 0; rank < worldSize; ++rank)
    ranks[rank] = endpoints[rank].release();
  return HELIX_OK;
}
