//===- Manifest.h - what the runtime must know about a module --*- C++ -*-===//
#ifndef HELIX_CONVERSION_HELIXTORUNTIME_MANIFEST_H
#define HELIX_CONVERSION_HELIXTORUNTIME_MANIFEST_H

#include "helix/Dialect/Helix/IR/HelixOps.h"

#include "helix_rt/manifest_json.h"

#include <map>
#include <string>
#include <vector>

namespace helix {

/// Collects, while the step is lowered, every id the compiled code passes to
/// the runtime, into the runtime's own manifest struct (helix_rt/manifest.h),
/// and renders it as the JSON of docs/abi.md.
class ManifestBuilder {
public:
  /// `target`: "cpu" or "cuda", recorded so the runtime runs the step where
  /// its buffers live.
  explicit ManifestBuilder(mlir::ModuleOp module, std::string target = "cpu")
      : module(module) {
    manifest.target = std::move(target);
  }

  /// Id of a checkpoint tensor read with a given slice / by given owners.
  int64_t weight(const WeightRef &ref);
  /// Ids of all tensors an op reads, in getWeights order.
  std::vector<int64_t> weightsOf(WeightUserOpInterface op);
  int64_t rope(RopeAttr rope);
  /// Id of the communicator over `axes` of `grid`.
  int64_t group(llvm::StringRef grid, llvm::ArrayRef<int16_t> axes);
  /// Id of an MoE block: its experts' (gate, up, down) ids and shared ids.
  int64_t moe(MoeExpertsOp op);
  /// The step's buffers at their peak (peakScratch).
  void setScratch(const helix_rt::ScratchSpec &scratch) {
    manifest.scratch = scratch;
  }

  /// The manifest as one JSON document (model, layout, grids and cache from
  /// the module; the rest as collected).
  /// Fails with an error at the module when a string in it is not valid
  /// UTF-8 (JSON holds only UTF-8; MLIR strings are any bytes).
  mlir::FailureOr<std::string> render() const;

private:
  mlir::ModuleOp module;
  helix_rt::Manifest manifest;
  // Each entry's JSON -> its id, so a tensor or group read twice is one entry.
  std::map<std::string, int64_t> weightIds, ropeIds, groupIds;
};

} // namespace helix

#endif // HELIX_CONVERSION_HELIXTORUNTIME_MANIFEST_H
