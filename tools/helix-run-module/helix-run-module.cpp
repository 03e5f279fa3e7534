//===- helix-run-module.cpp - decode with a compiled module, no compiler --===//
//
// helix-run without the compiler: runs a module that `helix-run
// --compile-only --module-out FILE` wrote, on the CPU or a GPU, with the
// same launchers, outputs and errors. It links only the runtime, so it runs
// on machines that have CUDA but no LLVM/MLIR (docs/gpu.md).
//
//===----------------------------------------------------------------------===//
#include "RunCore/Gpu.h"
#include "RunCore/Handles.h"
#include "RunCore/Launch.h"
#include "RunCore/Outputs.h"
#include "RunCore/Parse.h"
#include "RunCore/Text.h"

#include "helix_rt/helix_rt.h"
#include "helix_rt/layout.h"

#include <cstdio>
#include <map>
#include <string>

using namespace helix::run;

namespace {

const char *kUsage =
    "usage: helix-run-module --module FILE --model DIR\n"
    "                        (--prompts prompts.json | --prompt TEXT...)\n"
    "                        --max-new-tokens N [--backend cpu|cuda]\n"
    "                        [--launcher threads|mpi] [--output out.json]\n"
    "                        [--dump-logits logits.npy] [--max-context "
    "TOKENS]\n"
    "                        [--prefill-chunk C] [--kv-dtype "
    "float32|bfloat16]\n"
    "                        [--temperature T] [--top-p P]\n"
    "                        [--top-k K] [--seed S] [--ignore-eos] "
    "[--tokenize-only]\n";

int fail(const std::string &message) {
  if (!quietMpiRank()) // under mpirun: rank 0's line only
    std::fprintf(stderr, "error: %s\n", message.c_str());
  return 1;
}

struct Args {
  std::map<std::string, std::string> values = {
      {"--module", ""},       {"--model", ""},
      {"--prompts", ""},      {"--max-new-tokens", ""},
      {"--backend", "cpu"},   {"--launcher", "threads"},
      {"--output", ""},       {"--dump-logits", ""},
      {"--max-context", "0"}, {"--prefill-chunk", "0"},
      {"--kv-dtype", ""}};
  const std::string &operator[](const std::string &key) const {
    return values.at(key);
  }
};

} // namespace

int main(int argc, char **argv) {
  Args args;
  TextOptions text;
  std::string error;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    bool taken = false;
    if (!takeTextFlag(argc, argv, i, text, taken, error))
      return fail(error);
    if (taken)
      continue;
    if (!args.values.count(arg))
      return fail("unknown argument '" + arg + "' (see --help)");
    if (i + 1 >= argc)
      return fail("option " + arg + " needs a value");
    args.values[arg] = argv[++i];
  }
  for (const char *required : {"--module", "--model"})
    if (args[required].empty())
      return fail(std::string("missing required option ") + required);
  if (std::string why = checkTextOptions(text, args["--prompts"]); !why.empty())
    return fail(why);
  int64_t newTokens = 0, maxContext = 0;
  if ((!parseInteger(args["--max-new-tokens"], newTokens) || newTokens <= 0) &&
      !text.tokenizeOnly)
    return fail("--max-new-tokens must be a positive integer, got '" +
                args["--max-new-tokens"] + "'");
  if (!parseInteger(args["--max-context"], maxContext) || maxContext < 0)
    return fail("--max-context must be a positive integer");
  std::string backend = args["--backend"], launcher = args["--launcher"];
  if (backend != "cpu" && backend != "cuda")
    return fail("--backend must be cpu or cuda, got '" + backend + "'");
  if (launcher != "threads" && launcher != "mpi")
    return fail("--launcher must be threads or mpi, got '" + launcher + "'");

  helix_kv_dtype kvDtype = HELIX_KV_DTYPE_DEFAULT;
  if (!resolveKvDtype(args["--kv-dtype"], backend == "cuda", kvDtype, error))
    return fail(error);

  char message[1024];
  helix_module *opened = nullptr;
  if (helix_module_open(args["--module"].c_str(), &opened, message,
                        sizeof message) != HELIX_OK)
    return fail(message);
  // Closed on every path out (the sanitizer build checks for leaks).
  ModuleHandle module(opened);
  helix_module_info facts;
  helix_module_get_info(module.get(), &facts);
  std::string target = facts.target;
  bool gpu = backend == "cuda";
  if (gpu && target != "cuda")
    return fail("--backend cuda needs a target=cuda module; " +
                args["--module"] + " is target=" + target);
  int32_t world = static_cast<int32_t>(facts.world_size);
  if (gpu && !cudaAvailable(error))
    return fail("--backend cuda: " + error);
  if (!gpu && target == "cuda")
    std::fprintf(stderr, "helix-run-module: running the target=cuda module "
                         "with the host's kernels\n");

  ModelText modelText; // tokenizer.json and eos ids
  if (!loadModelText(args["--model"], facts.vocab_size, modelText, error))
    return fail(error);
  std::optional<Prompts> prompts =
      gatherPrompts(text, args["--prompts"], facts.vocab_size, maxContext,
                    modelText, error);
  if (!prompts)
    return fail(error);
  if (text.tokenizeOnly) // no weights read
    return writePromptTokens(args["--output"], *prompts, error) ? 0
                                                                : fail(error);
  int64_t steps = stepsNeeded(*prompts, newTokens);
  if (maxContext > 0 && steps > maxContext)
    return fail("context over capacity: the prompts and --max-new-tokens need " +
                std::to_string(steps) + " tokens per sequence but --max-context is " +
                std::to_string(maxContext));
  helix_checkpoint *read = nullptr;
  if (helix_checkpoint_open(args["--model"].c_str(), &read, message,
                            sizeof message) != HELIX_OK)
    return fail(message);
  CheckpointHandle checkpoint(read);

  helix_comm *mpiWorld = nullptr;
  bool root = true;
  if (launcher == "mpi")
    if (int stop = openMpiWorld(world, mpiWorld, root); stop >= 0)
      return stop;

  Launch launch;
  launch.module = module.get();
  launch.checkpoint = checkpoint.get();
  launch.options.max_batch = static_cast<int64_t>(prompts->size());
  launch.options.max_context = maxContext > 0 ? maxContext : steps;
  launch.options.kv_dtype = kvDtype;
  launch.prompts = &*prompts;
  launch.newTokens = newTokens;
  std::optional<TextPrinter> printer; // rank 0 streams the new text
  if (modelText.tokenizer && root)
    printer.emplace(*modelText.tokenizer, static_cast<int64_t>(prompts->size()));
  launch.control = decodeControl(text, modelText, printer ? &*printer : nullptr);
  launch.recordLogits = !args["--dump-logits"].empty();
  launch.gpu = gpu;
  // A target=cuda module on the host: its collectives go through the
  // shared-CUDA comm's host twin, as HELIX_CUDA_ON_HOST does in helix-run.
  launch.sharedHostComm = !gpu && target == "cuda";
  int64_t requestedChunk = 0;
  if (!parseInteger(args["--prefill-chunk"], requestedChunk))
    return fail("--prefill-chunk must be a positive integer");
  if (!resolvePrefillChunk(requestedChunk, gpu, *prompts,
                           launch.prefillChunk, error))
    return fail(error);
  DecodeResult result;
  bool ok = runLaunch(launch, mpiWorld, world, result, error);
  if (!ok)
    return root ? fail(error) : 1;
  if (!root)
    return 0;

  RunSummary summary;
  helix_rt::Layout layout{facts.kvp, facts.tpa, facts.tpf,
                          facts.ep,  facts.microbatches, facts.kv_block};
  summary.layout = layout.str() + ",target=" + target;
  summary.worldSize = world;
  summary.microbatches = facts.microbatches;
  summary.kvBlock = facts.kv_block;
  summary.launcher = launcher;
  summary.prefillChunk = launch.prefillChunk;
  summary.prompts = &*prompts;
  if (printer)
    summary.texts = printer->texts(result);
  if (!finishRun("helix-run-module", launcher + ", " + backend, summary,
                 result, args["--output"], args["--dump-logits"], newTokens,
                 facts.vocab_size, error))
    return fail(error);
  return 0;
}
