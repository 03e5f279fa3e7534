//===- SharedObject.cpp - decode step -> LLVM -> host object -> .so -------===//
#include "helix/Target/Cpu/SharedObject.h"
#include "helix/Conversion/Passes.h"
#include "helix/Dialect/Helix/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"

#ifndef HELIX_LLD_PATH
#define HELIX_LLD_PATH "ld.lld"
#endif

using namespace mlir;

namespace helix {

void buildCpuLoweringPipeline(OpPassManager &pm, const std::string &target) {
  HelixLowerToRuntimeOptions options;
  options.target = target;
  // A device merges the all-to-all's receive buffer straight into W_O's /
  // W_UV's input; on the CPU the merge is the runtime's lse_merge (a fused
  // call would run the same two kernels).
  if (target == "cuda")
    pm.addPass(createHelixFuseMergeIntoLinear());
  pm.addPass(createHelixLowerToRuntime(options));
  // Strided-metadata expansion emits affine.apply: lower affine after it.
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

namespace {
struct LoweringOptions : public PassPipelineOptions<LoweringOptions> {
  Option<std::string> target{*this, "target",
                             llvm::cl::desc("cpu (default) or cuda"),
                             llvm::cl::init("cpu")};
};
} // namespace

void registerCpuLoweringPipeline() {
  PassPipelineRegistration<LoweringOptions>(
      "helix-lower-to-llvm",
      "Lower a decode step to the LLVM dialect for the runtime (host code)",
      [](OpPassManager &pm, const LoweringOptions &options) {
        buildCpuLoweringPipeline(pm, options.target);
      });
}

namespace {

/// Moves the manifest from the module attribute into an exported,
/// NUL-terminated global `helix_manifest` and drops the helix attributes the
/// LLVM IR export does not know.
void embedManifest(ModuleOp module) {
  auto manifest = module->getAttrOfType<StringAttr>("helix.manifest");
  SmallVector<StringAttr> helixAttrs;
  for (NamedAttribute attr : module->getAttrs())
    if (attr.getName().getValue().starts_with("helix."))
      helixAttrs.push_back(attr.getName());
  for (StringAttr name : helixAttrs)
    module->removeAttr(name);
  if (!manifest)
    return;
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  std::string text = manifest.getValue().str();
  text.push_back('\0');
  auto type = LLVM::LLVMArrayType::get(b.getI8Type(), text.size());
  LLVM::GlobalOp::create(b, module.getLoc(), type, /*isConstant=*/true,
                         LLVM::Linkage::External, "helix_manifest",
                         b.getStringAttr(text));
}

/// The machine for `cpu`: "host" (this CPU and its features), or an LLVM
/// CPU name such as x86-64-v3 (its own features) for modules that must run
/// on another machine.
std::unique_ptr<llvm::TargetMachine> hostTargetMachine(const std::string &cpu,
                                                       std::string &error) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return nullptr;
  std::string features;
  if (cpu == "host")
    for (const auto &feature : llvm::sys::getHostCPUFeatures())
      features += (feature.second ? "+" : "-") + feature.first().str() + ",";
  // Asked of a generic subtarget: one made for an unknown CPU warns on
  // stderr.
  else if (std::unique_ptr<llvm::MCSubtargetInfo> info(
               target->createMCSubtargetInfo(triple, "", ""));
           !info || !info->isCPUStringValid(cpu)) {
    error = "unknown CPU '" + cpu + "' for " + triple.str();
    return nullptr;
  }
  llvm::TargetOptions options;
  return std::unique_ptr<llvm::TargetMachine>(target->createTargetMachine(
      triple, cpu == "host" ? llvm::sys::getHostCPUName().str() : cpu,
      features, options,
      llvm::Reloc::PIC_, std::nullopt, llvm::CodeGenOptLevel::Aggressive));
}

} // namespace

bool compileToSharedObject(ModuleOp module, const std::string &path,
                           std::string &error, const std::string &target,
                           const std::string &cpu) {
  MLIRContext *context = module.getContext();
  std::string diagnostics;
  {
    ScopedDiagnosticHandler handler(context, [&](Diagnostic &diag) {
      if (diagnostics.empty())
        diagnostics = diag.str();
      return success();
    });
    PassManager pm(context);
    buildCpuLoweringPipeline(pm, target);
    if (failed(pm.run(module))) {
      error = "lowering to LLVM failed: " + diagnostics;
      return false;
    }
  }
  embedManifest(module);

  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  context->appendDialectRegistry(registry);
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext, "helix_decode_step");
  if (!llvmModule) {
    error = "translation to LLVM IR failed";
    return false;
  }
  std::unique_ptr<llvm::TargetMachine> machine = hostTargetMachine(cpu, error);
  if (!machine) {
    error = "no LLVM target machine: " + error;
    return false;
  }
  llvmModule->setDataLayout(machine->createDataLayout());
  llvmModule->setTargetTriple(machine->getTargetTriple());
  auto optimize = makeOptimizingTransformer(/*optLevel=*/3, /*sizeLevel=*/0,
                                            machine.get());
  if (llvm::Error err = optimize(llvmModule.get())) {
    error = "LLVM optimization failed: " + llvm::toString(std::move(err));
    return false;
  }

  // Unique temporaries: several processes may compile the same key at once.
  llvm::SmallString<256> objectPath, libraryPath;
  if (llvm::sys::fs::createUniqueFile(path + ".%%%%%%.o", objectPath) ||
      llvm::sys::fs::createUniqueFile(path + ".%%%%%%.tmp", libraryPath)) {
    error = "cannot create temporary files next to " + path;
    return false;
  }
  std::string object = objectPath.str().str();
  std::string library = libraryPath.str().str();
  {
    std::error_code ec;
    llvm::raw_fd_ostream out(object, ec, llvm::sys::fs::OF_None);
    if (ec) {
      error = "cannot write " + object + ": " + ec.message();
      return false;
    }
    llvm::legacy::PassManager codegen;
    if (machine->addPassesToEmitFile(codegen, out, nullptr,
                                     llvm::CodeGenFileType::ObjectFile)) {
      error = "the host target cannot emit object files";
      return false;
    }
    codegen.run(*llvmModule);
  }
  std::string linkError;
  llvm::StringRef args[] = {HELIX_LLD_PATH, "-shared", "-o", library, object};
  int rc = llvm::sys::ExecuteAndWait(HELIX_LLD_PATH, args, std::nullopt, {}, 0,
                                     0, &linkError);
  llvm::sys::fs::remove(object);
  if (rc != 0) {
    llvm::sys::fs::remove(library);
    error = "linking " + path + " with " HELIX_LLD_PATH " failed" +
            (linkError.empty() ? "" : ": " + linkError);
    return false;
  }
  if (std::error_code ec = llvm::sys::fs::rename(library, path)) {
    error = "cannot move " + library + " to " + path + ": " + ec.message();
    return false;
  }
  return true;
}

} // namespace helix
