//===- helix-import.cpp - Hugging Face config.json -> helix IR ------------===//
#include "helix/Import/DecodeGraph.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

namespace cl = llvm::cl;

static cl::opt<std::string> input(cl::Positional, cl::Required,
                                  cl::desc("<model dir or config.json>"));
static cl::opt<std::string> output("o", cl::desc("Output file (default: stdout)"),
                                   cl::value_desc("file"), cl::init("-"));

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(
      argc, argv,
      "helix-import: turn a Hugging Face model config into the helix "
      "decode-step IR\n");

  std::string error;
  std::string configJson;
  std::optional<helix::ModelConfig> config =
      helix::loadModelConfig(input, error, &configJson);
  if (!config) {
    llvm::errs() << "error: " << error << "\n";
    return 1;
  }
  mlir::MLIRContext context;
  mlir::OwningOpRef<mlir::ModuleOp> module =
      helix::buildDecodeGraph(context, *config, configJson);
  if (!module) {
    llvm::errs() << "error: " << input
                 << ": the imported decode graph failed to verify\n";
    return 1;
  }
  // Written only once the whole module exists: no half-written outputs.
  std::unique_ptr<llvm::ToolOutputFile> out =
      mlir::openOutputFile(output, &error);
  if (!out) {
    llvm::errs() << "error: " << error << "\n";
    return 1;
  }
  module->print(out->os());
  out->keep();
  return 0;
}
