//===- MpiComm.cpp - one rank per process over MPI ------------------------===//
//
// Endpoints wrap MPI communicators with MPI_ERRORS_RETURN, so a failing MPI
// call becomes HELIX_ERROR_COMM with MPI's own message instead of killing
// the job. Start forms are the MPI nonblocking collectives; wait polls
// MPI_Test against the world's timeout (HELIX_COMM_TIMEOUT_MS, default
// 60000: a decode step's collective that waits a minute has a stalled or
// dead peer) because MPI_Wait cannot give up on a peer that never arrives.
// Polling backs off from yielding to sleeping, so a long wait does not hold
// a core; setup waits pass a longer limit (helix_comm_barrier_timeout).
// The "world" is the process: a failure on any endpoint fails them all, and
// an abort ends the whole job through MPI_Abort.
//
//===----------------------------------------------------------------------===//
#include "CommImpl.h"

#include <mpi.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

using namespace helix_rt::comm;

namespace {

using Clock = std::chrono::steady_clock;

constexpr int64_t kDefaultTimeoutMs = 60000;

// The process-wide failure; `reason` is written once before `failed`.
std::mutex failureMutex;
std::atomic<bool> failed{false};
std::string failureReason;

void failProcess(const std::string &why) {
  std::lock_guard<std::mutex> lock(failureMutex);
  if (failed.load(std::memory_order_relaxed))
    return;
  failureReason = why;
  failed.store(true, std::memory_order_release);
}

bool mpiUsable() {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  return initialized && !finalized;
}

helix_status mpiFailure(int code, const std::string &call) {
  char text[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS)
    std::snprintf(text, sizeof(text), "MPI error %d", code);
  failProcess("helix_comm: " + call + " failed: " + text);
  return HELIX_ERROR_COMM;
}

int64_t timeoutMs() {
  static const int64_t value = [] {
    const char *text = std::getenv("HELIX_COMM_TIMEOUT_MS");
    long long parsed = text ? std::atoll(text) : 0;
    return parsed > 0 ? int64_t(parsed) : kDefaultTimeoutMs;
  }();
  return value;
}

int64_t worldRank() {
  static const int64_t rank = [] {
    int r = 0;
    if (mpiUsable())
      MPI_Comm_rank(MPI_COMM_WORLD, &r);
    return int64_t(r);
  }();
  return rank;
}

[[noreturn]] void abortJob(const std::string &reason) {
  static std::once_flag printed;
  std::call_once(printed, [&] {
    // The tools' one error line: MPI_Abort ends every process before any
    // other rank's tool can print its own.
    std::fprintf(stderr, "error: %s (the MPI job is aborted)\n",
                 reason.c_str());
    std::fflush(stderr);
  });
  if (mpiUsable())
    MPI_Abort(MPI_COMM_WORLD, 1);
  std::abort();
}

extern const CommOps mpiOps;

struct MpiComm : helix_comm {
  MpiComm(MPI_Comm comm, int32_t rank, int32_t size)
      : helix_comm(&mpiOps, rank, size), comm(comm) {}

  MPI_Comm comm; // Owned: freed on destroy.
};

struct MpiRequest : helix_comm_request {
  MpiRequest(CollectiveKind kind, int32_t rank, int32_t size)
      : helix_comm_request(&mpiOps), kind(kind), rank(rank), size(size) {}

  MPI_Request request = MPI_REQUEST_NULL;
  const CollectiveKind kind;
  const int32_t rank, size; // In the communicator, for messages.
};

MpiComm *self(helix_comm *comm) { return static_cast<MpiComm *>(comm); }

// Wraps `comm` (already owned) as an endpoint that returns MPI errors.
helix_status wrap(MPI_Comm comm, helix_comm **out) {
  int code = MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
  int rank = 0, size = 0;
  if (code == MPI_SUCCESS)
    code = MPI_Comm_rank(comm, &rank);
  if (code == MPI_SUCCESS)
    code = MPI_Comm_size(comm, &size);
  if (code != MPI_SUCCESS) {
    MPI_Comm_free(&comm);
    return mpiFailure(code, "setting up a communicator");
  }
  *out = new MpiComm(comm, rank, size);
  return HELIX_OK;
}

helix_status mpiSplit(helix_comm *base, int32_t color, int32_t key,
                      helix_comm **out) {
  if (failed.load(std::memory_order_acquire))
    return HELIX_ERROR_COMM;
  MPI_Comm child = MPI_COMM_NULL;
  int code = MPI_Comm_split(self(base)->comm, color < 0 ? MPI_UNDEFINED : color,
                            key, &child);
  if (code != MPI_SUCCESS)
    return mpiFailure(code, "MPI_Comm_split");
  if (child == MPI_COMM_NULL)
    return HELIX_OK;
  return wrap(child, out);
}

helix_status mpiStart(helix_comm *base, const CollectiveArgs &args,
                      helix_comm_request **request) {
  MpiComm *comm = self(base);
  if (failed.load(std::memory_order_acquire))
    return HELIX_ERROR_COMM;
  if (args.count > INT_MAX) {
    comm->localError = std::string(collectiveName(args.kind)) + ": count " +
                       std::to_string(args.count) + " exceeds MPI's int counts";
    return HELIX_ERROR_INVALID_ARGUMENT;
  }
  int count = int(args.count);
  auto pending = new MpiRequest(args.kind, comm->rank, comm->size);
  int code = MPI_SUCCESS;
  const char *call = "";
  switch (args.kind) {
  case CollectiveKind::AllReduceSum:
    call = "MPI_Iallreduce";
    code = MPI_Iallreduce(args.in == args.out ? MPI_IN_PLACE : args.in,
                          args.out, count, MPI_FLOAT, MPI_SUM, comm->comm,
                          &pending->request);
    break;
  case CollectiveKind::AllToAll:
    call = "MPI_Ialltoall";
    code = MPI_Ialltoall(args.in, count, MPI_FLOAT, args.out, count, MPI_FLOAT,
                         comm->comm, &pending->request);
    break;
  case CollectiveKind::AllGather:
    call = "MPI_Iallgather";
    code = MPI_Iallgather(args.in, count, MPI_FLOAT, args.out, count, MPI_FLOAT,
                          comm->comm, &pending->request);
    break;
  case CollectiveKind::Barrier:
    call = "MPI_Ibarrier";
    code = MPI_Ibarrier(comm->comm, &pending->request);
    break;
  }
  if (code != MPI_SUCCESS) {
    delete pending;
    return mpiFailure(code, call);
  }
  *request = pending;
  return HELIX_OK;
}

helix_status mpiWait(helix_comm_request *base) {
  auto *request = static_cast<MpiRequest *>(base);
  const int64_t limit = request->timeoutMs > 0 ? request->timeoutMs : timeoutMs();
  const Clock::time_point start = Clock::now();
  // Staggered by world rank: when a peer stalls, every waiting rank times
  // out, and the lowest live one aborts the job (and prints its one line)
  // before the others reach their deadlines.
  const Clock::time_point deadline =
      start + std::chrono::milliseconds(limit + 250 * worldRank());
  int done = 0;
  int code = MPI_SUCCESS;
  while (!failed.load(std::memory_order_acquire)) {
    code = MPI_Test(&request->request, &done, MPI_STATUS_IGNORE);
    if (code != MPI_SUCCESS || done)
      break;
    const Clock::time_point now = Clock::now();
    if (now > deadline)
      abortJob(std::string(collectiveName(request->kind)) +
               " timed out after " + std::to_string(limit) + " ms on rank " +
               std::to_string(request->rank) + " of a " +
               std::to_string(request->size) +
               "-rank communicator (some rank did not arrive)");
    // Yield for the first 200 us (a collective's usual latency here), then
    // sleep, up to 1 ms, so a stalled peer does not cost a core.
    const auto waited = now - start;
    if (waited < std::chrono::microseconds(200))
      std::this_thread::yield();
    else
      std::this_thread::sleep_for(std::min<Clock::duration>(
          waited / 8, std::chrono::milliseconds(1)));
  }
  CollectiveKind kind = request->kind;
  // An unfinished request of a failed world is left to MPI_Finalize/Abort.
  delete request;
  if (code != MPI_SUCCESS)
    return mpiFailure(code, std::string("waiting for ") + collectiveName(kind));
  return done && !failed.load(std::memory_order_acquire) ? HELIX_OK
                                                         : HELIX_ERROR_COMM;
}

void mpiAbort(helix_comm *, const char *reason) {
  failProcess(reason);
  abortJob(reason);
}

const char *mpiWorldError(const helix_comm *) {
  return failed.load(std::memory_order_acquire) ? failureReason.c_str()
                                                : nullptr;
}

void mpiDestroy(helix_comm *base) {
  MpiComm *comm = self(base);
  if (mpiUsable())
    MPI_Comm_free(&comm->comm);
  delete comm;
}

const CommOps mpiOps = {"mpi",    mpiSplit,      mpiStart,  mpiWait,
                        mpiAbort, mpiWorldError, mpiDestroy};

} // namespace

helix_status helix_rt::comm::mpiCreate(helix_comm **out) {
  int initialized = 0, finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized)
    return setThreadError(HELIX_ERROR_INVALID_ARGUMENT,
                          "helix_comm_mpi_create: MPI was already finalized");
  MPI_Initialized(&initialized);
  if (!initialized) {
    int provided = 0;
    if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided) !=
        MPI_SUCCESS)
      return setThreadError(HELIX_ERROR_COMM,
                            "helix_comm_mpi_create: MPI_Init_thread failed");
  }
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  // A duplicate keeps helix traffic apart from the application's own.
  MPI_Comm world = MPI_COMM_NULL;
  int code = MPI_Comm_dup(MPI_COMM_WORLD, &world);
  helix_status status =
      code == MPI_SUCCESS ? wrap(world, out) : mpiFailure(code, "MPI_Comm_dup");
  if (status != HELIX_OK)
    setThreadError(status, failureReason);
  return status;
}

void helix_rt::comm::mpiFinalize() {
  if (mpiUsable())
    MPI_Finalize();
}
