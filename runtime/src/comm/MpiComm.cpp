//===- MpiComm.cpp - one rank per process over MPI ------------------------===//
//
// Endpoints wrap MPI communicators with MPI_ERRORS_RETURN, so a failing MPI
// call becomes HELIX_ERROR_COMM with MPI's own message instead of killing
// the job. A collective is one nonblocking receive and send per peer rather
// than an MPI collective, so a wait that times out can name the peers whose
// part never came (an MPI collective does not say whom it waits for); the
// all-reduce sums the gathered parts in rank order, as the threads backend
// does. Wait polls MPI_Testall against the world's timeout
// (HELIX_COMM_TIMEOUT_MS, default 60000: a decode step's collective that
// waits a minute has a stalled or dead peer) because MPI_Wait cannot give up
// on a peer that never arrives. Polling backs off from yielding to sleeping,
// so a long wait does not hold a core; setup waits pass a longer limit
// (helix_comm_barrier_timeout).
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
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <thread>
#include <vector>

using namespace helix_rt::comm;

namespace {

using Clock = std::chrono::steady_clock;

constexpr int64_t kDefaultTimeoutMs = 60000;
// Tags cycle through the range every MPI guarantees (MPI_TAG_UB >= 32767).
// Messages of one pair on one communicator match in order anyway; the tag
// keeps collectives apart should ranks ever disagree on their order.
constexpr uint64_t kTagSpace = 32768;

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

int32_t worldSize() {
  static const int32_t size = [] {
    int n = 1;
    if (mpiUsable())
      MPI_Comm_size(MPI_COMM_WORLD, &n);
    return int32_t(n);
  }();
  return size;
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
  MpiComm(MPI_Comm comm, int32_t rank, int32_t size,
          std::shared_ptr<const std::vector<int32_t>> worldRanks)
      : helix_comm(&mpiOps, rank, size), comm(comm),
        worldRanks(std::move(worldRanks)) {}

  MPI_Comm comm; // Owned: freed on destroy.
  // Rank r of the communicator is world rank (*worldRanks)[r]: for messages.
  const std::shared_ptr<const std::vector<int32_t>> worldRanks;
  uint64_t nextSequence = 0;
};

struct MpiRequest : helix_comm_request {
  MpiRequest(const MpiComm &comm, const CollectiveArgs &args)
      : helix_comm_request(&mpiOps), kind(args.kind), count(args.count),
        out(args.out), sequence(comm.nextSequence), rank(comm.rank),
        worldRanks(comm.worldRanks),
        peers(2 * size_t(comm.size), MPI_REQUEST_NULL) {}

  int32_t size() const { return int32_t(worldRanks->size()); }

  const CollectiveKind kind;
  const int64_t count;
  float *const out;
  const uint64_t sequence;
  const int32_t rank;
  const std::shared_ptr<const std::vector<int32_t>> worldRanks;
  // The receive from rank r at r, the send to it at size + r (null for this
  // rank and once complete).
  std::vector<MPI_Request> peers;
  // All-reduce: every rank's part, in rank order, summed at the wait.
  std::vector<float> parts;
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
  // World ranks of the members, for messages.
  auto worldRanks = std::make_shared<std::vector<int32_t>>(size);
  MPI_Group group = MPI_GROUP_NULL, worldGroup = MPI_GROUP_NULL;
  if (code == MPI_SUCCESS)
    code = MPI_Comm_group(comm, &group);
  if (code == MPI_SUCCESS)
    code = MPI_Comm_group(MPI_COMM_WORLD, &worldGroup);
  if (code == MPI_SUCCESS) {
    std::vector<int> ranks(size), inWorld(size);
    for (int r = 0; r < size; ++r)
      ranks[r] = r;
    code = MPI_Group_translate_ranks(group, size, ranks.data(), worldGroup,
                                     inWorld.data());
    std::copy(inWorld.begin(), inWorld.end(), worldRanks->begin());
  }
  if (group != MPI_GROUP_NULL)
    MPI_Group_free(&group);
  if (worldGroup != MPI_GROUP_NULL)
    MPI_Group_free(&worldGroup);
  if (code != MPI_SUCCESS) {
    MPI_Comm_free(&comm);
    return mpiFailure(code, "setting up a communicator");
  }
  *out = new MpiComm(comm, rank, size, std::move(worldRanks));
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

// Posts this rank's receive from and send to every peer (receives first, so
// parts rarely wait in MPI's unexpected queue). The all-reduce receives into
// the request's `parts`, the others straight into `out`.
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
  const int count = int(args.count);
  const size_t block = size_t(args.count), bytes = block * sizeof(float);
  std::unique_ptr<MpiRequest> pending;
  try {
    pending = std::make_unique<MpiRequest>(*comm, args);
    if (args.kind == CollectiveKind::AllReduceSum)
      pending->parts.resize(block * size_t(comm->size));
  } catch (const std::bad_alloc &) {
    failProcess("helix_comm: world rank " + std::to_string(worldRank()) +
                " ran out of memory in " + collectiveName(args.kind));
    return HELIX_ERROR_COMM;
  }
  ++comm->nextSequence;
  const int tag = int(pending->sequence % kTagSpace);
  const int32_t rank = comm->rank, size = comm->size;
  float *receiveTo = args.kind == CollectiveKind::AllReduceSum
                         ? pending->parts.data()
                         : args.out;
  // Block r of a buffer; a null buffer stays null (count 0).
  auto blockOf = [&](auto *buffer, int32_t r) {
    return block ? buffer + size_t(r) * block : buffer;
  };
  if (block > 0) {
    if (args.kind == CollectiveKind::AllToAll)
      std::memcpy(blockOf(receiveTo, rank), blockOf(args.in, rank), bytes);
    else if (args.kind != CollectiveKind::Barrier)
      std::memcpy(blockOf(receiveTo, rank), args.in, bytes);
  }
  for (int pass = 0; pass < 2; ++pass) {
    for (int32_t peer = 0; peer < size; ++peer) {
      if (peer == rank)
        continue;
      int code = MPI_SUCCESS;
      if (pass == 0)
        code = MPI_Irecv(blockOf(receiveTo, peer), count, MPI_FLOAT, peer, tag,
                         comm->comm, &pending->peers[peer]);
      else
        code = MPI_Isend(args.kind == CollectiveKind::AllToAll
                             ? blockOf(args.in, peer)
                             : args.in,
                         count, MPI_FLOAT, peer, tag, comm->comm,
                         &pending->peers[size + peer]);
      if (code != MPI_SUCCESS) {
        // Posted receives may still write into `parts`: the request is left
        // to MPI_Abort, as the failed world's.
        (void)pending.release();
        return mpiFailure(code, pass == 0 ? "MPI_Irecv" : "MPI_Isend");
      }
    }
  }
  *request = pending.release();
  return HELIX_OK;
}

// The request's peers whose message to or from this rank is still pending:
// those that have not started the collective (MPI_Test frees the rest).
std::vector<int32_t> latePeers(MpiRequest &request) {
  std::vector<int32_t> late;
  const int32_t size = request.size();
  for (int32_t peer = 0; peer < size; ++peer) {
    bool pending = false;
    for (MPI_Request *message :
         {&request.peers[peer], &request.peers[size + peer]}) {
      int done = 0;
      if (*message != MPI_REQUEST_NULL &&
          (MPI_Test(message, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS || !done))
        pending = true;
    }
    if (pending)
      late.push_back(peer);
  }
  return late;
}

// In the threads backend's words (ThreadsComm.cpp's awaitAll).
std::string timeoutMessage(const MpiRequest &request, int64_t limitMs,
                           const std::vector<int32_t> &late) {
  return "helix_comm: " + std::string(collectiveName(request.kind)) +
         "(count " + std::to_string(request.count) + ") #" +
         std::to_string(request.sequence) + " on " +
         describeGroup(*request.worldRanks, worldSize()) + " timed out after " +
         std::to_string(limitMs) + " ms on rank " +
         std::to_string(request.rank) + ": " +
         describeRanks(late, *request.worldRanks) + " did not arrive";
}

// out = the parts summed in rank order, as the threads backend sums them:
// the same bits on every rank and in every backend.
void sumParts(const MpiRequest &request) {
  const size_t count = size_t(request.count);
  if (count == 0)
    return;
  const float *part = request.parts.data();
  float *out = request.out;
  std::memcpy(out, part, count * sizeof(float));
  for (int32_t r = 1; r < request.size(); ++r) {
    part += count;
    for (size_t i = 0; i < count; ++i)
      out[i] += part[i];
  }
}

helix_status mpiWait(helix_comm_request *base) {
  std::unique_ptr<MpiRequest> request(static_cast<MpiRequest *>(base));
  const CollectiveKind kind = request->kind;
  const int64_t limit =
      request->timeoutMs > 0 ? request->timeoutMs : timeoutMs();
  const Clock::time_point start = Clock::now();
  // Staggered by world rank: when a peer stalls, every waiting rank times
  // out, and the lowest live one aborts the job (and prints its one line)
  // before the others reach their deadlines.
  const Clock::time_point deadline =
      start + std::chrono::milliseconds(limit + 250 * worldRank());
  int done = 0;
  int code = MPI_SUCCESS;
  while (!failed.load(std::memory_order_acquire)) {
    code = MPI_Testall(int(request->peers.size()), request->peers.data(), &done,
                       MPI_STATUSES_IGNORE);
    if (code != MPI_SUCCESS || done)
      break;
    const Clock::time_point now = Clock::now();
    if (now > deadline) {
      std::vector<int32_t> late = latePeers(*request);
      if (late.empty()) { // Completed since the MPI_Testall.
        done = 1;
        break;
      }
      abortJob(timeoutMessage(*request, limit, late));
    }
    // Yield for the first 200 us (a collective's usual latency here), then
    // sleep, up to 1 ms, so a stalled peer does not cost a core.
    const auto waited = now - start;
    if (waited < std::chrono::microseconds(200))
      std::this_thread::yield();
    else
      std::this_thread::sleep_for(std::min<Clock::duration>(
          waited / 8, std::chrono::milliseconds(1)));
  }
  // Unfinished messages may still write into `parts` or `out`: a failed
  // world's request is left to MPI_Finalize/Abort.
  if (!done)
    (void)request.release();
  if (code != MPI_SUCCESS)
    return mpiFailure(code, std::string("waiting for ") + collectiveName(kind));
  if (!done || failed.load(std::memory_order_acquire))
    return HELIX_ERROR_COMM;
  if (kind == CollectiveKind::AllReduceSum)
    sumParts(*request);
  return HELIX_OK;
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
