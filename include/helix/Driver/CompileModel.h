//===- CompileModel.h - config.json + layout -> compiled module -*- C++ -*-===//
#ifndef HELIX_DRIVER_COMPILEMODEL_H
#define HELIX_DRIVER_COMPILEMODEL_H

#include "helix/Model/ModelConfig.h"
#include "helix/Sharding/Layout.h"

#include <cstdint>
#include <string>

namespace helix {

/// How a model is compiled: the Helix layout (all 1 and `sharded` false for
/// the plain single-rank step).
struct CompileRequest {
  bool sharded = false;
  Layout layout;
  /// "cpu", or "cuda": the step's buffers and ops go through the runtime's
  /// device (helix-lower-to-runtime target=cuda).
  std::string target = "cpu";
  /// The CPU the module's host code is compiled for: "host" (this one, with
  /// its features), or an LLVM CPU name for a module that runs elsewhere.
  std::string cpu = "host";

  /// The layout's text form (Layout::str) or "unsharded", followed by
  /// ",target=cuda" for the CUDA target and ",cpu=NAME" for a named CPU.
  std::string str() const;
};

/// Imports `config`, shards it as requested and compiles it (host code for
/// either target) into `path`. False with a one-line `error` (no file left
/// behind).
bool compileModel(const ModelConfig &config, const CompileRequest &request,
                  const std::string &path, std::string &error);

/// The cached artifact for (config text, request, compiler identity) under
/// `cacheDir`, compiled first if missing. `compilerId` should change
/// whenever the compiler does (helix-run passes a hash of its binary).
bool compileModelCached(const ModelConfig &config, const std::string &configText,
                        const CompileRequest &request,
                        const std::string &cacheDir,
                        const std::string &compilerId, std::string &path,
                        std::string &error);

} // namespace helix

#endif // HELIX_DRIVER_COMPILEMODEL_H
