//===- LowerCompiledOps.cpp - helix ops compiled to loops in the module ---===//
//
// RMSNorm, the LSE merge, shard sums and argmax are cheap next to the GEMMs
// and attention, but they are the graph's glue: they are generated here as
// scf loops over buffers (fp32, math dialect for exp/log/sqrt) and compiled
// with the module by LLVM, not called in the runtime. Weights they read come
// from `helix_rt_weight_1d`, which returns the rank's buffer of a manifest
// weight as a memref.
//
//===----------------------------------------------------------------------===//
#include "StepBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using helix_rt::abi::Entry;

namespace helix {
namespace {

Value index(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

Value f32(OpBuilder &b, Location loc, float v) {
  return arith::ConstantFloatOp::create(b, loc, b.getF32Type(), APFloat(v));
}

/// for (i = 0; i < upper; ++i) body(i), with no loop-carried values.
void loop(OpBuilder &b, Location loc, Value upper,
          function_ref<void(OpBuilder &, Value)> body) {
  auto op = scf::ForOp::create(b, loc, index(b, loc, 0), upper, index(b, loc, 1));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(op.getBody());
  body(b, op.getInductionVar());
}

/// A loop carrying one f32 (or i64) value; returns its final value.
Value reduce(OpBuilder &b, Location loc, Value upper, Value init,
             function_ref<Value(OpBuilder &, Value, Value)> body) {
  auto op = scf::ForOp::create(b, loc, index(b, loc, 0), upper,
                               index(b, loc, 1), ValueRange{init});
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(op.getBody());
    Value next = body(b, op.getInductionVar(), op.getRegionIterArgs()[0]);
    scf::YieldOp::create(b, loc, next);
  }
  return op.getResult(0);
}

Value dim(OpBuilder &b, Location loc, Value buffer, int64_t d) {
  return memref::DimOp::create(b, loc, buffer, d);
}

/// y = x / sqrt(mean(x^2) + eps) * w, row by row.
void emitRmsNorm(StepBuilder &s, RmsNormOp op, Value in, Value out) {
  OpBuilder &b = s.builder();
  Location loc = op.getLoc();
  int64_t id = s.manifestBuilder().weightsOf(cast<WeightUserOpInterface>(*op))[0];
  auto weightType = MemRefType::get({ShapedType::kDynamic}, b.getF32Type());
  Value weight = s.callReturning(loc, Entry::weight_1d, {s.i64(loc, id)}, weightType);
  Value rows = dim(b, loc, in, 0);
  int64_t n = cast<MemRefType>(in.getType()).getDimSize(1);
  Value width = index(b, loc, n);
  Value eps = f32(b, loc, static_cast<float>(op.getEpsilon().convertToDouble()));
  Value count = f32(b, loc, static_cast<float>(n));
  loop(b, loc, rows, [&](OpBuilder &b, Value r) {
    Value sum = reduce(b, loc, width, f32(b, loc, 0), [&](OpBuilder &b, Value i, Value acc) {
      Value x = memref::LoadOp::create(b, loc, in, ValueRange{r, i});
      return arith::AddFOp::create(b, loc, acc, arith::MulFOp::create(b, loc, x, x));
    });
    Value mean = arith::DivFOp::create(b, loc, sum, count);
    Value inv = math::RsqrtOp::create(b, loc, arith::AddFOp::create(b, loc, mean, eps));
    loop(b, loc, width, [&](OpBuilder &b, Value i) {
      Value x = memref::LoadOp::create(b, loc, in, ValueRange{r, i});
      Value w = memref::LoadOp::create(b, loc, weight, ValueRange{i});
      Value y = arith::MulFOp::create(b, loc, arith::MulFOp::create(b, loc, x, inv), w);
      memref::StoreOp::create(b, loc, y, out, ValueRange{r, i});
    });
  });
}

/// in [K, B, heads, W+1] -> out [B, heads*W]: O = sum_k exp(lse_k - lse) O_k.
void emitLseMerge(StepBuilder &s, Location loc, Value in, Value out) {
  OpBuilder &b = s.builder();
  auto type = cast<MemRefType>(in.getType());
  int64_t heads = type.getDimSize(2), width = type.getDimSize(3) - 1;
  Value shards = index(b, loc, type.getDimSize(0));
  Value batch = dim(b, loc, in, 1);
  Value lseIndex = index(b, loc, width);
  Value widthV = index(b, loc, width);
  Value negInf = f32(b, loc, -std::numeric_limits<float>::infinity());
  Value zero = f32(b, loc, 0);
  loop(b, loc, batch, [&](OpBuilder &b, Value r) {
    loop(b, loc, index(b, loc, heads), [&](OpBuilder &b, Value h) {
      Value max = reduce(b, loc, shards, negInf, [&](OpBuilder &b, Value k, Value acc) {
        Value lse = memref::LoadOp::create(b, loc, in, ValueRange{k, r, h, lseIndex});
        return arith::MaximumFOp::create(b, loc, acc, lse);
      });
      // All shards empty: the output is 0 (never exp(-inf - -inf) = NaN).
      Value empty = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, max, negInf);
      Value shift = arith::SelectOp::create(b, loc, empty, zero, max);
      Value total = reduce(b, loc, shards, zero, [&](OpBuilder &b, Value k, Value acc) {
        Value lse = memref::LoadOp::create(b, loc, in, ValueRange{k, r, h, lseIndex});
        Value e = math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, lse, shift));
        return arith::AddFOp::create(b, loc, acc, e);
      });
      Value safeTotal = arith::SelectOp::create(b, loc, empty, f32(b, loc, 1), total);
      loop(b, loc, widthV, [&](OpBuilder &b, Value w) {
        Value acc = reduce(b, loc, shards, zero, [&](OpBuilder &b, Value k, Value acc) {
          Value lse = memref::LoadOp::create(b, loc, in, ValueRange{k, r, h, lseIndex});
          Value weight = math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, lse, shift));
          Value o = memref::LoadOp::create(b, loc, in, ValueRange{k, r, h, w});
          // Empty shards have weight 0; select so a stray value never leaks.
          Value term = arith::MulFOp::create(b, loc, weight, o);
          Value isEmpty = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, lse, negInf);
          return arith::AddFOp::create(b, loc, acc, arith::SelectOp::create(b, loc, isEmpty, zero, term));
        });
        Value col = arith::AddIOp::create(b, loc, arith::MulIOp::create(b, loc, h, widthV), w);
        memref::StoreOp::create(b, loc, arith::DivFOp::create(b, loc, acc, safeTotal), out,
                                ValueRange{r, col});
      });
    });
  });
}

/// in [K, B, F] -> out [B, F]: the sum over K.
void emitSumShards(StepBuilder &s, Location loc, Value in, Value out) {
  OpBuilder &b = s.builder();
  auto type = cast<MemRefType>(in.getType());
  Value shards = index(b, loc, type.getDimSize(0));
  Value width = index(b, loc, type.getDimSize(2));
  loop(b, loc, dim(b, loc, in, 1), [&](OpBuilder &b, Value r) {
    loop(b, loc, width, [&](OpBuilder &b, Value f) {
      Value sum = reduce(b, loc, shards, f32(b, loc, 0), [&](OpBuilder &b, Value k, Value acc) {
        return arith::AddFOp::create(b, loc, acc,
                                     memref::LoadOp::create(b, loc, in, ValueRange{k, r, f}));
      });
      memref::StoreOp::create(b, loc, sum, out, ValueRange{r, f});
    });
  });
}

/// out[b] = the first index of the row's maximum (ties: lowest id).
void emitArgmax(StepBuilder &s, Location loc, Value in, Value out) {
  OpBuilder &b = s.builder();
  int64_t vocab = cast<MemRefType>(in.getType()).getDimSize(1);
  loop(b, loc, dim(b, loc, in, 0), [&](OpBuilder &b, Value r) {
    auto op = scf::ForOp::create(
        b, loc, index(b, loc, 0), index(b, loc, vocab), index(b, loc, 1),
        ValueRange{f32(b, loc, -std::numeric_limits<float>::infinity()),
                   index(b, loc, 0)});
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(op.getBody());
      Value i = op.getInductionVar();
      Value best = op.getRegionIterArgs()[0], at = op.getRegionIterArgs()[1];
      Value x = memref::LoadOp::create(b, loc, in, ValueRange{r, i});
      Value better = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, best);
      scf::YieldOp::create(b, loc,
                           ValueRange{arith::SelectOp::create(b, loc, better, x, best),
                                      arith::SelectOp::create(b, loc, better, i, at)});
    }
    Value id = arith::IndexCastOp::create(b, loc, b.getI64Type(), op.getResult(1));
    memref::StoreOp::create(b, loc, id, out, ValueRange{r});
  });
}

/// On device buffers the same ops are runtime calls (kernels on a GPU).
LogicalResult callDeviceOp(StepBuilder &s, Operation *op, Value in, Value out) {
  Location loc = op->getLoc();
  if (auto norm = dyn_cast<RmsNormOp>(op)) {
    int64_t id =
        s.manifestBuilder().weightsOf(cast<WeightUserOpInterface>(*op))[0];
    s.call(loc, Entry::rms_norm,
           {s.i64(loc, id), s.f32(loc, norm.getEpsilon().convertToDouble()), in,
            out});
  } else if (isa<LseMergeOp>(op)) {
    s.call(loc, Entry::lse_merge, {in, out});
  } else if (isa<SumShardsOp>(op)) {
    s.call(loc, Entry::sum_shards, {in, out});
  } else if (isa<ArgmaxOp>(op)) {
    s.call(loc, Entry::argmax, {in, out});
  } else {
    return op->emitOpError("is not compiled in the module");
  }
  return success();
}

} // namespace

LogicalResult lowerCompiledOp(StepBuilder &s, Operation *op) {
  Location loc = op->getLoc();
  Value in = s.buffer(op->getOperand(0));
  Value out = s.alloc(loc, op->getResult(0).getType(), in);
  s.mapping().map(op->getResult(0), out);
  if (s.deviceBuffers())
    return callDeviceOp(s, op, in, out);
  if (auto norm = dyn_cast<RmsNormOp>(op))
    emitRmsNorm(s, norm, in, out);
  else if (isa<LseMergeOp>(op))
    emitLseMerge(s, loc, in, out);
  else if (isa<SumShardsOp>(op))
    emitSumShards(s, loc, in, out);
  else if (isa<ArgmaxOp>(op))
    emitArgmax(s, loc, in, out);
  else
    return op->emitOpError("is not compiled in the module");
  return success();
}

} // namespace helix
