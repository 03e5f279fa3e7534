//===- HelixOps.h - helix ops -----------------------------------*- C++ -*-===//
#ifndef HELIX_DIALECT_HELIX_IR_HELIXOPS_H
#define HELIX_DIALECT_HELIX_IR_HELIXOPS_H

#include "helix/Dialect/Helix/IR/HelixAttrs.h"
#include "helix/Dialect/Helix/IR/HelixDialect.h"
#include "helix/Dialect/Helix/IR/HelixInterfaces.h"
#include "helix/Dialect/Helix/IR/HelixTypes.h"
#include "helix/Model/Limits.h"
#include "mlir/IR/OpDefinition.h"

namespace helix {
/// Fails unless every ranked tensor operand and result of `op` has at most
/// limits::kMaxTensorElements elements in its static dimensions.
mlir::LogicalResult verifyBoundedShapes(mlir::Operation *op);

/// The ODS trait Helix_BoundedShapes, on every helix op.
template <typename ConcreteType>
class BoundedShapes
    : public mlir::OpTrait::TraitBase<ConcreteType, BoundedShapes> {
public:
  static mlir::LogicalResult verifyTrait(mlir::Operation *op) {
    return verifyBoundedShapes(op);
  }
};
} // namespace helix
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "helix/Dialect/Helix/IR/HelixOps.h.inc"

#endif // HELIX_DIALECT_HELIX_IR_HELIXOPS_H
