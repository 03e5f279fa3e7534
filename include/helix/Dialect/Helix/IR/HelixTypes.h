//===- HelixTypes.h - helix types -------------------------------*- C++ -*-===//
#ifndef HELIX_DIALECT_HELIX_IR_HELIXTYPES_H
#define HELIX_DIALECT_HELIX_IR_HELIXTYPES_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Types.h"

#define GET_TYPEDEF_CLASSES
#include "helix/Dialect/Helix/IR/HelixOpsTypes.h.inc"

#endif // HELIX_DIALECT_HELIX_IR_HELIXTYPES_H
