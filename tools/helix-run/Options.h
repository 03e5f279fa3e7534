//===- Options.h - helix-run command line ------------------------*- C++ -*-===//
#ifndef HELIX_TOOLS_HELIX_RUN_OPTIONS_H
#define HELIX_TOOLS_HELIX_RUN_OPTIONS_H

#include "RunCore/Text.h"

#include <cstdint>
#include <optional>
#include <string>

namespace helix::run {

struct Options {
  std::string model;
  std::string layout;        // "" (one rank), "auto" or "kvp=..,tpa=.."
  int64_t microbatches = 1;
  bool microbatchesSet = false; // given on the command line
  int64_t kvBlock = 16;
  bool kvBlockSet = false;     // given on the command line
  std::string backend = "cpu";
  std::string launcher = "threads";
  std::string prompts;
  int64_t maxNewTokens = 0;
  std::string output;
  std::string dumpLogits;
  int64_t maxContext = 0;    // 0: derived from the prompts
  int64_t prefillChunk = 0;  // prompt tokens per sequence a step; 0: choose
  std::string kvDtype;       // --kv-dtype; "": the device's own
  int64_t ranks = 0;         // world size for --layout auto
  std::string hardware = "h100-sxm-8";
  std::string cacheDir;      // "" : $HELIX_CACHE_DIR or ~/.cache/helix
  std::string targetCpu = "host"; // CPU the module's host code is built for
  std::string moduleOut;     // copy the compiled module here
  bool compileOnly = false;  // stop after --module-out
  bool allowLongContext = false; // past max_position_embeddings
  bool layoutSet = false;    // --layout given (an empty one is an error)
  TextOptions text;          // --prompt, sampling, --tokenize-only
  bool help = false;
};

/// Parses argv; nullopt with `error` (one line, no "error:" prefix).
std::optional<Options> parseOptions(int argc, char **argv, std::string &error);

const char *usage();

} // namespace helix::run

#endif // HELIX_TOOLS_HELIX_RUN_OPTIONS_H
