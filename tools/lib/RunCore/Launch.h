//===- Launch.h - run the ranks on threads or MPI processes -----*- C++ -*-===//
#ifndef HELIX_TOOLS_RUNCORE_LAUNCH_H
#define HELIX_TOOLS_RUNCORE_LAUNCH_H

#include "RunCore/Decode.h"

namespace helix::run {

struct Launch {
  const helix_module *module = nullptr;
  const helix_checkpoint *checkpoint = nullptr;
  helix_rank_options options{};
  const Prompts *prompts = nullptr;
  int64_t newTokens = 0;
  /// Sampling and stop ids for every rank; its onToken runs on rank 0 only.
  DecodeControl control;
  /// Prompt tokens per sequence in one prefill step (1: token by token).
  int64_t prefillChunk = 1;
  bool recordLogits = false;
  /// Ranks run on GPUs (--backend cuda), each with a CUDA device: on
  /// threads they share this process's GPUs (shared-CUDA communicators),
  /// under MPI each process has its GPU and an NCCL world.
  bool gpu = false;
  /// Host ranks on threads use the shared-CUDA backend's host twin instead
  /// of the threads communicators (HELIX_CUDA_ON_HOST, target=cuda modules
  /// on the host), so its logic runs end to end without a GPU.
  bool sharedHostComm = false;
};

/// Rows a CUDA step may have (the attention grid's z limit).
constexpr int64_t kMaxGpuStepRows = 65535;
/// The CPU's default chunk: about this many rows a step over all prompts,
/// at least kMinCpuChunk per prompt. The step's logits buffer is rows x
/// vocab, so the rows, not the chunk, are what to bound.
constexpr int64_t kCpuStepRows = 256, kMinCpuChunk = 32;

/// The prompt chunk for `--prefill-chunk` (0: choose): kCpuStepRows / prompts
/// rows per sequence (at least kMinCpuChunk) on the CPU device, 1 on GPUs.
/// False with `error` for a negative value, or a chunk whose steps have
/// more rows than the CUDA kernels take.
bool resolvePrefillChunk(int64_t requested, bool gpu, const Prompts &prompts,
                         int64_t &chunk, std::string &error);

/// `--kv-dtype NAME` ("" when not given: the device's own, fp32 on the CPU,
/// bf16 on GPUs). False with `error` for a name other than float32 or
/// bfloat16, and for float32 on GPUs: the CUDA device's attention reads a
/// bf16 cache, and ignoring the flag would misreport what ran.
bool resolveKvDtype(const std::string &name, bool gpu, helix_kv_dtype &dtype,
                    std::string &error);

/// "float32" or "bfloat16", as --kv-dtype and out.json name them.
const char *kvDtypeName(helix_dtype dtype);

/// Runs `world` ranks as threads of this process; rank 0's result is
/// returned. Any rank's failure aborts the world; the first error wins.
bool runOnThreads(const Launch &launch, int32_t world, DecodeResult &result,
                  std::string &error);

/// Runs this process's rank of the MPI world `comm`.
bool runOnMpiRank(const Launch &launch, helix_comm *comm, DecodeResult &result,
                  std::string &error);

/// Under mpirun: this process's MPI world, checked to have `world` ranks.
/// Returns the exit status to stop with (after printing the error on rank
/// 0 only), or -1 to go on; `root` says whether this is rank 0.
int openMpiWorld(int32_t world, helix_comm *&mpiWorld, bool &root);

/// Runs `launch` on this MPI rank (mpiWorld) or on `world` threads, then
/// ends MPI. False with `error` on failure.
bool runLaunch(const Launch &launch, helix_comm *mpiWorld, int32_t world,
               DecodeResult &result, std::string &error);

/// True in a process an MPI launcher started as a rank other than 0 (its
/// environment says so before MPI is initialised): such a rank keeps its
/// error lines to itself, so a bad input under mpirun prints one line, from
/// rank 0, not one per rank.
bool quietMpiRank();

} // namespace helix::run

#endif // HELIX_TOOLS_RUNCORE_LAUNCH_H
