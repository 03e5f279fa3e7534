//===- StepBuilder.cpp - buffers, constants and runtime calls -------------===//
#include "StepBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;
using helix_rt::abi::Entry;

namespace helix {

Value StepBuilder::batchOf(Location loc, Value buffer) {
  auto type = cast<MemRefType>(buffer.getType());
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (type.isDynamicDim(d))
      return memref::DimOp::create(b, loc, buffer, d);
  return {};
}

Value StepBuilder::alloc(Location loc, Type tensorType, Value like) {
  auto tensor = cast<RankedTensorType>(tensorType);
  auto type = MemRefType::get(tensor.getShape(), tensor.getElementType());
  SmallVector<Value> sizes;
  if (type.getNumDynamicDims() > 0) {
    Value batch = batchOf(loc, like);
    sizes.assign(type.getNumDynamicDims(), batch);
  }
  return allocBuffer(loc, type, sizes);
}

Value StepBuilder::allocBuffer(Location loc, MemRefType type,
                               ValueRange sizes) {
  // bytes = element size x static extent x each dynamic size.
  int64_t staticCount = 1;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (!type.isDynamicDim(d))
      staticCount *= type.getDimSize(d);
  int64_t elementBytes = type.getElementTypeBitWidth() / 8;
  Value bytes = i64(loc, staticCount * elementBytes);
  for (Value size : sizes)
    bytes = arith::MulIOp::create(b, loc, bytes, indexToI64(loc, size));
  auto rawType = MemRefType::get({ShapedType::kDynamic}, b.getI8Type());
  Value raw = callReturning(loc, Entry::alloc, {bytes}, rawType);
  allocs.push_back(raw);
  this->sizes[raw] = {staticCount * elementBytes,
                      static_cast<int64_t>(sizes.size())};
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  return memref::ViewOp::create(b, loc, type, raw, zero, sizes);
}

void StepBuilder::release(Location loc, Value allocation) {
  emitCall(loc, Entry::free, {ctx, allocation}, {});
}

void StepBuilder::copy(Location loc, Value src, Value dst) {
  // One declaration per element type and rank, taking any strides.
  auto type = cast<MemRefType>(src.getType());
  int64_t rank = type.getRank();
  SmallVector<int64_t> shape(rank, ShapedType::kDynamic);
  auto layout =
      StridedLayoutAttr::get(b.getContext(), ShapedType::kDynamic,
                             SmallVector<int64_t>(rank, ShapedType::kDynamic));
  auto strided = MemRefType::get(shape, type.getElementType(), layout);
  auto cast = [&](Value v) {
    return v.getType() == strided
               ? v
               : memref::CastOp::create(b, loc, strided, v).getResult();
  };
  Entry entry;
  if (!helix_rt::abi::copyEntry(type.getElementType().isInteger(64), rank,
                                entry)) {
    mlir::emitError(loc) << "the runtime has no copy of " << type;
    return;
  }
  emitCall(loc, entry, {ctx, cast(src), cast(dst)}, {});
}

Value StepBuilder::i64(Location loc, int64_t value) {
  return arith::ConstantIntOp::create(b, loc, value, 64);
}

Value StepBuilder::f32(Location loc, double value) {
  return arith::ConstantFloatOp::create(b, loc, b.getF32Type(),
                                        llvm::APFloat(static_cast<float>(value)));
}

Value StepBuilder::indexToI64(Location loc, Value index) {
  return arith::IndexCastOp::create(b, loc, b.getI64Type(), index);
}

func::CallOp StepBuilder::emitCall(Location loc, Entry entry,
                                   ValueRange operands, TypeRange results) {
  StringRef symbol = helix_rt::abi::symbol(entry);
  if (!SymbolTable::lookupSymbolIn(module, symbol)) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToEnd(module.getBody());
    auto decl = func::FuncOp::create(
        b, loc, symbol, b.getFunctionType(TypeRange(operands), results));
    decl.setPrivate();
    decl->setAttr("llvm.emit_c_interface", b.getUnitAttr());
  }
  return func::CallOp::create(b, loc, symbol, results, operands);
}

Value StepBuilder::callReturning(Location loc, Entry entry, ValueRange args,
                                 MemRefType type) {
  SmallVector<Value> operands = {ctx};
  operands.append(args.begin(), args.end());
  return emitCall(loc, entry, operands, TypeRange{type}).getResult(0);
}

Value StepBuilder::call(Location loc, Entry entry, ValueRange args,
                        bool returnsI64) {
  // The runtime takes every buffer with dynamic sizes, so one declaration
  // serves all shapes.
  SmallVector<Value> operands = {ctx};
  for (Value arg : args) {
    auto type = dyn_cast<MemRefType>(arg.getType());
    if (!type) {
      operands.push_back(arg);
      continue;
    }
    SmallVector<int64_t> shape(type.getRank(), ShapedType::kDynamic);
    auto dynamic = MemRefType::get(shape, type.getElementType());
    operands.push_back(type == dynamic
                           ? arg
                           : memref::CastOp::create(b, loc, dynamic, arg).getResult());
  }
  SmallVector<Type> results;
  if (returnsI64)
    results.push_back(b.getI64Type());
  auto op = emitCall(loc, entry, operands, results);
  return returnsI64 ? op.getResult(0) : Value();
}

} // namespace helix
