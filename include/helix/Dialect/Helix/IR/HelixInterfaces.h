//===- HelixInterfaces.h - helix op interfaces ------------------*- C++ -*-===//
#ifndef HELIX_DIALECT_HELIX_IR_HELIXINTERFACES_H
#define HELIX_DIALECT_HELIX_IR_HELIXINTERFACES_H

#include "mlir/IR/OpDefinition.h"
#include "llvm/ADT/SmallVector.h"
#include <optional>
#include <string>

namespace helix {
/// The block of one dimension a rank reads: `parts` equal blocks, indexed
/// by the rank's coordinate along `axes` of grid `grid` (first axis major).
struct WeightSlice {
  int64_t dim = 0;
  int64_t parts = 1;
  std::string grid;
  llvm::SmallVector<int64_t, 2> axes;
};

/// Which ranks read a tensor at all: those whose block index along `axes`
/// (of `parts` blocks) is `index`. Used for experts owned by one EP group.
struct WeightOwners {
  std::string grid;
  llvm::SmallVector<int64_t, 2> axes;
  int64_t parts = 1;
  int64_t index = 0;
};

/// One checkpoint tensor read by an op: its Hugging Face name, full shape
/// and, after sharding, the slice each rank reads (none: all of it) and the
/// ranks that read it (none: every rank).
struct WeightRef {
  std::string name;
  llvm::SmallVector<int64_t, 2> shape;
  std::optional<WeightSlice> slice = std::nullopt;
  std::optional<WeightOwners> owners = std::nullopt;

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
