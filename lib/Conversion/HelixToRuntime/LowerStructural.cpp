//===- LowerStructural.cpp - tensors, index math, owners, collectives -----===//
//
// What is not a microkernel: slicing and concatenation become subviews and
// runtime copies, residual adds and the KV owner rule runtime calls,
// collectives communicator calls.
//
//===----------------------------------------------------------------------===//
#include "StepBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using helix_rt::abi::Collective;
using helix_rt::abi::Entry;

namespace helix {

LogicalResult lowerHelixOp(StepBuilder &s, Operation *op);

namespace {

/// OpFoldResults of the original op, with SSA sizes mapped to the new step.
SmallVector<OpFoldResult> mapMixed(StepBuilder &s, ArrayRef<OpFoldResult> in) {
  SmallVector<OpFoldResult> out;
  for (OpFoldResult ofr : in)
    if (auto value = dyn_cast<Value>(ofr))
      out.push_back(s.buffer(value));
    else
      out.push_back(ofr);
  return out;
}

/// A contiguous copy of `view` into a fresh buffer of tensor type `type`.
Value copyToFresh(StepBuilder &s, Location loc, Value view, Type type) {
  OpBuilder &b = s.builder();
  auto tensor = cast<RankedTensorType>(type);
  auto memType = MemRefType::get(tensor.getShape(), tensor.getElementType());
  SmallVector<Value> sizes;
  for (int64_t d = 0; d < memType.getRank(); ++d)
    if (memType.isDynamicDim(d))
      sizes.push_back(memref::DimOp::create(b, loc, view, d));
  Value fresh = s.allocBuffer(loc, memType, sizes);
  s.copy(loc, view, fresh);
  return fresh;
}

LogicalResult lowerTensorOp(StepBuilder &s, Operation *op) {
  OpBuilder &b = s.builder();
  Location loc = op->getLoc();
  if (auto dim = dyn_cast<tensor::DimOp>(op)) {
    s.mapping().map(dim.getResult(),
                    memref::DimOp::create(b, loc, s.buffer(dim.getSource()),
                                          s.buffer(dim.getIndex())));
    return success();
  }
  if (auto slice = dyn_cast<tensor::ExtractSliceOp>(op)) {
    Value view = memref::SubViewOp::create(
        b, loc, s.buffer(slice.getSource()),
        mapMixed(s, slice.getMixedOffsets()), mapMixed(s, slice.getMixedSizes()),
        mapMixed(s, slice.getMixedStrides()));
    Value fresh = copyToFresh(s, loc, view, slice.getType());
    s.mapping().map(slice.getResult(), fresh);
    return success();
  }
  if (auto concat = dyn_cast<tensor::ConcatOp>(op)) {
    if (concat.getDim() != 0)
      return op->emitOpError("runtime lowering concatenates along dim 0 only");
    Value total = arith::ConstantIndexOp::create(b, loc, 0);
    SmallVector<Value> offsets;
    for (Value part : concat.getInputs()) {
      offsets.push_back(total);
      total = arith::AddIOp::create(
          b, loc, total, memref::DimOp::create(b, loc, s.buffer(part), 0));
    }
    auto tensor = cast<RankedTensorType>(concat.getType());
    auto memType = MemRefType::get(tensor.getShape(), tensor.getElementType());
    Value out = s.allocBuffer(loc, memType, ValueRange{total});
    for (auto [part, offset] : llvm::zip(concat.getInputs(), offsets)) {
      Value src = s.buffer(part);
      auto srcType = cast<MemRefType>(src.getType());
      SmallVector<OpFoldResult> offs(srcType.getRank(), b.getIndexAttr(0));
      SmallVector<OpFoldResult> sizes, strides(srcType.getRank(), b.getIndexAttr(1));
      offs[0] = offset;
      sizes.push_back(memref::DimOp::create(b, loc, src, 0).getResult());
      for (int64_t d = 1; d < srcType.getRank(); ++d)
        sizes.push_back(b.getIndexAttr(srcType.getDimSize(d)));
      Value dst = memref::SubViewOp::create(b, loc, out, offs, sizes, strides);
      s.copy(loc, src, dst);
    }
    s.mapping().map(concat.getResult(), out);
    return success();
  }
  if (auto expand = dyn_cast<tensor::ExpandShapeOp>(op)) {
    auto tensor = cast<RankedTensorType>(expand.getType());
    Value out = memref::ExpandShapeOp::create(
        b, loc, MemRefType::get(tensor.getShape(), tensor.getElementType()),
        s.buffer(expand.getSrc()), expand.getReassociationIndices(),
        mapMixed(s, expand.getMixedOutputShape()));
    s.mapping().map(expand.getResult(), out);
    return success();
  }
  return op->emitOpError("has no runtime lowering");
}

/// owner[b] = the KVP rank that stores positions[b] (helix_rt/abi.h).
LogicalResult lowerKvOwner(StepBuilder &s, KvOwnerOp op) {
  Location loc = op.getLoc();
  Value positions = s.buffer(op.getPositions());
  Value owner = s.alloc(loc, op.getType(), positions);
  s.mapping().map(op.getResult(), owner);
  s.call(loc, Entry::kv_owner,
         {s.i64(loc, op.getBlock()), s.i64(loc, op.getShards()), positions,
          owner});
  return success();
}

/// The collective, its group id and its output buffer.
FailureOr<std::tuple<Collective, int64_t, Value>>
prepareCollective(StepBuilder &s, Operation *op) {
  Location loc = op->getLoc();
  Value in = s.buffer(op->getOperand(0));
  Value out = s.alloc(loc, op->getResult(0).getType(), in);
  if (auto a2a = dyn_cast<shard::AllToAllOp>(op)) {
    if (a2a.getSplitAxis() != 2 || a2a.getConcatAxis() != 0)
      return op->emitOpError("runtime lowering supports the head-scattering "
                             "all-to-all only (split_axis 2, concat_axis 0)");
    return std::make_tuple(Collective::AllToAll,
                           s.manifestBuilder().group(a2a.getGrid(),
                                                     a2a.getGridAxes()),
                           out);
  }
  if (auto ar = dyn_cast<shard::AllReduceOp>(op)) {
    if (ar.getReduction() != shard::ReductionKind::Sum)
      return op->emitOpError("runtime lowering supports sum all-reduce only");
    return std::make_tuple(Collective::AllReduce,
                           s.manifestBuilder().group(ar.getGrid(),
                                                     ar.getGridAxes()),
                           out);
  }
  auto ag = cast<shard::AllGatherOp>(op);
  int64_t axis = ag.getGatherAxis().getZExtValue();
  int64_t rank = cast<RankedTensorType>(ag.getInput().getType()).getRank();
  // Axis 0 stacks shards; axis 1 of a matrix concatenates their columns
  // (the vocabulary-parallel LM head).
  Collective kind =
      axis == 0 ? Collective::AllGather : Collective::AllGatherColumns;
  if (!(axis == 0 || (axis == 1 && rank == 2)))
    return op->emitOpError("runtime lowering gathers along axis 0, or axis 1 "
                           "of a matrix");
  return std::make_tuple(kind,
                         s.manifestBuilder().group(ag.getGrid(),
                                                   ag.getGridAxes()),
                         out);
}

LogicalResult lowerCollective(StepBuilder &s, Operation *op) {
  Location loc = op->getLoc();
  auto prepared = prepareCollective(s, op);
  if (failed(prepared))
    return failure();
  auto [kind, group, out] = *prepared;
  s.call(loc, helix_rt::abi::blockingEntry(kind), {s.i64(loc, group), s.buffer(op->getOperand(0)), out});
  s.mapping().map(op->getResult(0), out);
  return success();
}

} // namespace

LogicalResult lowerOp(StepBuilder &s, Operation *op) {
  OpBuilder &b = s.builder();
  Location loc = op->getLoc();
  if (op->getDialect() == op->getContext()->getLoadedDialect<HelixDialect>()) {
    if (auto owner = dyn_cast<KvOwnerOp>(op))
      return lowerKvOwner(s, owner);
    if (auto start = dyn_cast<CollectiveStartOp>(op)) {
      Operation *inner = start.getCollective();
      auto prepared = prepareCollective(s, inner);
      if (failed(prepared))
        return failure();
      auto [kind, group, out] = *prepared;
      Value request =
          s.call(loc, helix_rt::abi::startEntry(kind),
                 {s.i64(loc, group), s.buffer(inner->getOperand(0)), out},
                 /*returnsI64=*/true);
      s.mapping().map(start.getRequest(), request);
      s.mapping().map(inner->getResult(0), out);
      return success();
    }
    if (auto wait = dyn_cast<CollectiveWaitOp>(op)) {
      auto start = wait.getRequest().getDefiningOp<CollectiveStartOp>();
      if (!start)
        return op->emitOpError("waits for a request that was not started here");
      s.call(loc, Entry::wait, {s.buffer(wait.getRequest())});
      s.mapping().map(wait.getResult(),
                      s.buffer(start.getCollective()->getResult(0)));
      return success();
    }
    return lowerHelixOp(s, op);
  }
  if (isa<shard::AllToAllOp, shard::AllReduceOp, shard::AllGatherOp>(op))
    return lowerCollective(s, op);
  if (auto index = dyn_cast<shard::ProcessMultiIndexOp>(op)) {
    int64_t grid = helix_rt::abi::gridCode(index.getGrid().str());
    if (grid < 0 || index.getAxes().size() != 1)
      return op->emitOpError("runtime lowering supports one axis of the helix "
                             "grids");
    Value coord = s.call(loc, Entry::grid_coord,
                         {s.i64(loc, grid), s.i64(loc, index.getAxes()[0])},
                         /*returnsI64=*/true);
    s.mapping().map(index.getResult()[0],
                    arith::IndexCastOp::create(b, loc, b.getIndexType(), coord));
    return success();
  }
  if (auto add = dyn_cast<arith::AddFOp>(op);
      add && isa<RankedTensorType>(add.getType())) {
    Value lhs = s.buffer(add.getLhs());
    if (cast<MemRefType>(lhs.getType()).getRank() != 2)
      return op->emitOpError("runtime lowering adds matrices only");
    Value out = s.alloc(loc, add.getType(), lhs);
    s.call(loc, Entry::add, {lhs, s.buffer(add.getRhs()), out});
    s.mapping().map(add.getResult(), out);
    return success();
  }
  if (isa<arith::ArithDialect>(op->getDialect())) {
    for (Type type : op->getResultTypes())
      if (!type.isIntOrIndexOrFloat())
        return op->emitOpError("has no runtime lowering for tensor results");
    b.clone(*op, s.mapping());
    return success();
  }
  if (isa<tensor::TensorDialect>(op->getDialect()))
    return lowerTensorOp(s, op);
  return op->emitOpError("has no runtime lowering");
}

} // namespace helix
