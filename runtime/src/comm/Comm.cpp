//===- Comm.cpp - the communicator C API, forwarding to backends ----------===//
//
// Arguments are checked here once for every backend; a bad argument fails
// only the calling endpoint (its message is kept in localError), never the
// world. Blocking collectives are start + wait, so backends implement one
// path.
//
//===----------------------------------------------------------------------===//
#include "CommImpl.h"
#include "SharedComm.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <memory>
#include <utility>
#include <vector>

using namespace helix_rt::comm;

namespace {

thread_local std::string threadError;
thread_local int64_t threadCollectives = 0;

std::atomic<int64_t> &injectedLatencyUs() {
  static std::atomic<int64_t> us([] {
    const char *text = std::getenv("HELIX_COMM_LATENCY_US");
    long long value = text ? std::atoll(text) : 0;
    return value > 0 ? int64_t(value) : int64_t(0);
  }());
  return us;
}

int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool hostBackend(const helix_rt::comm::CommOps *ops) {
  return std::strcmp(ops->backendName, "threads") == 0 ||
         std::strcmp(ops->backendName, "mpi") == 0;
}

// The backend's wait, then (with an injected latency) a sleep until the
// collective is `latency` old.
helix_status waitFor(helix_comm_request *request) {
  const int64_t started = request->startedNs;
  const helix_status status = request->ops->wait(request);
  if (started > 0 && status == HELIX_OK) {
    const int64_t until = started + injectedLatencyUs().load() * 1000;
    const int64_t left = until - nowNs();
    if (left > 0)
      std::this_thread::sleep_for(std::chrono::nanoseconds(left));
  }
  return status;
}

helix_status failLocal(helix_comm *comm, helix_status status,
                       std::string message) {
  comm->localError = std::move(message);
  return status;
}

bool overlaps(const float *a, int64_t aCount, const float *b, int64_t bCount) {
  if (aCount == 0 || bCount == 0)
    return false;
  auto aBegin = reinterpret_cast<uintptr_t>(a);
  auto bBegin = reinterpret_cast<uintptr_t>(b);
  return aBegin < bBegin + uintptr_t(bCount) * sizeof(float) &&
         bBegin < aBegin + uintptr_t(aCount) * sizeof(float);
}

// Checks one collective's buffers; `what` names the API call in messages.
helix_status checkCollective(helix_comm *comm, const CollectiveArgs &args,
                             const char *what) {
  if (!comm)
    return setThreadError(HELIX_ERROR_INVALID_ARGUMENT,
                          std::string(what) + ": null communicator");
  if (args.count < 0)
    return failLocal(comm, HELIX_ERROR_INVALID_ARGUMENT,
                     std::string(what) + ": negative count " +
                         std::to_string(args.count));
  // Every buffer must stay byte-addressable: size * count floats.
  if (args.count > INT64_MAX / int64_t(sizeof(float)) / comm->size)
    return failLocal(comm, HELIX_ERROR_INVALID_ARGUMENT,
                     std::string(what) + ": count " +
                         std::to_string(args.count) + " is too large");
  if (args.count > 0 && (!args.in || !args.out))
    return failLocal(comm, HELIX_ERROR_INVALID_ARGUMENT,
                     std::string(what) + ": null buffer");
  int64_t inCount = args.count, outCount = args.count;
  if (args.kind == CollectiveKind::AllToAll)
    inCount = outCount = args.count * comm->size;
  else if (args.kind == CollectiveKind::AllGather)
    outCount = args.count * comm->size;
  bool inPlace = args.kind == CollectiveKind::AllReduceSum &&
                 static_cast<const float *>(args.out) == args.in;
  if (!inPlace && overlaps(args.in, inCount, args.out, outCount))
    return failLocal(comm, HELIX_ERROR_INVALID_ARGUMENT,
                     std::string(what) + ": in and out overlap");
  return HELIX_OK;
}

helix_status start(helix_comm *comm, const CollectiveArgs &args,
                   helix_comm_request **request, const char *what) {
  if (request)
    *request = nullptr;
  if (helix_status status = checkCollective(comm, args, what))
    return status;
  if (!request)
    return failLocal(comm, HELIX_ERROR_INVALID_ARGUMENT,
                     std::string(what) + ": null request");
  ++threadCollectives;
  const bool inject = injectedLatencyUs().load(std::memory_order_relaxed) > 0 &&
                      hostBackend(comm->ops);
  const int64_t started = inject ? nowNs() : 0;
  helix_status status = comm->ops->start(comm, args, request);
  if (status == HELIX_OK && inject)
    (*request)->startedNs = started;
  return status;
}

helix_status run(helix_comm *comm, const CollectiveArgs &args,
                 const char *what) {
  helix_comm_request *request = nullptr;
  if (helix_status status = start(comm, args, &request, what))
    return status;
  return waitFor(request);
}

} // namespace

helix_status helix_rt::comm::setThreadError(helix_status status,
                                            std::string message) {
  threadError = std::move(message);
  return status;
}

std::vector<std::vector<int32_t>>
helix_rt::comm::splitMembers(const std::vector<int32_t> &colors,
                             const std::vector<int32_t> &keys) {
  std::vector<int32_t> order(colors.size());
  for (size_t rank = 0; rank < order.size(); ++rank)
    order[rank] = int32_t(rank);
  // By color, then key, then parent rank: a total order, so std::sort.
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    if (colors[a] != colors[b])
      return colors[a] < colors[b];
    if (keys[a] != keys[b])
      return keys[a] < keys[b];
    return a < b;
  });
  std::vector<std::vector<int32_t>> groups;
  for (size_t begin = 0; begin < order.size();) {
    size_t end = begin;
    while (end < order.size() && colors[order[end]] == colors[order[begin]])
      ++end;
    if (colors[order[begin]] >= 0)
      groups.emplace_back(order.begin() + begin, order.begin() + end);
    begin = end;
  }
  return groups;
}

const char *helix_rt::comm::collectiveName(CollectiveKind kind) {
  switch (kind) {
  case CollectiveKind::AllReduceSum:
    return "all_reduce_sum";
  case CollectiveKind::AllToAll:
    return "all_to_all";
  case CollectiveKind::AllGather:
    return "all_gather";
  case CollectiveKind::Barrier:
    return "barrier";
  }
  return "collective";
}

std::string helix_rt::comm::joinRanks(const std::vector<int32_t> &ranks) {
  std::string text;
  for (int32_t rank : ranks)
    text += (text.empty() ? "" : ", ") + std::to_string(rank);
  return text;
}

std::string
helix_rt::comm::describeGroup(const std::vector<int32_t> &worldRanks,
                              int32_t worldSize) {
  bool isWorld = int32_t(worldRanks.size()) == worldSize;
  for (size_t i = 0; i < worldRanks.size(); ++i)
    isWorld &= worldRanks[i] == int32_t(i);
  if (isWorld)
    return "the world communicator";
  return "a " + std::to_string(worldRanks.size()) +
         "-rank communicator of world ranks " + joinRanks(worldRanks);
}

std::string
helix_rt::comm::describeRanks(const std::vector<int32_t> &ranks,
                              const std::vector<int32_t> &worldRanks) {
  std::vector<int32_t> inWorld;
  for (int32_t rank : ranks)
    inWorld.push_back(worldRanks[rank]);
  return "ranks " + joinRanks(ranks) +
         (inWorld == ranks ? std::string()
                           : " (world ranks " + joinRanks(inWorld) + ")");
}

extern "C" {

helix_status helix_comm_threads_create(int32_t world_size, int64_t timeout_ms,
                                       helix_comm **ranks) {
  if (world_size <= 0)
    return setThreadError(HELIX_ERROR_INVALID_ARGUMENT,
                          "helix_comm_threads_create: world size " +
                              std::to_string(world_size) + " is not positive");
  if (timeout_ms < 0)
    return setThreadError(HELIX_ERROR_INVALID_ARGUMENT,
                          "helix_comm_threads_create: negative timeout");
  if (!ranks)
    return setThreadError(HELIX_ERROR_INVALID_ARGUMENT,
                          "helix_comm_threads_create: null ranks array");
  return threadsCreate(world_size, timeout_ms, ranks);
}

helix_status helix_comm_shared_host_create(int32_t world_size,
                                           int64_t timeout_ms,
                                           helix_comm **ranks) {
  if (world_size <= 0 || timeout_ms < 0 || !ranks)
    return setThreadError(HELIX_ERROR_INVALID_ARGUMENT,
                          "helix_comm_shared_host_create: bad world size, "
                          "timeout or ranks array");
  std::vector<std::unique_ptr<PeerEngine>> engines;
  for (int32_t r = 0; r < world_size; ++r)
    engines.push_back(makeHostPeerEngine(false));
  return sharedCreate("shared-host", std::move(engines), timeout_ms, ranks);
}

#ifdef HELIX_HAVE_MPI
helix_status helix_comm_mpi_create(helix_comm **out) {
  if (!out)
    return setThreadError(HELIX_ERROR_INVALID_ARGUMENT,
                          "helix_comm_mpi_create: null output");
  *out = nullptr;
  return mpiCreate(out);
}

void helix_comm_mpi_finalize(void) { mpiFinalize(); }
#else
helix_status helix_comm_mpi_create(helix_comm **out) {
  if (out)
    *out = nullptr;
  return setThreadError(HELIX_ERROR_INVALID_ARGUMENT,
                        "this runtime was built without MPI");
}

void helix_comm_mpi_finalize(void) {}
#endif

int32_t helix_comm_rank(const helix_comm *comm) {
  return comm ? comm->rank : -1;
}

int32_t helix_comm_size(const helix_comm *comm) {
  return comm ? comm->size : -1;
}

const char *helix_comm_error(const helix_comm *comm) {
  if (!comm)
    return threadError.c_str();
  if (const char *reason = comm->ops->worldError(comm))
    return reason;
  return comm->localError.c_str();
}

helix_status helix_comm_split(helix_comm *comm, int32_t color, int32_t key,
                              helix_comm **out) {
  if (!comm)
    return setThreadError(HELIX_ERROR_INVALID_ARGUMENT,
                          "helix_comm_split: null communicator");
  if (!out)
    return failLocal(comm, HELIX_ERROR_INVALID_ARGUMENT,
                     "helix_comm_split: null output");
  *out = nullptr;
  return comm->ops->split(comm, color, key, out);
}

helix_status helix_comm_all_reduce_sum(helix_comm *comm, const float *in,
                                       float *out, int64_t count) {
  return run(comm, {CollectiveKind::AllReduceSum, in, out, count},
             "helix_comm_all_reduce_sum");
}

helix_status helix_comm_all_to_all(helix_comm *comm, const float *in,
                                   float *out, int64_t count) {
  return run(comm, {CollectiveKind::AllToAll, in, out, count},
             "helix_comm_all_to_all");
}

helix_status helix_comm_all_gather(helix_comm *comm, const float *in,
                                   float *out, int64_t count) {
  return run(comm, {CollectiveKind::AllGather, in, out, count},
             "helix_comm_all_gather");
}

helix_status helix_comm_start_all_reduce_sum(helix_comm *comm, const float *in,
                                             float *out, int64_t count,
                                             helix_comm_request **request) {
  return start(comm, {CollectiveKind::AllReduceSum, in, out, count}, request,
               "helix_comm_start_all_reduce_sum");
}

helix_status helix_comm_start_all_to_all(helix_comm *comm, const float *in,
                                         float *out, int64_t count,
                                         helix_comm_request **request) {
  return start(comm, {CollectiveKind::AllToAll, in, out, count}, request,
               "helix_comm_start_all_to_all");
}

helix_status helix_comm_start_all_gather(helix_comm *comm, const float *in,
                                         float *out, int64_t count,
                                         helix_comm_request **request) {
  return start(comm, {CollectiveKind::AllGather, in, out, count}, request,
               "helix_comm_start_all_gather");
}

helix_status helix_comm_wait(helix_comm_request *request) {
  if (!request)
    return setThreadError(HELIX_ERROR_INVALID_ARGUMENT,
                          "helix_comm_wait: null request");
  return waitFor(request);
}

void helix_comm_set_injected_latency_us(int64_t us) {
  injectedLatencyUs().store(us > 0 ? us : 0);
}

int64_t helix_comm_injected_latency_us(void) {
  return injectedLatencyUs().load();
}

int64_t helix_comm_thread_collectives(void) { return threadCollectives; }

helix_status helix_comm_barrier(helix_comm *comm) {
  return run(comm, {CollectiveKind::Barrier, nullptr, nullptr, 0},
             "helix_comm_barrier");
}

helix_status helix_comm_barrier_timeout(helix_comm *comm, int64_t timeout_ms) {
  helix_comm_request *request = nullptr;
  if (helix_status status =
          start(comm, {CollectiveKind::Barrier, nullptr, nullptr, 0}, &request,
                "helix_comm_barrier_timeout"))
    return status;
  request->timeoutMs = timeout_ms > 0 ? timeout_ms : 0;
  return waitFor(request);
}

void helix_comm_abort(helix_comm *comm, const char *reason) {
  if (comm)
    comm->ops->abort(comm, reason && *reason ? reason : "aborted");
}

void helix_comm_destroy(helix_comm *comm) {
  if (comm)
    comm->ops->destroy(comm);
}

} // extern "C"
