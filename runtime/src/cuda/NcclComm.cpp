//===- NcclComm.cpp - helix_comm endpoints over NCCL ----------------------===//
//
// Fills in comm/CommImpl.h's ops table for NCCL. A start and its wait
// overlap the collective with the compute enqueued between them (HOP-B):
// "inputs ready" recorded on the compute stream, waited on by the world's
// comm stream, the NCCL call, "done" (a pooled event per request) recorded
// on the comm stream, waited on by the compute stream. Communicators are non-blocking (config.blocking = 0),
// so no NCCL call can hang the host: every "in progress" is polled against
// the world's deadline, and a failure aborts all of the world's
// communicators.
//
//===----------------------------------------------------------------------===//
#include "NcclWorld.h"
#include "comm/CommImpl.h"

#ifdef HELIX_HAVE_MPI
#include <mpi.h>
#endif

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace helix_rt::comm;

namespace helix_rt::cuda::nccl {

namespace {

using Clock = std::chrono::steady_clock;

extern const CommOps ncclOps;

struct NcclEndpoint;

/// State shared by every endpoint of one world (the process's rank).
struct World {
  int device = 0;
  int64_t timeoutMs = 600000;
  bool pollWait = true;
  bool mpiBootstrap = false;
  cudaStream_t commStream = nullptr; // shared: one collective order
  std::mutex mutex;
  std::atomic<bool> failed{false};
  std::string reason;
  std::vector<NcclEndpoint *> endpoints; // live ones, for abort
};

struct NcclEndpoint : helix_comm {
  NcclEndpoint(std::shared_ptr<World> world, ncclComm_t comm, int32_t rank,
               int32_t size)
      : helix_comm(&ncclOps, rank, size), world(std::move(world)),
        comm(comm) {}

  std::shared_ptr<World> world;
  ncclComm_t comm;
  cudaStream_t compute = nullptr;
  cudaEvent_t ready = nullptr; // re-recorded per start: waits copy state
  float *barrierScratch = nullptr;
  std::vector<cudaEvent_t> freeEvents;
  struct InFlight {
    cudaEvent_t done;
    Clock::time_point deadline;
    CollectiveKind kind;
  };
  std::vector<InFlight> inFlight; // poll_wait = 0: waited but not checked
};

struct NcclRequest : helix_comm_request {
  NcclRequest(NcclEndpoint *endpoint, CollectiveKind kind, cudaEvent_t done)
      : helix_comm_request(&ncclOps), endpoint(endpoint), kind(kind),
        done(done), deadline(Clock::now() + std::chrono::milliseconds(
                                                endpoint->world->timeoutMs)) {}
  NcclEndpoint *endpoint;
  CollectiveKind kind;
  cudaEvent_t done;
  Clock::time_point deadline;
};

NcclEndpoint *self(helix_comm *comm) { return static_cast<NcclEndpoint *>(comm); }

/// Fails the world once: aborts every communicator so that no NCCL kernel
/// keeps waiting for a peer, and (MPI bootstrap) ends the job.
helix_status failWorld(World &world, const std::string &why, bool endJob) {
  {
    std::lock_guard<std::mutex> lock(world.mutex);
    if (!world.failed.load(std::memory_order_relaxed)) {
      world.reason = why;
      world.failed.store(true, std::memory_order_release);
      std::fprintf(stderr, "helix_comm(nccl): %s\n", why.c_str());
      for (NcclEndpoint *e : world.endpoints)
        if (e->comm) {
          ncclCommAbort(e->comm);
          e->comm = nullptr;
        }
    }
  }
#ifdef HELIX_HAVE_MPI
  if (endJob && world.mpiBootstrap) {
    int initialized = 0, finalized = 0;
    MPI_Initialized(&initialized);
    MPI_Finalized(&finalized);
    if (initialized && !finalized)
      MPI_Abort(MPI_COMM_WORLD, 1);
  }
#else
  (void)endJob;
#endif
  return HELIX_ERROR_COMM;
}

helix_status cudaFailure(World &world, cudaError_t code, const char *call) {
  return failWorld(world,
                   std::string(call) + " failed: " + cudaGetErrorString(code),
                   false);
}

/// Waits until `comm` has no NCCL operation "in progress" (non-blocking
/// communicators return ncclInProgress from init, split and group end).
helix_status settle(World &world, ncclComm_t comm, ncclResult_t result,
                    const char *call) {
  const Clock::time_point deadline =
      Clock::now() + std::chrono::milliseconds(world.timeoutMs);
  while (result == ncclInProgress) {
    if (Clock::now() > deadline)
      return failWorld(world,
                       std::string(call) + " timed out after " +
                           std::to_string(world.timeoutMs) + " ms",
                       true);
    std::this_thread::yield();
    if (ncclCommGetAsyncError(comm, &result) != ncclSuccess)
      break;
  }
  if (result != ncclSuccess)
    return failWorld(world,
                     std::string(call) + " failed: " +
                         ncclGetErrorString(result) + " (" +
                         ncclGetLastError(comm) + ")",
                     false);
  return HELIX_OK;
}

/// cudaEventQuery, with "not ready" cleared from the thread's last error:
/// the runtime keeps that answer as a sticky error otherwise, and the next
/// launch check (cudaGetLastError) would report it as the launch's failure.
cudaError_t queryEvent(cudaEvent_t event) {
  const cudaError_t q = cudaEventQuery(event);
  if (q == cudaErrorNotReady)
    (void)cudaGetLastError();
  return q;
}

/// Waits until `comm` accepts a new call: NCCL refuses any call on a
/// non-blocking communicator whose async state reads "in progress" (an
/// init's or split's background job, lazy connection setup) as an invalid
/// argument, so every call is preceded by this, as PyTorch does.
helix_status ready(World &world, ncclComm_t comm, const char *call) {
  return settle(world, comm, ncclInProgress, call);
}

cudaEvent_t takeEvent(NcclEndpoint *e) {
  if (!e->freeEvents.empty()) {
    cudaEvent_t ev = e->freeEvents.back();
    e->freeEvents.pop_back();
    return ev;
  }
  cudaEvent_t ev = nullptr;
  if (cudaEventCreateWithFlags(&ev, cudaEventDisableTiming) != cudaSuccess)
    return nullptr;
  return ev;
}

/// Polls one completion event until done, an NCCL async error or its
/// deadline.
helix_status pollDone(NcclEndpoint *e, cudaEvent_t done,
                      Clock::time_point deadline, CollectiveKind kind,
                      bool block) {
  World &world = *e->world;
  for (;;) {
    if (world.failed.load(std::memory_order_acquire))
      return HELIX_ERROR_COMM;
    const cudaError_t q = queryEvent(done);
    if (q == cudaSuccess)
      return HELIX_OK;
    if (q != cudaErrorNotReady)
      return cudaFailure(world, q, "cudaEventQuery");
    ncclResult_t async = ncclSuccess;
    if (e->comm && ncclCommGetAsyncError(e->comm, &async) == ncclSuccess &&
        async != ncclSuccess && async != ncclInProgress)
      return failWorld(world,
                       std::string(collectiveName(kind)) + " failed: " +
                           ncclGetErrorString(async),
                       false);
    if (Clock::now() > deadline)
      return failWorld(world,
                       std::string(collectiveName(kind)) + " timed out after " +
                           std::to_string(world.timeoutMs) + " ms on rank " +
                           std::to_string(e->rank) + " of a " +
                           std::to_string(e->size) +
                           "-rank communicator (some rank did not arrive)",
                       true);
    if (!block)
      return HELIX_OK; // still running, within its deadline
    std::this_thread::sleep_for(std::chrono::microseconds(20));
  }
}

/// Checks the collectives waited on without polling (poll_wait = 0).
helix_status checkInFlight(NcclEndpoint *e) {
  auto &list = e->inFlight;
  for (size_t i = 0; i < list.size();) {
    if (helix_status s =
            pollDone(e, list[i].done, list[i].deadline, list[i].kind, false))
      return s;
    if (queryEvent(list[i].done) == cudaSuccess) {
      e->freeEvents.push_back(list[i].done);
      list[i] = list.back();
      list.pop_back();
    } else {
      ++i;
    }
  }
  return HELIX_OK;
}

helix_status enqueue(NcclEndpoint *e, const CollectiveArgs &a) {
  const cudaStream_t s = e->world->commStream;
  if (helix_status status = ready(*e->world, e->comm, collectiveName(a.kind)))
    return status;
  ncclResult_t r = ncclSuccess;
  switch (a.kind) {
  case CollectiveKind::AllReduceSum:
    r = ncclAllReduce(a.in, a.out, size_t(a.count), ncclFloat32, ncclSum,
                      e->comm, s);
    break;
  case CollectiveKind::AllGather:
    r = ncclAllGather(a.in, a.out, size_t(a.count), ncclFloat32, e->comm, s);
    break;
  case CollectiveKind::Barrier:
    r = ncclAllReduce(e->barrierScratch, e->barrierScratch, 1, ncclFloat32,
                      ncclSum, e->comm, s);
    break;
  case CollectiveKind::AllToAll: {
    // Block j of `in` goes to peer j; block j of `out` comes from it.
    r = ncclGroupStart();
    for (int32_t j = 0; j < e->size && r == ncclSuccess; ++j) {
      r = ncclSend(a.in + int64_t(j) * a.count, size_t(a.count), ncclFloat32,
                   j, e->comm, s);
      if (r == ncclSuccess)
        r = ncclRecv(a.out + int64_t(j) * a.count, size_t(a.count),
                     ncclFloat32, j, e->comm, s);
    }
    const ncclResult_t end = ncclGroupEnd();
    if (r == ncclSuccess)
      r = end;
    break;
  }
  }
  return settle(*e->world, e->comm, r, collectiveName(a.kind));
}

helix_status ncclStart(helix_comm *base, const CollectiveArgs &args,
                       helix_comm_request **request) {
  NcclEndpoint *e = self(base);
  World &world = *e->world;
  if (world.failed.load(std::memory_order_acquire) || !e->comm)
    return HELIX_ERROR_COMM;
  if (helix_status s = checkInFlight(e))
    return s;
  if (cudaError_t c = cudaSetDevice(world.device))
    return cudaFailure(world, c, "cudaSetDevice");
  cudaEvent_t done = takeEvent(e);
  if (!done)
    return cudaFailure(world, cudaErrorMemoryAllocation, "cudaEventCreate");
  cudaError_t c = cudaEventRecord(e->ready, e->compute);
  if (c == cudaSuccess)
    c = cudaStreamWaitEvent(world.commStream, e->ready, 0);
  if (c != cudaSuccess) {
    e->freeEvents.push_back(done);
    return cudaFailure(world, c, "ordering the comm stream after compute");
  }
  if (helix_status s = enqueue(e, args)) {
    e->freeEvents.push_back(done);
    return s;
  }
  if ((c = cudaEventRecord(done, world.commStream)) != cudaSuccess) {
    e->freeEvents.push_back(done);
    return cudaFailure(world, c, "cudaEventRecord");
  }
  *request = new NcclRequest(e, args.kind, done);
  return HELIX_OK;
}

helix_status ncclWait(helix_comm_request *base) {
  auto *request = static_cast<NcclRequest *>(base);
  NcclEndpoint *e = request->endpoint;
  World &world = *e->world;
  helix_status status = HELIX_OK;
  // Compute waits for the collective even on a failed world, so a staging
  // buffer is not reused while an aborting NCCL kernel still reads it.
  const cudaError_t ordered = cudaStreamWaitEvent(e->compute, request->done, 0);
  if (world.failed.load(std::memory_order_acquire))
    status = HELIX_ERROR_COMM;
  else if (ordered != cudaSuccess)
    status = cudaFailure(world, ordered, "ordering compute after the collective");
  else if (world.pollWait)
    status = pollDone(e, request->done, request->deadline, request->kind,
                      true);
  if (status == HELIX_OK && !world.pollWait)
    e->inFlight.push_back({request->done, request->deadline, request->kind});
  else
    e->freeEvents.push_back(request->done);
  delete request;
  return status;
}

helix_status makeEndpoint(std::shared_ptr<World> world, ncclComm_t comm,
                          cudaStream_t compute, helix_comm **out) {
  int rank = 0, size = 0;
  if (ncclCommUserRank(comm, &rank) != ncclSuccess ||
      ncclCommCount(comm, &size) != ncclSuccess) {
    ncclCommAbort(comm);
    return failWorld(*world, "cannot read an NCCL communicator's rank", false);
  }
  auto *e = new NcclEndpoint(world, comm, rank, size);
  e->compute = compute;
  cudaError_t c = cudaEventCreateWithFlags(&e->ready, cudaEventDisableTiming);
  if (c == cudaSuccess)
    c = cudaMalloc(&e->barrierScratch, sizeof(float));
  if (c != cudaSuccess) {
    cudaEventDestroy(e->ready);
    ncclCommAbort(comm);
    delete e;
    return cudaFailure(*world, c, "setting up an NCCL endpoint");
  }
  std::lock_guard<std::mutex> lock(world->mutex);
  world->endpoints.push_back(e);
  *out = e;
  return HELIX_OK;
}

ncclConfig_t nonBlockingConfig() {
  ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
  config.blocking = 0; // every call returns; we poll with a deadline
  return config;
}

/// Color of the throwaway communicator that ranks in no group join: a
/// non-blocking NCCL_SPLIT_NOCOLOR split gives its caller no sign of when
/// NCCL's background job is done with the parent, a child does.
constexpr int kNoGroupColor = 0x7ffffff0;

helix_status ncclSplit(helix_comm *base, int32_t color, int32_t key,
                       helix_comm **out) {
  NcclEndpoint *e = self(base);
  World &world = *e->world;
  if (world.failed.load(std::memory_order_acquire) || !e->comm)
    return HELIX_ERROR_COMM;
  if (helix_status s = ready(world, e->comm, "ncclCommSplit"))
    return s;
  ncclConfig_t config = nonBlockingConfig();
  // Non-blocking split: NCCL's background job writes the child handle when
  // the child exists, possibly after ncclCommSplit returned and without
  // marking the parent busy, so the handle lives on the heap (the job may
  // outlive a caller that gave up) and is polled against the deadline.
  auto *slot = new ncclComm_t(nullptr);
  ncclResult_t r = ncclCommSplit(e->comm, color < 0 ? kNoGroupColor : color,
                                 key, slot, &config);
  if (r != ncclSuccess && r != ncclInProgress) {
    delete slot;
    return settle(world, e->comm, r, "ncclCommSplit");
  }
  const Clock::time_point deadline =
      Clock::now() + std::chrono::milliseconds(world.timeoutMs);
  ncclComm_t child = nullptr;
  while (!(child = __atomic_load_n(slot, __ATOMIC_ACQUIRE))) {
    if (world.failed.load(std::memory_order_acquire))
      return HELIX_ERROR_COMM; // slot left to the job
    if (Clock::now() > deadline)
      return failWorld(world,
                       "ncclCommSplit timed out after " +
                           std::to_string(world.timeoutMs) +
                           " ms (some rank did not arrive)",
                       true);
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  delete slot;
  if (helix_status s = settle(world, child, ncclInProgress, "ncclCommSplit")) {
    ncclCommAbort(child); // not yet an endpoint, so the world's abort missed it
    return s;
  }
  if (helix_status s = ready(world, e->comm, "ncclCommSplit")) {
    ncclCommAbort(child);
    return s;
  }
  if (color < 0) { // in no group: the throwaway communicator goes
    ncclCommDestroy(child);
    return HELIX_OK;
  }
  return makeEndpoint(e->world, child, e->compute, out);
}

void ncclAbortOp(helix_comm *base, const char *reason) {
  failWorld(*self(base)->world, reason, true);
}

const char *ncclWorldError(const helix_comm *base) {
  const World &world = *static_cast<const NcclEndpoint *>(base)->world;
  return world.failed.load(std::memory_order_acquire) ? world.reason.c_str()
                                                      : nullptr;
}

void ncclDestroy(helix_comm *base) {
  NcclEndpoint *e = self(base);
  std::shared_ptr<World> world = e->world;
  {
    std::lock_guard<std::mutex> lock(world->mutex);
    auto &list = world->endpoints;
    list.erase(std::remove(list.begin(), list.end(), e), list.end());
  }
  if (e->comm) {
    // A healthy world finishes its queued collectives first.
    cudaStreamSynchronize(world->commStream);
    ncclCommDestroy(e->comm);
  }
  for (auto &f : e->inFlight)
    cudaEventDestroy(f.done);
  for (cudaEvent_t ev : e->freeEvents)
    cudaEventDestroy(ev);
  cudaEventDestroy(e->ready);
  cudaFree(e->barrierScratch);
  const bool last = world->endpoints.empty();
  delete e;
  if (last && world->commStream) {
    cudaStreamDestroy(world->commStream);
    world->commStream = nullptr;
  }
}

const CommOps ncclOps = {"nccl",     ncclSplit,      ncclStart,  ncclWait,
                         ncclAbortOp, ncclWorldError, ncclDestroy};

} // namespace

helix_status createWorld(int32_t rank, int32_t size, const ncclUniqueId &id,
                         int device, const helix_nccl_options &options,
                         bool mpiBootstrap, helix_comm **out) {
  auto world = std::make_shared<World>();
  world->device = device;
  world->pollWait = options.poll_wait != 0;
  world->mpiBootstrap = mpiBootstrap;
  int64_t timeout = options.timeout_ms;
  if (timeout <= 0) {
    const char *text = std::getenv("HELIX_COMM_TIMEOUT_MS");
    timeout = text ? std::atoll(text) : 0;
  }
  world->timeoutMs = timeout > 0 ? timeout : 600000;
  if (cudaError_t c = cudaSetDevice(device))
    return bootstrapError(HELIX_ERROR_COMM,
                          std::string("cudaSetDevice(") +
                              std::to_string(device) +
                              "): " + cudaGetErrorString(c));
  if (cudaError_t c = cudaStreamCreateWithFlags(&world->commStream,
                                                cudaStreamNonBlocking))
    return bootstrapError(HELIX_ERROR_COMM,
                          std::string("creating the comm stream: ") +
                              cudaGetErrorString(c));
  ncclConfig_t config = nonBlockingConfig();
  ncclComm_t comm = nullptr;
  ncclResult_t r = ncclCommInitRankConfig(&comm, size, id, rank, &config);
  if (r != ncclSuccess && r != ncclInProgress) {
    cudaStreamDestroy(world->commStream);
    return bootstrapError(HELIX_ERROR_COMM,
                          std::string("ncclCommInitRankConfig: ") +
                              ncclGetErrorString(r));
  }
  if (helix_status s = settle(*world, comm, ncclInProgress,
                              "ncclCommInitRankConfig")) {
    ncclCommAbort(comm);
    cudaStreamDestroy(world->commStream);
    return bootstrapError(s, world->reason);
  }
  if (helix_status s = makeEndpoint(world, comm, nullptr, out)) {
    cudaStreamDestroy(world->commStream);
    return bootstrapError(s, world->reason);
  }
  return HELIX_OK;
}

helix_status bootstrapError(helix_status status, const std::string &message) {
  return setThreadError(status, "helix_comm(nccl): " + message);
}

} // namespace helix_rt::cuda::nccl

using namespace helix_rt::cuda::nccl;

extern "C" {

helix_nccl_options helix_nccl_default_options(void) {
  helix_nccl_options o;
  o.device = -1;
  o.timeout_ms = 0;
  o.poll_wait = 1;
  return o;
}

helix_status helix_comm_nccl_set_stream(helix_comm *comm,
                                        cudaStream_t compute) {
  if (!comm || comm->ops->backendName != std::string("nccl"))
    return setThreadError(HELIX_ERROR_INVALID_ARGUMENT,
                          "helix_comm_nccl_set_stream: not an NCCL endpoint");
  static_cast<NcclEndpoint *>(comm)->compute = compute;
  return HELIX_OK;
}

helix_status helix_comm_nccl_check(helix_comm *comm) {
  if (!comm || comm->ops->backendName != std::string("nccl"))
    return setThreadError(HELIX_ERROR_INVALID_ARGUMENT,
                          "helix_comm_nccl_check: not an NCCL endpoint");
  NcclEndpoint *e = static_cast<NcclEndpoint *>(comm);
  if (e->world->failed.load(std::memory_order_acquire))
    return HELIX_ERROR_COMM;
  if (e->comm) {
    ncclResult_t async = ncclSuccess;
    if (ncclCommGetAsyncError(e->comm, &async) == ncclSuccess &&
        async != ncclSuccess && async != ncclInProgress)
      return failWorld(*e->world,
                       std::string("NCCL async error: ") +
                           ncclGetErrorString(async),
                       false);
  }
  return checkInFlight(e);
}

} // extern "C"
