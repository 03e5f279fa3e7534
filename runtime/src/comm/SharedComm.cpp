//===- SharedComm.cpp - collectives by pulling from peers' buffers -------===//
//
// The k-th collective an endpoint starts is its group's operation k, as in
// ThreadsComm. Start records "ready" on the caller's compute lane, deposits
// (in, out, ready) in the operation and waits on the host until every rank
// of the group has deposited; then it enqueues on its own comm lane: wait
// for every rank's ready, copy the blocks it needs from the peers' `in`
// into its `out` (all-reduce: into a scratch, then a sum in rank order),
// record "done" and publish it. Nothing waits for the device, so the
// collective overlaps whatever the caller enqueues before its wait (HOP-B).
// Wait makes the compute lane wait for every rank's "done" of the
// operation, its own (out is written) and the peers' (they have read its
// `in`, which the caller may overwrite next).
//
// An event is recorded again only after every rank has enqueued its waits
// for it: each operation takes two events from each rank's pool and the
// last rank to pass wait returns them. The host waits are bounded by the
// world's timeout, and an abort wakes them all.
//
//===----------------------------------------------------------------------===//
#include "SharedComm.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <map>
#include <mutex>
#include <new>
#include <utility>

using namespace helix_rt::comm;

namespace {

using Clock = std::chrono::steady_clock;

constexpr int64_t kMaxTimeoutMs = 365LL * 24 * 3600 * 1000;
constexpr int64_t kDefaultTimeoutMs = 600000;

// One world rank's engine and event pool, shared by all its endpoints.
struct RankState {
  std::unique_ptr<PeerEngine> engine;
  std::vector<void *> events, freeEvents; // under World::mutex
};

struct World {
  World(int64_t timeoutMs, const char *backend)
      : timeout(timeoutMs), backend(backend) {}
  ~World() {
    for (RankState &rank : ranks) {
      std::string ignored;
      rank.engine->bind(ignored);
      rank.engine->drain();
      for (void *event : rank.events)
        rank.engine->destroyEvent(event);
    }
  }

  void failLocked(const std::string &why) {
    if (!failed.load(std::memory_order_relaxed)) {
      reason = why;
      failed.store(true, std::memory_order_release);
    }
    changed.notify_all();
  }
  void fail(const std::string &why) {
    std::lock_guard<std::mutex> lock(mutex);
    failLocked(why);
  }
  bool hasFailed() const { return failed.load(std::memory_order_relaxed); }

  std::mutex mutex;
  std::condition_variable changed;
  std::atomic<bool> failed{false};
  std::string reason;
  const std::chrono::milliseconds timeout;
  const char *const backend;
  std::vector<RankState> ranks; // by world rank
};

enum class OpKind { Collective, Split, Exchange };

struct Signature {
  OpKind op;
  CollectiveKind kind;
  int64_t count;
  bool operator==(const Signature &o) const {
    return op == o.op && kind == o.kind && count == o.count;
  }
  std::string describe() const {
    if (op == OpKind::Split)
      return "split";
    if (op == OpKind::Exchange)
      return "host exchange";
    return std::string(collectiveName(kind)) + "(count " +
           std::to_string(count) + ")";
  }
};

struct Group;

// One rank's part of an operation; immutable once everyone deposited,
// except `done`, written once before `pulled` counts it.
struct Part {
  bool deposited = false, pulled = false;
  const float *in = nullptr;
  float *out = nullptr;
  int device = 0;
  PeerEvent ready, done;
  int32_t color = 0, key = 0;
  int64_t value = 0;
};

struct Operation {
  Operation(const Signature &s, int32_t size, int32_t firstRank)
      : signature(s), firstRank(firstRank), parts(size) {}
  const Signature signature;
  const int32_t firstRank;
  int32_t deposited = 0, pulled = 0, waited = 0;
  std::vector<Part> parts;
  std::vector<std::shared_ptr<Group>> newGroups; // split, per parent rank
  std::vector<int32_t> newRanks;
};

struct Group {
  Group(std::shared_ptr<World> world, std::vector<int32_t> worldRanks)
      : world(std::move(world)), worldRanks(std::move(worldRanks)) {}
  int32_t size() const { return int32_t(worldRanks.size()); }
  const std::shared_ptr<World> world;
  const std::vector<int32_t> worldRanks;
  std::map<uint64_t, std::shared_ptr<Operation>> pending; // under mutex
};

extern const CommOps sharedCudaOps, sharedHostOps;

struct SharedComm : helix_comm {
  SharedComm(const CommOps *ops, std::shared_ptr<Group> group, int32_t rank)
      : helix_comm(ops, rank, group->size()), group(std::move(group)) {}
  RankState &state() { return group->world->ranks[group->worldRanks[rank]]; }
  const std::shared_ptr<Group> group;
  uint64_t nextSequence = 0;
};

struct SharedRequest : helix_comm_request {
  SharedRequest(const CommOps *ops, SharedComm *comm,
                std::shared_ptr<Operation> op, uint64_t sequence,
                float *staged)
      : helix_comm_request(ops), comm(comm), op(std::move(op)),
        sequence(sequence), staged(staged) {}
  SharedComm *const comm;
  const std::shared_ptr<Operation> op;
  const uint64_t sequence;
  float *const staged; // in's copy when in == out; freed at wait
};

SharedComm *self(helix_comm *comm) { return static_cast<SharedComm *>(comm); }

std::string describeGroup(const Group &group) {
  return helix_rt::comm::describeGroup(group.worldRanks,
                                       int32_t(group.world->ranks.size()));
}

std::string where(const SharedComm &comm, const Operation &op,
                  uint64_t sequence) {
  return op.signature.describe() + " #" + std::to_string(sequence) + " on " +
         describeGroup(*comm.group);
}

// Deposits `part` as this rank's share of the endpoint's next operation.
helix_status join(SharedComm *comm, const Signature &signature,
                  const Part &part, std::shared_ptr<Operation> *opOut,
                  uint64_t *sequenceOut) {
  Group &group = *comm->group;
  World &world = *group.world;
  std::lock_guard<std::mutex> lock(world.mutex);
  if (world.hasFailed())
    return HELIX_ERROR_COMM;
  uint64_t sequence = comm->nextSequence++;
  std::shared_ptr<Operation> &slot = group.pending[sequence];
  if (!slot)
    slot = std::make_shared<Operation>(signature, group.size(), comm->rank);
  std::shared_ptr<Operation> op = slot;
  if (!(op->signature == signature)) {
    world.failLocked("helix_comm(" + std::string(world.backend) +
                     "): mismatched collectives #" + std::to_string(sequence) +
                     " on " + describeGroup(group) + ": rank " +
                     std::to_string(op->firstRank) + " called " +
                     op->signature.describe() + " but rank " +
                     std::to_string(comm->rank) + " called " +
                     signature.describe());
    return HELIX_ERROR_COMM;
  }
  op->parts[comm->rank] = part;
  op->parts[comm->rank].deposited = true;
  if (++op->deposited == group.size()) {
    group.pending.erase(sequence);
    world.changed.notify_all();
  }
  *opOut = std::move(op);
  *sequenceOut = sequence;
  return HELIX_OK;
}

// Blocks (lock held) until `field` of every part is set; fails the world
// with the missing ranks at the deadline.
helix_status awaitAll(SharedComm &comm, const Operation &op, uint64_t sequence,
                      bool Part::*field, const char *what,
                      std::unique_lock<std::mutex> &lock) {
  const Group &group = *comm.group;
  World &world = *group.world;
  auto missing = [&] {
    std::vector<int32_t> ranks;
    for (int32_t r = 0; r < group.size(); ++r)
      if (!(op.parts[r].*field))
        ranks.push_back(r);
    return ranks;
  };
  Clock::time_point deadline = Clock::now() + world.timeout;
  while (!world.hasFailed() && !missing().empty()) {
    if (world.changed.wait_until(lock, deadline) != std::cv_status::timeout)
      continue;
    std::vector<int32_t> late = missing();
    if (world.hasFailed() || late.empty())
      break;
    world.failLocked("helix_comm(" + std::string(world.backend) + "): " +
                     where(comm, op, sequence) + " timed out after " +
                     std::to_string(world.timeout.count()) + " ms on rank " +
                     std::to_string(comm.rank) + ": " +
                     describeRanks(late, group.worldRanks) + " did not " +
                     what);
  }
  return world.hasFailed() ? HELIX_ERROR_COMM : HELIX_OK;
}

helix_status engineFailure(SharedComm &comm, const std::string &what,
                           const std::string &error) {
  World &world = *comm.group->world;
  world.fail("helix_comm(" + std::string(world.backend) + "): world rank " +
             std::to_string(comm.group->worldRanks[comm.rank]) + ": " + what +
             ": " + error);
  return HELIX_ERROR_COMM;
}

void *takeEvent(SharedComm &comm, std::string &error) {
  RankState &state = comm.state();
  {
    std::lock_guard<std::mutex> lock(comm.group->world->mutex);
    if (!state.freeEvents.empty()) {
      void *event = state.freeEvents.back();
      state.freeEvents.pop_back();
      return event;
    }
  }
  void *event = state.engine->createEvent(error);
  if (event) {
    std::lock_guard<std::mutex> lock(comm.group->world->mutex);
    state.events.push_back(event);
  }
  return event;
}

// Enqueues this rank's pull of a complete operation on its comm lane.
bool pull(SharedComm &comm, const Operation &op, const Part &mine,
          std::string &error) {
  PeerEngine &engine = *comm.state().engine;
  const std::vector<Part> &parts = op.parts;
  int32_t size = comm.size;
  int64_t count = op.signature.count;
  for (const Part &part : parts)
    if (!engine.waitFor(Lane::Comm, part.ready, error))
      return false;
  if (count == 0)
    return true;
  switch (op.signature.kind) {
  case CollectiveKind::AllToAll:
    for (int32_t j = 0; j < size; ++j)
      if (!engine.copy(Lane::Comm, mine.out + int64_t(j) * count,
                       parts[j].in + int64_t(comm.rank) * count,
                       parts[j].device, count, error))
        return false;
    return true;
  case CollectiveKind::AllGather:
    for (int32_t j = 0; j < size; ++j)
      if (!engine.copy(Lane::Comm, mine.out + int64_t(j) * count, parts[j].in,
                       parts[j].device, count, error))
        return false;
    return true;
  case CollectiveKind::AllReduceSum: {
    // Every rank adds the same blocks in rank order: identical sums.
    float *blocks = engine.allocTemp(Lane::Comm, int64_t(size) * count, error);
    if (!blocks)
      return false;
    bool ok = true;
    for (int32_t j = 0; j < size && ok; ++j)
      ok = engine.copy(Lane::Comm, blocks + int64_t(j) * count, parts[j].in,
                       parts[j].device, count, error);
    ok = ok && engine.sumBlocks(Lane::Comm, mine.out, blocks, size, count,
                                error);
    std::string freeError;
    if (!engine.freeTemp(Lane::Comm, blocks, freeError) && ok) {
      error = freeError;
      ok = false;
    }
    return ok;
  }
  case CollectiveKind::Barrier:
    return true;
  }
  return true;
}

helix_status sharedStart(helix_comm *base, const CollectiveArgs &args,
                         helix_comm_request **request) {
  SharedComm *comm = self(base);
  World &world = *comm->group->world;
  if (world.hasFailed())
    return HELIX_ERROR_COMM;
  PeerEngine &engine = *comm->state().engine;
  const char *name = collectiveName(args.kind);
  std::string error;
  if (!engine.bind(error))
    return engineFailure(*comm, name, error);
  Part part;
  part.in = args.in;
  part.out = args.out;
  part.device = engine.device();
  // In place (all-reduce only): peers read `in` while this rank writes
  // `out`, so they read a copy made on the compute lane.
  float *staged = nullptr;
  if (args.count > 0 && args.in == args.out) {
    staged = engine.allocTemp(Lane::Compute, args.count, error);
    if (!staged || !engine.copy(Lane::Compute, staged, args.in, part.device,
                                args.count, error))
      return engineFailure(*comm, std::string(name) + " (staging in)", error);
    part.in = staged;
  }
  part.ready.handle = takeEvent(*comm, error);
  part.done.handle = part.ready.handle ? takeEvent(*comm, error) : nullptr;
  if (!part.done.handle ||
      !engine.record(Lane::Compute, part.ready.handle, part.ready.token, error))
    return engineFailure(*comm, name, error);
  std::shared_ptr<Operation> op;
  uint64_t sequence = 0;
  if (helix_status s = join(comm, {OpKind::Collective, args.kind, args.count},
                            part, &op, &sequence))
    return s;
  {
    std::unique_lock<std::mutex> lock(world.mutex);
    if (helix_status s = awaitAll(*comm, *op, sequence, &Part::deposited,
                                  "start it", lock))
      return s;
  }
  // Deposits of a complete operation are immutable: read without the lock.
  uint64_t doneToken = 0;
  if (!pull(*comm, *op, op->parts[comm->rank], error) ||
      !engine.record(Lane::Comm, part.done.handle, doneToken, error))
    return engineFailure(*comm, where(*comm, *op, sequence), error);
  {
    std::lock_guard<std::mutex> lock(world.mutex);
    Part &mine = op->parts[comm->rank];
    mine.done.token = doneToken;
    mine.pulled = true;
    if (++op->pulled == comm->size)
      world.changed.notify_all();
  }
  try {
    *request = new SharedRequest(comm->ops, comm, std::move(op), sequence,
                                 staged);
  } catch (const std::bad_alloc &) {
    return engineFailure(*comm, name, "out of memory");
  }
  return HELIX_OK;
}

helix_status sharedWait(helix_comm_request *base) {
  std::unique_ptr<SharedRequest> request(static_cast<SharedRequest *>(base));
  SharedComm &comm = *request->comm;
  World &world = *comm.group->world;
  Operation &op = *request->op;
  PeerEngine &engine = *comm.state().engine;
  {
    std::unique_lock<std::mutex> lock(world.mutex);
    if (helix_status s = awaitAll(comm, op, request->sequence, &Part::pulled,
                                  "enqueue their copies", lock))
      return s;
  }
  std::string error;
  bool ok = engine.bind(error);
  for (size_t j = 0; ok && j < op.parts.size(); ++j)
    ok = engine.waitFor(Lane::Compute, op.parts[j].done, error);
  // After the peers' copies on the compute lane: stream-ordered free.
  if (ok && request->staged)
    ok = engine.freeTemp(Lane::Compute, request->staged, error);
  if (!ok)
    return engineFailure(comm, where(comm, op, request->sequence), error);
  std::lock_guard<std::mutex> lock(world.mutex);
  if (++op.waited == comm.size) {
    // Every rank has enqueued its waits for these events: reusable.
    for (int32_t j = 0; j < comm.size; ++j) {
      RankState &owner = world.ranks[comm.group->worldRanks[j]];
      owner.freeEvents.push_back(op.parts[j].ready.handle);
      owner.freeEvents.push_back(op.parts[j].done.handle);
    }
  }
  return world.hasFailed() ? HELIX_ERROR_COMM : HELIX_OK;
}

// Host-only operation (split, exchange): deposit, then wait for everyone.
helix_status hostOperation(SharedComm *comm, const Signature &signature,
                           const Part &part, std::shared_ptr<Operation> *op,
                           std::unique_lock<std::mutex> &lock) {
  uint64_t sequence = 0;
  if (helix_status s = join(comm, signature, part, op, &sequence))
    return s;
  lock = std::unique_lock<std::mutex>(comm->group->world->mutex);
  return awaitAll(*comm, **op, sequence, &Part::deposited, "arrive", lock);
}

void buildSplitGroups(Operation &op, const Group &parent) {
  if (!op.newGroups.empty())
    return;
  std::vector<int32_t> colors, keys;
  for (const Part &part : op.parts) {
    colors.push_back(part.color);
    keys.push_back(part.key);
  }
  assignSplitGroups(op, parent, colors, keys);
}

helix_status sharedSplit(helix_comm *base, int32_t color, int32_t key,
                         helix_comm **out) {
  SharedComm *comm = self(base);
  try {
    Part part;
    part.color = color;
    part.key = key;
    std::shared_ptr<Operation> op;
    std::unique_lock<std::mutex> lock;
    if (helix_status s = hostOperation(
            comm, {OpKind::Split, CollectiveKind::Barrier, 0}, part, &op, lock))
      return s;
    buildSplitGroups(*op, *comm->group);
    std::shared_ptr<Group> group = op->newGroups[comm->rank];
    int32_t newRank = op->newRanks[comm->rank];
    lock.unlock();
    if (group)
      *out = new SharedComm(comm->ops, std::move(group), newRank);
    return HELIX_OK;
  } catch (const std::bad_alloc &) {
    return engineFailure(*comm, "split", "out of memory");
  }
}

void sharedAbort(helix_comm *comm, const char *reason) {
  self(comm)->group->world->fail(reason);
}

const char *sharedWorldError(const helix_comm *comm) {
  const World &world = *static_cast<const SharedComm *>(comm)->group->world;
  return world.failed.load(std::memory_order_acquire) ? world.reason.c_str()
                                                      : nullptr;
}

void sharedDestroy(helix_comm *comm) { delete self(comm); }

const CommOps sharedCudaOps = {"shared-cuda",   sharedSplit,
                               sharedStart,     sharedWait,
                               sharedAbort,     sharedWorldError,
                               sharedDestroy};
const CommOps sharedHostOps = {"shared-host",   sharedSplit,
                               sharedStart,     sharedWait,
                               sharedAbort,     sharedWorldError,
                               sharedDestroy};

} // namespace

helix_status helix_rt::comm::sharedCreate(
    const char *backendName, std::vector<std::unique_ptr<PeerEngine>> engines,
    int64_t timeoutMs, helix_comm **ranks) {
  const CommOps *ops = std::string(backendName) == sharedCudaOps.backendName
                           ? &sharedCudaOps
                           : &sharedHostOps;
  if (timeoutMs <= 0) {
    const char *text = std::getenv("HELIX_COMM_TIMEOUT_MS");
    timeoutMs = text ? std::atoll(text) : 0;
  }
  if (timeoutMs <= 0)
    timeoutMs = kDefaultTimeoutMs;
  timeoutMs = std::min(timeoutMs, kMaxTimeoutMs);
  int32_t size = int32_t(engines.size());
  std::vector<std::unique_ptr<SharedComm>> endpoints;
  try {
    auto world = std::make_shared<World>(timeoutMs, ops->backendName);
    world->ranks.resize(engines.size());
    for (size_t r = 0; r < engines.size(); ++r)
      world->ranks[r].engine = std::move(engines[r]);
    std::vector<int32_t> worldRanks(size);
    for (int32_t r = 0; r < size; ++r)
      worldRanks[r] = r;
    auto group = std::make_shared<Group>(world, std::move(worldRanks));
    for (int32_t r = 0; r < size; ++r)
      endpoints.push_back(std::make_unique<SharedComm>(ops, group, r));
  } catch (const std::bad_alloc &) {
    return setThreadError(HELIX_ERROR_INTERNAL,
                          std::string(backendName) + ": out of memory");
  }
  for (int32_t r = 0; r < size; ++r)
    ranks[r] = endpoints[r].release();
  return HELIX_OK;
}

bool helix_rt::comm::isShared(const helix_comm *comm) {
  return comm &&
         (comm->ops == &sharedCudaOps || comm->ops == &sharedHostOps);
}

PeerEngine *helix_rt::comm::sharedEngine(helix_comm *comm) {
  return isShared(comm) ? self(comm)->state().engine.get() : nullptr;
}

helix_status helix_rt::comm::sharedExchange(helix_comm *base, int64_t value,
                                            std::vector<int64_t> &values,
                                            std::vector<int> &devices) {
  SharedComm *comm = self(base);
  try {
    Part part;
    part.value = value;
    part.device = comm->state().engine->device();
    std::shared_ptr<Operation> op;
    std::unique_lock<std::mutex> lock;
    if (helix_status s = hostOperation(
            comm, {OpKind::Exchange, CollectiveKind::Barrier, 0}, part, &op,
            lock))
      return s;
    values.clear();
    devices.clear();
    for (const Part &p : op->parts) {
      values.push_back(p.value);
      devices.push_back(p.device);
    }
    return HELIX_OK;
  } catch (const std::bad_alloc &) {
    return engineFailure(*comm, "host exchange", "out of memory");
  }
}
