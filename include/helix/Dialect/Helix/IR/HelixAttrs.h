//===- HelixAttrs.h - helix attributes and enums ----------------*- C++ -*-===//
#ifndef HELIX_DIALECT_HELIX_IR_HELIXATTRS_H
#define HELIX_DIALECT_HELIX_IR_HELIXATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectImplementation.h"

#include "helix_rt/layout.h"

#include "llvm/ADT/Hashing.h"
#include "llvm/ADT/bit.h"

namespace helix {
/// A double attribute parameter: hashable (by bits) and printed as an exact
/// MLIR float literal, unlike a raw `double`.
struct F64 {
  double value = 0;
  F64() = default;
  F64(double value) : value(value) {}
  operator double() const { return value; }
  friend bool operator==(F64 a, F64 b) {
    return llvm::bit_cast<uint64_t>(a.value) == llvm::bit_cast<uint64_t>(b.value);
  }
  friend llvm::hash_code hash_value(F64 v) {
    return llvm::hash_value(llvm::bit_cast<uint64_t>(v.value));
  }
};
} // namespace helix

namespace mlir {
template <>
struct FieldParser<helix::F64> {
  static FailureOr<helix::F64> parse(AsmParser &parser) {
    double value = 0;
    if (parser.parseFloat(value))
      return failure();
    return helix::F64(value);
  }
};
} // namespace mlir

#include "helix/Dialect/Helix/IR/HelixEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "helix/Dialect/Helix/IR/HelixAttrs.h.inc"

#endif // HELIX_DIALECT_HELIX_IR_HELIXATTRS_H
