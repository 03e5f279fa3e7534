//===- HelixInterfaces.h - helix op interfaces ------------------*- C++ -*-===//
#ifndef HELIX_DIALECT_HELIX_IR_HELIXINTERFACES_H
#define HELIX_DIALECT_HELIX_IR_HELIXINTERFACES_H

#include "mlir/IR/OpDefinition.h"
#include "llvm/ADT/SmallVector.h"
#include <string>

namespace helix {
/// One checkpoint tensor read by an op: its Hugging Face name and full shape.
struct WeightRef {
  std::string name;
  llvm::SmallVector<int64_t, 2> shape;

  int64_t numElements() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }
};
} // namespace helix

#include "helix/Dialect/Helix/IR/HelixInterfaces.h.inc"

#endif // HELIX_DIALECT_HELIX_IR_HELIXINTERFACES_H
