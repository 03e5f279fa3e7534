//===- Options.cpp - helix-run command line -------------------------------===//
#include "Options.h"

#include "RunCore/Parse.h"
#include "helix/Model/Limits.h"

#include <functional>
#include <map>

namespace helix::run {

const char *usage() {
  return "usage: helix-run --model DIR [--layout kvp=K,tpa=T,tpf=F,ep=E | "
         "--layout auto --ranks N [--hardware NAME]]\n"
         "                 [--microbatches M] [--kv-block TOKENS] "
         "[--backend cpu|cuda]\n"
         "                 [--launcher threads|mpi] (--prompts prompts.json | "
         "--prompt TEXT...)\n"
         "                 --max-new-tokens N [--output out.json] "
         "[--dump-logits logits.npy]\n"
         "                 [--max-context TOKENS] [--prefill-chunk C] "
         "[--cache-dir DIR]\n"
         "                 [--kv-dtype float32|bfloat16]\n"
         "                 [--target-cpu host|NAME] [--module-out FILE "
         "[--compile-only]]\n"
         "                 [--temperature T] [--top-p P] [--top-k K] [--seed "
         "S]\n"
         "                 [--ignore-eos] [--tokenize-only] "
         "[--allow-long-context]\n";
}

std::optional<Options> parseOptions(int argc, char **argv, std::string &error) {
  Options o;
  using Setter = std::function<bool(const std::string &)>;
  auto text = [](std::string &field) -> Setter {
    return [&field](const std::string &v) { field = v; return true; };
  };
  auto integer = [](int64_t &field) -> Setter {
    return [&field](const std::string &v) { return parseInteger(v, field); };
  };
  std::map<std::string, Setter> flags = {
      {"--model", text(o.model)},
      {"--layout", text(o.layout)},
      {"--microbatches", integer(o.microbatches)},
      {"--kv-block", integer(o.kvBlock)},
      {"--backend", text(o.backend)},
      {"--launcher", text(o.launcher)},
      {"--prompts", text(o.prompts)},
      {"--max-new-tokens", integer(o.maxNewTokens)},
      {"--output", text(o.output)},
      {"--dump-logits", text(o.dumpLogits)},
      {"--max-context", integer(o.maxContext)},
      {"--ranks", integer(o.ranks)},
      {"--prefill-chunk", integer(o.prefillChunk)},
      {"--kv-dtype", text(o.kvDtype)},
      {"--hardware", text(o.hardware)},
      {"--cache-dir", text(o.cacheDir)},
      {"--target-cpu", text(o.targetCpu)},
      {"--module-out", text(o.moduleOut)}};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      o.help = true;
      return o;
    }
    if (arg == "--compile-only") {
      o.compileOnly = true;
      continue;
    }
    if (arg == "--allow-long-context") {
      o.allowLongContext = true;
      continue;
    }
    bool taken = false;
    if (!takeTextFlag(argc, argv, i, o.text, taken, error))
      return std::nullopt;
    if (taken)
      continue;
    std::string value;
    bool inlineValue = false;
    if (size_t eq = arg.find('='); eq != std::string::npos && arg.rfind("--", 0) == 0) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      inlineValue = true;
    }
    auto it = flags.find(arg);
    if (it == flags.end()) {
      error = "unknown argument '" + arg + "' (see --help)";
      return std::nullopt;
    }
    if (!inlineValue) {
      if (i + 1 >= argc) {
        error = "option " + arg + " needs a value";
        return std::nullopt;
      }
      value = argv[++i];
    }
    if (arg == "--microbatches")
      o.microbatchesSet = true;
    if (arg == "--layout")
      o.layoutSet = true;
    if (arg == "--kv-block")
      o.kvBlockSet = true;
    if (!it->second(value)) {
      error = "option " + arg + " expects an integer, got '" + value + "'";
      return std::nullopt;
    }
  }
  // Bounds far past any real run, so later products cannot overflow.
  using helix::limits::kMaxMicrobatches, helix::limits::kMaxRanks;
  if (o.model.empty()) {
    error = "missing required option --model";
  } else if (o.layoutSet && o.layout.empty()) {
    error = "--layout is empty (leave it out to run unsharded)";
  } else if (o.ranks > kMaxRanks) {
    error = "--ranks " + std::to_string(o.ranks) + " is above " +
            std::to_string(kMaxRanks);
  } else if (o.maxContext > (int64_t(1) << 32)) {
    error = "--max-context " + std::to_string(o.maxContext) + " is above 2^32";
  } else if (o.microbatches > kMaxMicrobatches) {
    error = "--microbatches " + std::to_string(o.microbatches) +
            " is above " + std::to_string(kMaxMicrobatches);
  } else if (o.compileOnly && o.moduleOut.empty()) {
    error = "--compile-only needs --module-out FILE";
  } else if (o.compileOnly && o.layout == "auto") {
    error = "--compile-only needs an explicit --layout (auto sizes it from "
            "the prompts)";
  } else if (o.compileOnly) {
    // Compiling needs neither prompts nor a token count.
  } else if (std::string why = checkTextOptions(o.text, o.prompts);
             !why.empty()) {
    error = why;
  } else if (o.text.tokenizeOnly && o.output.empty()) {
    error = "--tokenize-only needs --output out.json";
  } else if (o.text.tokenizeOnly) {
    // Tokenizing needs no token count, layout or backend.
  } else if (o.maxNewTokens <= 0) {
    error = "--max-new-tokens must be a positive integer, got " +
            std::to_string(o.maxNewTokens);
  } else if (o.microbatches < 1) {
    error = "--microbatches must be >= 1";
  } else if (o.kvBlock < 1) {
    error = "--kv-block must be >= 1";
  } else if (o.maxContext < 0) {
    error = "--max-context must be positive";
  } else if (o.backend != "cpu" && o.backend != "cuda") {
    error = "--backend must be cpu or cuda, got '" + o.backend + "'";
  } else if (o.launcher != "threads" && o.launcher != "mpi") {
    error = "--launcher must be threads or mpi, got '" + o.launcher + "'";
  }
  if (!error.empty())
    return std::nullopt;
  return o;
}

} // namespace helix::run
