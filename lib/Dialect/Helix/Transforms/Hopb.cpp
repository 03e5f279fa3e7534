//===- Hopb.cpp - HOP-B: interleaved micro-batches over async collectives -===//
//
// The step is cloned once per micro-batch (a row range of the batch) and the
// clones are emitted segment by segment, a segment being the ops between two
// collectives of the original step:
//
//   for each segment s, for each micro-batch m:
//     wait for m's collectives of segment s-1; compute (m, s); start (m, s)
//
// so while micro-batch m computes, the collectives of the micro-batches
// before it in this segment and after it in the previous one are in flight.
// Cache appends stay one chain in emission order (each micro-batch writes
// its own rows, addressed by `rows from`).
//
//===----------------------------------------------------------------------===//
#include "helix/Dialect/Helix/IR/HelixOps.h"
#include "helix/Dialect/Helix/Transforms/LayoutUtils.h"
#include "helix/Dialect/Helix/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/IRMapping.h"

namespace helix {
#define GEN_PASS_DEF_HELIXHOPB
#include "helix/Dialect/Helix/Transforms/Passes.h.inc"
} // namespace helix

using namespace mlir;
using namespace helix;

namespace {

bool isCollective(Operation *op) {
  return isa<shard::AllToAllOp, shard::AllReduceOp, shard::AllGatherOp>(op);
}

bool isCache(Type type) { return isa<KvCacheType, LatentCacheType>(type); }

/// Rows [begin, begin + size) of micro-batch m: sizes differ by at most one,
/// the first B % M micro-batches get the extra row.
struct RowRange {
  Value begin, size;
};

RowRange microbatchRows(OpBuilder &b, Location loc, Value batch, int64_t m,
                        int64_t count) {
  auto c = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  Value base = arith::DivUIOp::create(b, loc, batch, c(count));
  Value extra = arith::RemUIOp::create(b, loc, batch, c(count));
  Value mIndex = c(m);
  Value begin = arith::AddIOp::create(
      b, loc, arith::MulIOp::create(b, loc, mIndex, base),
      arith::MinUIOp::create(b, loc, mIndex, extra));
  Value hasExtra = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                         mIndex, extra);
  Value size = arith::AddIOp::create(
      b, loc, base, arith::SelectOp::create(b, loc, hasExtra, c(1), c(0)));
  return {begin, size};
}

Value sliceRows(OpBuilder &b, Location loc, Value tensor, RowRange rows) {
  auto type = cast<RankedTensorType>(tensor.getType());
  SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes, strides(type.getRank(), b.getIndexAttr(1));
  offsets[0] = rows.begin;
  sizes.push_back(rows.size);
  for (int64_t d = 1; d < type.getRank(); ++d)
    sizes.push_back(b.getIndexAttr(type.getDimSize(d)));
  SmallVector<int64_t> shape(type.getShape());
  shape[0] = ShapedType::kDynamic;
  return tensor::ExtractSliceOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), tensor,
      offsets, sizes, strides);
}

class MicrobatchScheduler {
public:
  MicrobatchScheduler(func::FuncOp func, int64_t count)
      : func(func), count(count), maps(count), pending(count) {}

  LogicalResult run() {
    Block &body = func.front();
    auto ret = dyn_cast<func::ReturnOp>(body.getTerminator());
    if (!ret)
      return func.emitOpError("helix-hopb expects a func.return terminator");
    SmallVector<Operation *> original;
    SmallVector<SmallVector<Operation *>> segments(1);
    for (Operation &op : body.without_terminator()) {
      original.push_back(&op);
      segments.back().push_back(&op);
      if (isCollective(&op))
        segments.emplace_back();
    }

    OpBuilder b(ret);
    Location loc = func.getLoc();
    if (failed(splitArguments(b, loc, body)))
      return failure();
    for (ArrayRef<Operation *> segment : segments)
      for (int64_t m = 0; m < count; ++m) {
        waitPending(b, m);
        for (Operation *op : segment)
          cloneInto(b, op, m);
      }

    SmallVector<Value> results;
    for (Value value : ret.getOperands()) {
      if (isCache(value.getType())) {
        results.push_back(latestCache);
        continue;
      }
      SmallVector<Value> parts;
      for (int64_t m = 0; m < count; ++m)
        parts.push_back(maps[m].lookup(value));
      results.push_back(tensor::ConcatOp::create(b, loc, 0, parts));
    }
    func::ReturnOp::create(b, ret.getLoc(), results);
    ret.erase();
    for (Operation *op : llvm::reverse(original))
      op->erase();
    return success();
  }

private:
  /// Row slices of the batched arguments; the cache is shared by all.
  LogicalResult splitArguments(OpBuilder &b, Location loc, Block &body) {
    Value batch;
    for (BlockArgument arg : body.getArguments())
      if (isa<RankedTensorType>(arg.getType())) {
        batch = tensor::DimOp::create(b, loc, arg, 0);
        break;
      }
    if (!batch)
      return func.emitOpError("helix-hopb needs a batched tensor argument");
    for (int64_t m = 0; m < count; ++m)
      rows.push_back(microbatchRows(b, loc, batch, m, count));
    for (BlockArgument arg : body.getArguments()) {
      if (isCache(arg.getType())) {
        latestCache = arg;
        continue;
      }
      if (!isa<RankedTensorType>(arg.getType()))
        return func.emitOpError("helix-hopb cannot split argument of type ")
               << arg.getType();
      for (int64_t m = 0; m < count; ++m)
        maps[m].map(arg, sliceRows(b, loc, arg, rows[m]));
    }
    return success();
  }

  void waitPending(OpBuilder &b, int64_t m) {
    for (auto [result, request] : pending[m])
      maps[m].map(result, CollectiveWaitOp::create(b, result.getLoc(), request)
                              .getResult());
    pending[m].clear();
  }

  void cloneInto(OpBuilder &b, Operation *op, int64_t m) {
    IRMapping &map = maps[m];
    if (isCollective(op)) {
      Value result = op->getResult(0);
      auto start = CollectiveStartOp::create(
          b, op->getLoc(), RequestType::get(b.getContext(), result.getType()));
      Block *block = b.createBlock(&start.getBody());
      OpBuilder inner = OpBuilder::atBlockBegin(block);
      Operation *clone = inner.clone(*op, map);
      YieldOp::create(inner, op->getLoc(), clone->getResult(0));
      b.setInsertionPointAfter(start);
      pending[m].push_back({result, start.getRequest()});
      return;
    }
    bool appends = isa<KvAppendOp, LatentAppendOp>(op);
    if (appends)
      map.map(op->getOperand(0), latestCache);
    Operation *clone = b.clone(*op, map);
    Value begin = rows[m].begin;
    if (auto a = dyn_cast<KvAppendOp>(clone))
      a.getRowOffsetMutable().assign(begin);
    else if (auto a = dyn_cast<LatentAppendOp>(clone))
      a.getRowOffsetMutable().assign(begin);
    else if (auto a = dyn_cast<GqaPartialAttentionOp>(clone))
      a.getRowOffsetMutable().assign(begin);
    else if (auto a = dyn_cast<MlaPartialAttentionOp>(clone))
      a.getRowOffsetMutable().assign(begin);
    else if (auto a = dyn_cast<LinearOp>(clone); a && a.getLogits())
      a.getRowOffsetMutable().assign(begin);
    if (appends)
      latestCache = clone->getResult(0);
  }

  func::FuncOp func;
  int64_t count;
  SmallVector<IRMapping> maps;
  SmallVector<RowRange> rows;
  SmallVector<SmallVector<std::pair<Value, Value>>> pending;
  Value latestCache;
};

struct HelixHopbPass : public helix::impl::HelixHopbBase<HelixHopbPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<LayoutAttr> layout = requireLayout(module, getArgument());
    if (failed(layout))
      return signalPassFailure();
    int64_t count = layout->getMicrobatches();
    if (count == 1)
      return; // the plain schedule
    bool already = false;
    module.walk([&](CollectiveStartOp) { already = true; });
    if (already) {
      module.emitError("helix-hopb: the module is already pipelined");
      return signalPassFailure();
    }
    SmallVector<func::FuncOp> funcs;
    module.walk([&](func::FuncOp func) {
      if (!func.isExternal())
        funcs.push_back(func);
    });
    for (func::FuncOp func : funcs)
      if (failed(MicrobatchScheduler(func, count).run()))
        return signalPassFailure();
  }
};

} // namespace
