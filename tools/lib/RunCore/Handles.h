//===- Handles.h - the runtime's C handles, closed on every path -*- C++ -*-===//
//
// unique_ptr owners for what the tools open through the runtime's C API, so
// that every early return closes them (the sanitizer build checks for
// leaks). Open with the C function, then hand the pointer to a handle.
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_TOOLS_RUNCORE_HANDLES_H
#define HELIX_TOOLS_RUNCORE_HANDLES_H

#include "helix_rt/helix_rt.h"

#include <memory>

namespace helix::run {

struct CheckpointCloser {
  void operator()(helix_checkpoint *checkpoint) const {
    helix_checkpoint_close(checkpoint);
  }
};
struct ModuleCloser {
  void operator()(helix_module *module) const { helix_module_close(module); }
};

using CheckpointHandle = std::unique_ptr<helix_checkpoint, CheckpointCloser>;
using ModuleHandle = std::unique_ptr<helix_module, ModuleCloser>;

} // namespace helix::run

#endif // HELIX_TOOLS_RUNCORE_HANDLES_H
