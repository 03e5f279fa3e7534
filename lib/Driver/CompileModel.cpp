//===- CompileModel.cpp - import, shard and compile, with a cache ---------===//
#include "helix/Driver/CompileModel.h"
#include "helix/Import/DecodeGraph.h"
#include "helix/Pipelines/ShardPipeline.h"
#include "helix/Target/Cpu/SharedObject.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SHA256.h"
#include "llvm/TargetParser/Host.h"

using namespace mlir;

namespace helix {

std::string CompileRequest::str() const {
  std::string suffix = (target == "cpu" ? "" : ",target=" + target) +
                       (cpu == "host" ? "" : ",cpu=" + cpu);
  if (!sharded)
    return "unsharded" + suffix;
  return layout.str() + suffix;
}

bool compileModel(const ModelConfig &config, const CompileRequest &request,
                  const std::string &path, std::string &error) {
  MLIRContext context;
  std::string firstDiagnostic;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    if (firstDiagnostic.empty())
      firstDiagnostic = diag.str();
    return success();
  });
  OwningOpRef<ModuleOp> module = buildDecodeGraph(context, config);
  if (!module) {
    error = "the imported decode graph failed to verify: " + firstDiagnostic;
    return false;
  }
  if (request.sharded) {
    PassManager pm(&context);
    buildShardPipelineForLayout(pm, request.layout);
    if (failed(pm.run(*module))) {
      error = firstDiagnostic.empty() ? "sharding failed" : firstDiagnostic;
      return false;
    }
  }
  return compileToSharedObject(*module, path, error, request.target,
                               request.cpu);
}

bool compileModelCached(const ModelConfig &config, const std::string &configText,
                        const CompileRequest &request,
                        const std::string &cacheDir,
                        const std::string &compilerId, std::string &path,
                        std::string &error) {
  llvm::SHA256 hash;
  hash.update(configText);
  hash.update(request.str());
  hash.update(compilerId);
  // Code tuned for this host's CPU is never shared with another one.
  if (request.cpu == "host") {
    hash.update(llvm::sys::getHostCPUName());
    for (const auto &feature : llvm::sys::getHostCPUFeatures())
      if (feature.second)
        hash.update(feature.first());
  }
  std::string key = llvm::toHex(hash.final(), /*LowerCase=*/true).substr(0, 24);
  if (std::error_code ec = llvm::sys::fs::create_directories(cacheDir)) {
    error = "cannot create the module cache " + cacheDir + ": " + ec.message();
    return false;
  }
  llvm::SmallString<256> file(cacheDir);
  llvm::sys::path::append(file, "decode-" + key + ".so");
  path = file.str().str();
  if (llvm::sys::fs::exists(path))
    return true;
  return compileModel(config, request, path, error);
}

} // namespace helix
