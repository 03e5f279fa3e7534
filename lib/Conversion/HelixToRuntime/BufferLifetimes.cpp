//===- BufferLifetimes.cpp - free each step buffer after its last use -----===//
//
// The lowered step is one straight-line block, so a buffer can be freed
// right after the last op that touches it, directly, inside a loop, or
// through one of its views (casts, subviews, expand_shape, the views of
// device blocks). A buffer handed to a started collective stays
// alive until the matching wait, which does not name it.
//
//===----------------------------------------------------------------------===//
#include "StepBuilder.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;

namespace helix {

void placeDeallocations(StepBuilder &step, Block &block) {
  OpBuilder &b = step.builder();
  ArrayRef<Value> buffers = step.allocations();
  DenseMap<Value, Value> root; // view -> the buffer it aliases
  for (Value buffer : buffers)
    root[buffer] = buffer;
  auto rootOf = [&](Value v) { return root.lookup(v); };

  DenseMap<Value, Operation *> lastUse;
  DenseMap<Value, SmallVector<Value>> heldByRequest; // start result -> buffers
  for (Operation &op : block) {
    if (isa<memref::CastOp, memref::SubViewOp, memref::ExpandShapeOp,
            memref::ViewOp>(op))
      if (Value r = rootOf(op.getOperand(0)))
        root[op.getResult(0)] = r;
    // Uses inside loops count for the loop: it is the top-level op that must
    // finish before the buffer can go.
    SmallVector<Value> touched;
    op.walk([&](Operation *nested) {
      for (Value operand : nested->getOperands())
        if (Value r = rootOf(operand))
          touched.push_back(r);
    });
    auto call = dyn_cast<func::CallOp>(op);
    if (call && call.getCallee().starts_with("helix_rt_start_"))
      heldByRequest[call.getResult(0)] = touched;
    if (call && call.getCallee() == "helix_rt_wait")
      touched.append(heldByRequest.lookup(call.getOperand(1)));
    for (Value r : touched)
      lastUse[r] = &op;
  }
  for (Value buffer : buffers) {
    Operation *after = lastUse.lookup(buffer);
    b.setInsertionPointAfter(after ? after : buffer.getDefiningOp());
    step.release(buffer.getLoc(), buffer);
  }
}

FailureOr<helix_rt::ScratchSpec> peakScratch(const StepBuilder &step,
                                             Block &block) {
  // Straight-line: the live set only changes at an allocation or a free,
  // so the peak is the maximum over the ops. Rows and fixed bytes peak
  // apart; their sum bounds any step.
  helix_rt::ScratchSpec live, peak;
  auto account = [&](Value allocation, int64_t sign) -> LogicalResult {
    StepBuilder::AllocationSize size = step.sizeOf(allocation);
    if (size.dynamicDims > 1)
      return emitError(allocation.getLoc())
             << "a step buffer with " << size.dynamicDims
             << " dynamic dimensions has no per-row size";
    (size.dynamicDims ? live.bytesPerRow : live.bytes) += sign * size.unitBytes;
    peak.bytesPerRow = std::max(peak.bytesPerRow, live.bytesPerRow);
    peak.bytes = std::max(peak.bytes, live.bytes);
    return success();
  };
  for (Operation &op : block) {
    for (Value result : op.getResults())
      if (step.sizeOf(result).unitBytes > 0 && failed(account(result, 1)))
        return failure();
    auto call = dyn_cast<func::CallOp>(op);
    if (call && call.getCallee() == "helix_rt_free" &&
        step.sizeOf(call.getOperand(1)).unitBytes > 0 &&
        failed(account(call.getOperand(1), -1)))
      return failure();
  }
  return peak;
}

} // namespace helix
