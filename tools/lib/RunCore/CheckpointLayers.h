//===- CheckpointLayers.h - config.json's layers against the checkpoint -*- C++ -*-===//
#ifndef HELIX_TOOLS_RUNCORE_CHECKPOINTLAYERS_H
#define HELIX_TOOLS_RUNCORE_CHECKPOINTLAYERS_H

#include "helix_rt/helix_rt.h"

#include <cstdint>
#include <string>

namespace helix::run {

/// False with one line when the checkpoint's decoder layers
/// (`model.layers.N.*` tensors) are not exactly 0 .. `layers` - 1: checked
/// before compiling, so a config.json that disagrees with its checkpoint
/// fails at once, naming both, instead of compiling a graph for layers that
/// do not exist (or silently ignoring layers that do).
bool checkCheckpointLayers(const helix_checkpoint *checkpoint, int64_t layers,
                           std::string &error);

} // namespace helix::run

#endif // HELIX_TOOLS_RUNCORE_CHECKPOINTLAYERS_H
