//===- manifest.h - what a compiled module tells the runtime ----*- C++ -*-===//
//
// The structs of the manifest a module exports as `helix_manifest`
// (docs/abi.md). The compiler's ops describe the checkpoint tensors they
// read with WeightSpec itself (WeightUserOpInterface), the lowering collects
// them into a Manifest, and helix_rt/manifest_json.h writes and reads it.
// Header-only and light (no JSON), so the dialect includes it.
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_RT_MANIFEST_H
#define HELIX_RT_MANIFEST_H

#include "helix_rt/abi.h"
#include "helix_rt/kernels.h"
#include "helix_rt/layout.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace helix_rt {

/// `parts` blocks of one dimension, indexed by the rank's coordinate along
/// `axes` of `grid` (first axis major).
struct SliceSpec {
  int64_t dim = 0;
  int64_t parts = 1;
  std::string grid;
  std::vector<int64_t> axes;
};

/// The tensor is read only by ranks whose block index along `axes` is
/// `index` (experts of one EP group).
struct OwnerSpec {
  std::string grid;
  std::vector<int64_t> axes;
  int64_t parts = 1;
  int64_t index = 0;
};

/// One checkpoint tensor: its Hugging Face name, full shape and, after
/// sharding, the slice each rank reads (none: all of it) and the ranks that
/// read it (none: every rank).
struct WeightSpec {
  std::string name;
  std::vector<int64_t> shape; // full checkpoint shape
  std::optional<SliceSpec> slice = std::nullopt;
  std::optional<OwnerSpec> owners = std::nullopt;

  int64_t numElements() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }
};

/// The communicator of the ranks that differ only along `axes` of `grid`.
struct GroupSpec {
  std::string grid;
  std::vector<int64_t> axes;
};

struct MoeSpec {
  int64_t numExperts = 0, width = 0, sharedWidth = 0;
  std::vector<std::vector<int64_t>> experts; // [gate, up, down] weight ids
  std::optional<std::vector<int64_t>> shared;
};

struct CacheSpec {
  bool latent = false;
  int64_t layers = 0;
  int64_t kvHeads = 0, headDim = 0;    // kv
  int64_t kvLoraRank = 0, ropeDim = 0; // latent
  int64_t tokenShards = 1, block = 1;
  /// Floats one token takes in one layer (keys and values, or latent+rope).
  int64_t tokenWidth() const {
    return latent ? kvLoraRank + ropeDim : 2 * kvHeads * headDim;
  }
};

/// The step's own buffers at their peak, planned at compile time: at most
/// bytesPerRow x R + bytes for a step of R rows (every dynamic dimension of
/// a step buffer is at most the step's rows). Collectives' staging and a
/// device's kernel workspaces come on top.
struct ScratchSpec {
  int64_t bytesPerRow = 0, bytes = 0;
  /// The bound for `rows` rows, saturating instead of overflowing.
  int64_t at(int64_t rows) const {
    if (rows > 0 && bytesPerRow > (INT64_MAX / 2 - bytes) / rows)
      return INT64_MAX / 2;
    return bytesPerRow * rows + bytes;
  }
};

struct ModelSpec {
  std::string architecture;
  int64_t numLayers = 0, hiddenSize = 0, vocabSize = 0;
  std::string weightDtype;
};

struct Manifest {
  int64_t abiVersion = abi::kVersion;
  std::string target = "cpu"; // "cuda": buffers and ops through the Device
  ModelSpec model;
  Layout layout; // the layout it was sharded for (all 1: unsharded)
  std::map<std::string, std::vector<int64_t>> grids;
  std::optional<CacheSpec> cache;
  std::vector<WeightSpec> weights;
  std::vector<kernels::RopeParams> ropes;
  std::vector<GroupSpec> groups;
  std::vector<MoeSpec> moes;
  ScratchSpec scratch;

  int64_t worldSize() const { return layout.kvp * layout.tpa; }
};

} // namespace helix_rt

#endif // HELIX_RT_MANIFEST_H
