//===- StepBuilder.cpp - buffers, constants and runtime calls -------------===//
#include "StepBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;

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
  Value buffer = memref::AllocOp::create(b, loc, type, sizes);
  allocs.push_back(buffer);
  return buffer;
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

Value StepBuilder::callReturning(Location loc, StringRef name, ValueRange args,
                                 MemRefType type) {
  std::string symbol = ("helix_rt_" + name).str();
  SmallVector<Value> operands = {ctx};
  operands.append(args.begin(), args.end());
  if (!SymbolTable::lookupSymbolIn(module, symbol)) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToEnd(module.getBody());
    auto decl = func::FuncOp::create(
        b, loc, symbol, b.getFunctionType(TypeRange(ValueRange(operands)), {type}));
    decl.setPrivate();
    decl->setAttr("llvm.emit_c_interface", b.getUnitAttr());
  }
  return func::CallOp::create(b, loc, symbol, TypeRange{type}, operands)
      .getResult(0);
}

Value StepBuilder::call(Location loc, StringRef name, ValueRange args,
                        bool returnsI64) {
  std::string symbol = ("helix_rt_" + name).str();
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
  if (!SymbolTable::lookupSymbolIn(module, symbol)) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToEnd(module.getBody());
    auto decl = func::FuncOp::create(
        b, loc, symbol,
        b.getFunctionType(TypeRange(ValueRange(operands)), results));
    decl.setPrivate();
    decl->setAttr("llvm.emit_c_interface", b.getUnitAttr());
  }
  auto op = func::CallOp::create(b, loc, symbol, results, operands);
  return returnsI64 ? op.getResult(0) : Value();
}

} // namespace helix
