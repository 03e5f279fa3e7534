//===- Launch.cpp - run the ranks on threads or MPI processes -------------===//
#include "RunCore/Launch.h"
#include "RunCore/Gpu.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <thread>

namespace helix::run {

bool quietMpiRank() {
  for (const char *name : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"})
    if (const char *rank = std::getenv(name))
      return std::string(rank) != "0";
  return false;
}

bool resolvePrefillChunk(int64_t requested, bool gpu, const Prompts &prompts,
                         int64_t &chunk, std::string &error) {
  if (requested < 0) {
    error = "--prefill-chunk must be a positive integer";
    return false;
  }
  // GPUs keep one row per sequence by default until a GPU run has checked
  // the chunked path against the CPU backend (docs/gpu.md). On the CPU,
  // about kCpuStepRows rows a step: sgemm packs each weight once per call,
  // which 64 rows amortize poorly (docs/benchmarks.md).
  int64_t sequences = std::max<int64_t>(1, static_cast<int64_t>(prompts.size()));
  chunk = requested > 0 ? requested
          : gpu         ? 1
                        : std::max<int64_t>(kMinCpuChunk, kCpuStepRows / sequences);
  if (!gpu)
    return true;
  // The attention kernels put a step's rows on the grid's z axis.
  int64_t rows = 0;
  for (const auto &prompt : prompts)
    rows += std::min<int64_t>(chunk, static_cast<int64_t>(prompt.size()));
  if (rows > kMaxGpuStepRows) {
    error = "--prefill-chunk " + std::to_string(chunk) + " makes steps of " +
            std::to_string(rows) + " rows; the CUDA kernels take at most " +
            std::to_string(kMaxGpuStepRows) + " (use a smaller chunk)";
    return false;
  }
  return true;
}
bool resolveKvDtype(const std::string &name, bool gpu, helix_kv_dtype &dtype,
                    std::string &error) {
  if (name.empty())
    dtype = HELIX_KV_DTYPE_DEFAULT;
  else if (name == "float32")
    dtype = HELIX_KV_DTYPE_F32;
  else if (name == "bfloat16")
    dtype = HELIX_KV_DTYPE_BF16;
  else {
    error = "--kv-dtype must be float32 or bfloat16, got '" + name + "'";
    return false;
  }
  if (gpu && dtype == HELIX_KV_DTYPE_F32) {
    error = "--kv-dtype float32: the CUDA backend keeps its KV cache in "
            "bfloat16 (its attention kernels read bf16); leave the flag out "
            "or pass bfloat16";
    return false;
  }
  return true;
}

const char *kvDtypeName(helix_dtype dtype) {
  return dtype == HELIX_DTYPE_BF16 ? "bfloat16" : "float32";
}

namespace {

/// The launch's decode control for this rank: only rank 0 reports tokens.
DecodeControl controlOf(const Launch &launch, helix_comm *comm) {
  DecodeControl control = launch.control;
  control.worldRank = helix_comm_rank(comm);
  if (helix_comm_rank(comm) != 0)
    control.onToken = nullptr;
  return control;
}

/// One rank from creation to the end of decoding, on `device` (null: host).
bool runRank(const Launch &launch, helix_comm *comm, helix_device *device,
             bool record, DecodeResult &result, std::string &error) {
  char message[1024];
  helix_rank *rank = nullptr;
  helix_rank_options options = launch.options;
  options.device = device;
  if (helix_rank_create(launch.module, launch.checkpoint, comm, &options, &rank,
                        message, sizeof message) != HELIX_OK) {
    error = message;
    helix_comm_abort(comm, message);
    return false;
  }
  bool ok = false;
  try {
    ok = decode(rank, *launch.prompts, launch.newTokens, launch.prefillChunk,
                record, controlOf(launch, comm), result, error);
  } catch (const std::bad_alloc &) {
    error = "out of memory while decoding";
  }
  if (!ok)
    helix_comm_abort(comm, error.c_str()); // peers stop instead of waiting
  helix_rank_destroy(rank);
  return ok;
}

/// A rank on its own GPU, in a world of its own NCCL communicators.
bool runGpuRank(const Launch &launch, bool underMpi, bool record,
                DecodeResult &result, std::string &error) {
  GpuRank gpu;
  if (!openGpuRank(underMpi, gpu, error))
    return false;
  bool ok = runRank(launch, gpu.world, gpu.device, record, result, error);
  closeGpuRank(gpu);
  return ok;
}

/// A rank on a GPU of this process: its thread binds it, then runs it.
void runThreadGpuRank(const Launch &launch, helix_comm *comm, bool record,
                      DecodeResult &result, std::string &error) {
  GpuRank gpu;
  if (!openThreadGpuRank(comm, gpu, error)) {
    helix_comm_abort(comm, error.c_str());
    return;
  }
  runRank(launch, comm, gpu.device, record, result, error);
  closeGpuRank(gpu);
}

} // namespace

bool runOnThreads(const Launch &launch, int32_t world, DecodeResult &result,
                  std::string &error) {
  std::vector<helix_comm *> comms(static_cast<size_t>(world));
  if (launch.gpu) {
    if (!createGpuThreadWorld(world, comms.data(), error))
      return false;
  } else if ((launch.sharedHostComm
                  ? helix_comm_shared_host_create(world, 0, comms.data())
                  : helix_comm_threads_create(world, 0, comms.data())) !=
             HELIX_OK) {
    error = "cannot create the thread communicators";
    return false;
  }
  std::vector<std::thread> threads;
  std::vector<DecodeResult> results(static_cast<size_t>(world));
  std::vector<std::string> errors(static_cast<size_t>(world));
  for (int32_t r = 0; r < world; ++r)
    threads.emplace_back([&, r] {
      bool record = r == 0 && launch.recordLogits;
      if (launch.gpu)
        runThreadGpuRank(launch, comms[r], record, results[r], errors[r]);
      else
        runRank(launch, comms[r], nullptr, record, results[r], errors[r]);
    });
  for (std::thread &t : threads)
    t.join();
  for (helix_comm *comm : comms)
    helix_comm_destroy(comm);
  // Peers of the failing rank report the aborted collective; prefer the
  // rank whose own work failed.
  for (const std::string &message : errors)
    if (!message.empty() && message.find(" failed: ") == std::string::npos) {
      error = message;
      return false;
    }
  for (const std::string &message : errors)
    if (!message.empty()) {
      error = message;
      return false;
    }
  result = std::move(results[0]);
  return true;
}

bool runOnMpiRank(const Launch &launch, helix_comm *comm, DecodeResult &result,
                  std::string &error) {
  bool record = helix_comm_rank(comm) == 0 && launch.recordLogits;
  if (launch.gpu)
    return runGpuRank(launch, /*underMpi=*/true, record, result, error);
  return runRank(launch, comm, nullptr, record, result, error);
}

int openMpiWorld(int32_t world, helix_comm *&mpiWorld, bool &root) {
  root = true;
  if (helix_comm_mpi_create(&mpiWorld) != HELIX_OK) {
    std::fprintf(stderr, "error: cannot start MPI: %s\n",
                 helix_comm_error(mpiWorld));
    return 1;
  }
  root = helix_comm_rank(mpiWorld) == 0;
  if (helix_comm_size(mpiWorld) == world)
    return -1;
  if (root)
    std::fprintf(stderr, "error: the module needs %d ranks but mpirun started %d\n",
                 world, helix_comm_size(mpiWorld));
  helix_comm_destroy(mpiWorld);
  mpiWorld = nullptr;
  helix_comm_mpi_finalize();
  return 1;
}

bool runLaunch(const Launch &launch, helix_comm *mpiWorld, int32_t world,
               DecodeResult &result, std::string &error) {
  bool ok = mpiWorld ? runOnMpiRank(launch, mpiWorld, result, error)
                     : runOnThreads(launch, world, result, error);
  if (mpiWorld) {
    helix_comm_destroy(mpiWorld);
    helix_comm_mpi_finalize();
  }
  return ok;
}

} // namespace helix::run
