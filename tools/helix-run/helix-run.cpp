//===- helix-run.cpp - compile a model for a layout and decode on N ranks -===//
#include "MemoryCheck.h"
#include "Options.h"

#include "RunCore/CheckpointLayers.h"
#include "RunCore/Gpu.h"
#include "RunCore/Handles.h"
#include "RunCore/Launch.h"
#include "RunCore/Outputs.h"
#include "RunCore/Text.h"

#include "helix/Driver/CompileModel.h"
#include "helix/Planner/AutoLayout.h"
#include "helix/Sharding/Layout.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SHA256.h"

#include <cstdio>
#include <cstdlib>
#include <sstream>

using namespace helix;
using namespace helix::run;

namespace {

int64_t setupTimeoutMs() {
  const char *text = std::getenv("HELIX_COMM_SETUP_TIMEOUT_MS");
  long long ms = text ? std::atoll(text) : 0;
  return ms > 0 ? ms : 30LL * 60 * 1000;
}

int fail(const std::string &message) {
  if (!quietMpiRank()) // under mpirun: rank 0's line only
    std::fprintf(stderr, "error: %s\n", message.c_str());
  return 1;
}

/// Identity of this compiler build: a hash of the running binary.
std::string compilerId() {
  auto buffer = llvm::MemoryBuffer::getFile("/proc/self/exe");
  if (!buffer)
    return "unknown";
  return llvm::toHex(llvm::SHA256::hash(llvm::arrayRefFromStringRef(
                         (*buffer)->getBuffer())),
                     true);
}

std::string defaultCacheDir() {
  if (const char *dir = std::getenv("HELIX_CACHE_DIR"))
    return dir;
  if (const char *dir = std::getenv("XDG_CACHE_HOME"))
    return std::string(dir) + "/helix";
  if (const char *home = std::getenv("HOME"))
    return std::string(home) + "/.cache/helix";
  return "/tmp/helix-cache";
}

/// Copies `from` to `to` through a temporary next to it, so `to` is never
/// half-written.
bool copyFileAtomically(const std::string &from, const std::string &to,
                        std::string &error) {
  std::string tmp = to + ".tmp";
  if (std::error_code ec = llvm::sys::fs::copy_file(from, tmp)) {
    error = "cannot write " + to + ": " + ec.message();
    return false;
  }
  if (std::error_code ec = llvm::sys::fs::rename(tmp, to)) {
    llvm::sys::fs::remove(tmp);
    error = "cannot write " + to + ": " + ec.message();
    return false;
  }
  return true;
}

/// The checkpoint's directory: `model` itself, or the directory holding it
/// when --model names the config.json file (loadModelConfig takes both).
std::string checkpointDirectory(const std::string &model) {
  if (llvm::sys::fs::is_directory(model))
    return model;
  llvm::StringRef parent = llvm::sys::path::parent_path(model);
  return parent.empty() ? "." : parent.str();
}

} // namespace

int main(int argc, char **argv) {
  std::string error;
  std::optional<Options> parsed = parseOptions(argc, argv, error);
  if (!parsed)
    return fail(error);
  Options o = *parsed;
  if (o.help) {
    std::fputs(usage(), stdout);
    return 0;
  }
  // --backend cuda compiles the target=cuda step. HELIX_CUDA_ON_HOST=1 runs
  // that step with the runtime's host ops instead of a GPU: it tests the GPU
  // lowering on machines without one (docs/gpu.md).
  bool cuda = o.backend == "cuda";
  const char *onHost = std::getenv("HELIX_CUDA_ON_HOST");
  bool cudaOnHost = cuda && onHost && std::string(onHost) == "1";
  // The cache type is the runtime's choice: the module is the same for all.
  helix_kv_dtype kvDtype = HELIX_KV_DTYPE_DEFAULT;
  if (!resolveKvDtype(o.kvDtype, cuda && !cudaOnHost, kvDtype, error))
    return fail(error);
  // Compiling a target=cuda module needs no GPU.
  if (cuda && !cudaOnHost && !o.compileOnly) {
    std::string why;
    if (!cudaAvailable(why))
      return fail("--backend cuda: " + why);
  }

  // config.json is read once: its text keys the module cache, so a model
  // given as a directory or as its config.json shares one cache entry.
  std::string configText;
  std::optional<ModelConfig> config =
      loadModelConfig(o.model, error, &configText);
  if (!config)
    return fail(error);
  std::optional<Prompts> prompts;
  ModelText text; // tokenizer.json and eos ids
  int64_t steps = 0;
  if (!o.compileOnly) {
    if (!loadModelText(checkpointDirectory(o.model), config->vocabSize, text,
                       error))
      return fail(error);
    prompts = gatherPrompts(o.text, o.prompts, config->vocabSize, o.maxContext,
                            text, error);
    if (!prompts)
      return fail(error);
    // No module compiled, no weights read: the tokenizer alone.
    if (o.text.tokenizeOnly)
      return writePromptTokens(o.output, *prompts, error) ? 0 : fail(error);
    steps = stepsNeeded(*prompts, o.maxNewTokens);
  }
  if (!o.compileOnly && steps > (int64_t(1) << 32))
    return fail("context of " + std::to_string(steps) +
                " tokens per sequence is above 2^32");
  if (!o.compileOnly && steps > config->maxPositionEmbeddings &&
      !o.allowLongContext)
    return fail("context of " + std::to_string(steps) +
                " tokens per sequence (longest prompt + --max-new-tokens - 1) "
                "is past the model's max_position_embeddings (" +
                std::to_string(config->maxPositionEmbeddings) +
                "); --allow-long-context runs it anyway");
  if (o.maxContext > 0 && steps > o.maxContext)
    return fail("context over capacity: the prompts and --max-new-tokens need " +
                std::to_string(steps) + " tokens per sequence but --max-context is " +
                std::to_string(o.maxContext));

  CompileRequest request;
  request.target = cuda ? "cuda" : "cpu";
  request.cpu = o.targetCpu;
  LayoutKeys named; // what --layout set itself
  if (o.layout == "auto") {
    if (o.ranks < 1)
      return fail("--layout auto needs --ranks N (the world size)");
    auto choice = planner::chooseHelixLayout(*config, o.hardware, steps, o.ranks,
                                             error, static_cast<int64_t>(prompts->size()));
    if (!choice)
      return fail("--layout auto: " + error);
    request.sharded = true;
    request.layout = choice->layout;
  } else if (!o.layout.empty()) {
    if (!parseLayout(o.layout, request.layout, error, &named))
      return fail("--layout: " + error);
    request.sharded = true;
  }
  // --microbatches and --kv-block set what --layout did not.
  if (o.microbatchesSet && named.microbatches)
    return fail("--microbatches and --layout's microbatches= both given");
  if (o.kvBlockSet && named.kvBlock)
    return fail("--kv-block and --layout's kv-block= both given");
  if (o.microbatchesSet)
    request.layout.microbatches = o.microbatches;
  if (o.kvBlockSet)
    request.layout.kvBlock = o.kvBlock;
  if (o.layout == "auto")
    std::fprintf(stderr, "helix-run: --layout auto chose %s for %lld ranks on %s\n",
                 request.layout.str().c_str(), static_cast<long long>(o.ranks),
                 o.hardware.c_str());
  if (prompts && request.layout.microbatches >
                     static_cast<int64_t>(prompts->size()))
    return fail(std::to_string(request.layout.microbatches) +
                " micro-batches for " + std::to_string(prompts->size()) +
                " prompts: each micro-batch needs at least one sequence");
  if (!request.sharded && o.microbatchesSet && o.microbatches > 1)
    return fail("--microbatches needs a sharded --layout (one rank has no "
                "collectives to overlap)");
  if (request.sharded)
    if (auto why = sharding::validateLayout(request.layout,
                                            shapeOf(*config)))
      return fail("impossible layout " + request.str() + ": " + *why);
  int32_t world = static_cast<int32_t>(request.layout.worldSize());
  // The checkpoint (closed on every path out) is checked against config.json
  // before anything is compiled.
  char message[1024];
  CheckpointHandle checkpoint;
  if (!o.compileOnly) {
    helix_checkpoint *opened = nullptr;
    if (helix_checkpoint_open(checkpointDirectory(o.model).c_str(), &opened,
                              message, sizeof message) != HELIX_OK)
      return fail(message);
    checkpoint.reset(opened);
    if (!checkCheckpointLayers(checkpoint.get(), config->numLayers, error))
      return fail(error);
    // The GPU device checks its own memory when its ranks are created.
    if (!cuda || cudaOnHost) {
      RunMemory need = runMemory(checkpoint.get(), *config,
                                 static_cast<int64_t>(prompts->size()),
                                 o.maxContext > 0 ? o.maxContext : steps,
                                 kvDtype == HELIX_KV_DTYPE_BF16);
      if (!checkMemory(need, error))
        return fail(error);
    }
  }
  std::string cacheDir = o.cacheDir.empty() ? defaultCacheDir() : o.cacheDir;
  std::string modulePath;
  if (o.compileOnly) {
    if (!compileModelCached(*config, configText, request, cacheDir,
                            compilerId(), modulePath, error))
      return fail("compiling the model failed: " + error);
    if (!copyFileAtomically(modulePath, o.moduleOut, error))
      return fail(error);
    std::printf("helix-run: %s module for %s written to %s\n",
                request.str().c_str(), config->architectureName.c_str(),
                o.moduleOut.c_str());
    return 0;
  }
  if (cudaOnHost)
    std::fprintf(stderr, "helix-run: HELIX_CUDA_ON_HOST=1: running the "
                         "target=cuda step with the host's kernels\n");


  helix_comm *mpiWorld = nullptr;
  bool root = true;
  if (o.launcher == "mpi")
    if (int stop = openMpiWorld(world, mpiWorld, root); stop >= 0)
      return stop;

  // Rank 0 compiles (or finds the cached module); the others wait for it.
  bool compiled = !root || compileModelCached(*config, configText, request,
                                              cacheDir, compilerId(),
                                              modulePath, error);
  if (mpiWorld) {
    if (!compiled)
      helix_comm_abort(mpiWorld, ("compilation failed: " + error).c_str());
    // Rank 0 may compile for minutes: the others wait past the decode
    // collectives' timeout (HELIX_COMM_SETUP_TIMEOUT_MS, default 30 min).
    helix_comm_barrier_timeout(mpiWorld, setupTimeoutMs());
    if (!root && !compileModelCached(*config, configText, request, cacheDir,
                                     compilerId(), modulePath, error))
      compiled = false;
  }
  if (!compiled)
    return fail("compiling the model failed: " + error);

  helix_module *loaded = nullptr;
  if (helix_module_open(modulePath.c_str(), &loaded, message, sizeof message) !=
      HELIX_OK)
    return fail(message);
  ModuleHandle module(loaded);

  Launch launch;
  launch.module = module.get();
  launch.checkpoint = checkpoint.get();
  launch.options.max_batch = static_cast<int64_t>(prompts->size());
  launch.options.max_context = o.maxContext > 0 ? o.maxContext : steps;
  launch.options.kv_dtype = kvDtype;
  launch.prompts = &*prompts;
  launch.newTokens = o.maxNewTokens;
  // Rank 0 streams the new text as its tokens are chosen.
  std::optional<TextPrinter> printer;
  if (text.tokenizer && root)
    printer.emplace(*text.tokenizer, static_cast<int64_t>(prompts->size()));
  launch.control = decodeControl(o.text, text, printer ? &*printer : nullptr);
  launch.recordLogits = !o.dumpLogits.empty();
  launch.gpu = cuda && !cudaOnHost;
  launch.sharedHostComm = cudaOnHost; // the shared-CUDA comm's host twin
  if (!resolvePrefillChunk(o.prefillChunk, launch.gpu, *prompts,
                           launch.prefillChunk,
                           error))
    return fail(error);
  DecodeResult result;
  bool ok = runLaunch(launch, mpiWorld, world, result, error);
  module.reset();
  checkpoint.reset();
  if (!ok)
    return root ? fail(error) : 1;
  if (!root)
    return 0;

  RunSummary summary;
  summary.layout = request.str();
  summary.worldSize = world;
  summary.microbatches = request.layout.microbatches;
  summary.kvBlock = request.layout.kvBlock;
  summary.launcher = o.launcher;
  summary.prefillChunk = launch.prefillChunk;
  summary.prompts = &*prompts;
  if (printer)
    summary.texts = printer->texts(result);
  // --module-out too appears only when the whole run succeeded.
  if (!o.moduleOut.empty() &&
      !copyFileAtomically(modulePath, o.moduleOut, error))
    return fail(error);
  if (!finishRun("helix-run", o.launcher, summary, result, o.output,
                 o.dumpLogits, o.maxNewTokens, config->vocabSize, error)) {
    if (!o.moduleOut.empty())
      std::remove(o.moduleOut.c_str());
    return fail(error);
  }
  return 0;
}
