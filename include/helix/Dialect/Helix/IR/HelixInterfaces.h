//===- HelixInterfaces.h - helix op interfaces ------------------*- C++ -*-===//
#ifndef HELIX_DIALECT_HELIX_IR_HELIXINTERFACES_H
#define HELIX_DIALECT_HELIX_IR_HELIXINTERFACES_H

#include "helix_rt/manifest.h"

#include "mlir/IR/OpDefinition.h"

namespace helix {
/// The tensors an op reads are described with the manifest's own types
/// (helix_rt/manifest.h), so the lowering records them as they are:
/// WeightRef names a checkpoint tensor (full shape), WeightSlice the block of
/// one dimension a rank reads (`parts` blocks indexed by the rank's
/// coordinate along `axes` of `grid`), WeightOwners the ranks that read it at
/// all (experts owned by one EP group).
using WeightRef = helix_rt::WeightSpec;
using WeightSlice = helix_rt::SliceSpec;
using WeightOwners = helix_rt::OwnerSpec;
} // namespace helix

#include "helix/Dialect/Helix/IR/HelixInterfaces.h.inc"

#endif // HELIX_DIALECT_HELIX_IR_HELIXINTERFACES_H
