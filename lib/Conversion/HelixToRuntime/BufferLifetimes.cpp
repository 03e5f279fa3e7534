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

} // namespace helix
