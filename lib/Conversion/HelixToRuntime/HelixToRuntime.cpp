//===- HelixToRuntime.cpp - the decode step as buffers and runtime calls --===//
#include "StepBuilder.h"
#include "helix/Conversion/Passes.h"
#include "helix/Import/DecodeGraph.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace helix {
#define GEN_PASS_DEF_HELIXLOWERTORUNTIME
#include "helix/Conversion/Passes.h.inc"
} // namespace helix

using namespace mlir;
using namespace helix;

namespace {

bool isCache(Type type) { return isa<KvCacheType, LatentCacheType>(type); }

struct HelixLowerToRuntimePass
    : public helix::impl::HelixLowerToRuntimeBase<HelixLowerToRuntimePass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (target != "cpu" && target != "cuda") {
      module.emitError("helix-lower-to-runtime: unknown target '")
          << target << "' (expected cpu or cuda)";
      return signalPassFailure();
    }
    auto step = module.lookupSymbol<func::FuncOp>(kDecodeStepFunction);
    if (!step || step.isExternal()) {
      module.emitError("helix-lower-to-runtime needs a defined @")
          << kDecodeStepFunction;
      return signalPassFailure();
    }
    FunctionType type = step.getFunctionType();
    if (type.getNumInputs() != 3 || type.getNumResults() != 3 ||
        !isCache(type.getInput(2))) {
      step.emitOpError("must take (tokens, positions, cache) and return "
                       "(next tokens, logits, cache)");
      return signalPassFailure();
    }

    MLIRContext *context = module.getContext();
    OpBuilder b(context);
    b.setInsertionPoint(step);
    auto memrefOf = [](Type t) {
      auto tensor = cast<RankedTensorType>(t);
      return MemRefType::get(tensor.getShape(), tensor.getElementType());
    };
    Type i64 = b.getI64Type();
    auto loweredType = b.getFunctionType(
        {i64, memrefOf(type.getInput(0)), memrefOf(type.getInput(1)),
         memrefOf(type.getResult(0)), memrefOf(type.getResult(1))},
        {});
    auto lowered =
        func::FuncOp::create(b, step.getLoc(), "decode_step_lowered", loweredType);
    Block *body = lowered.addEntryBlock();
    b.setInsertionPointToStart(body);

    ManifestBuilder manifest(module, target);
    StepBuilder s(module, b, body->getArgument(0), manifest);
    Block &old = step.front();
    s.mapping().map(old.getArgument(0), body->getArgument(1));
    s.mapping().map(old.getArgument(1), body->getArgument(2));
    for (Operation &op : old.without_terminator()) {
      // Manifest entries are interned by their JSON, which holds only UTF-8,
      // while an MLIR string (a weight or grid name) may hold any bytes.
      LogicalResult done = failure();
      try {
        done = lowerOp(s, &op);
      } catch (const nlohmann::json::exception &e) {
        op.emitOpError("cannot go into the manifest: ") << e.what();
      }
      if (failed(done))
        return signalPassFailure();
    }

    Operation *ret = old.getTerminator();
    Location loc = ret->getLoc();
    s.copy(loc, s.buffer(ret->getOperand(0)), body->getArgument(3));
    s.copy(loc, s.buffer(ret->getOperand(1)), body->getArgument(4));
    func::ReturnOp::create(b, loc);
    placeDeallocations(s, *body);
    FailureOr<helix_rt::ScratchSpec> scratch = peakScratch(s, *body);
    if (failed(scratch))
      return signalPassFailure();
    manifest.setScratch(*scratch);

    FailureOr<std::string> json = manifest.render();
    if (failed(json))
      return signalPassFailure();
    step.erase();
    lowered.setName(kDecodeStepFunction);
    lowered->setAttr("llvm.emit_c_interface", b.getUnitAttr());
    for (auto grid : llvm::make_early_inc_range(module.getOps<shard::GridOp>()))
      grid.erase();
    module->setAttr("helix.manifest", b.getStringAttr(*json));
  }
};

} // namespace
