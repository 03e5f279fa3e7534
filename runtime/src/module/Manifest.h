//===- Manifest.h - the JSON manifest of a compiled module ------*- C++ -*-===//
#ifndef HELIX_RT_MODULE_MANIFEST_H
#define HELIX_RT_MODULE_MANIFEST_H

#include "helix_rt/kernels.h"

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

struct WeightSpec {
  std::string name;
  std::vector<int64_t> shape; // full checkpoint shape
  std::optional<SliceSpec> slice;
  std::optional<OwnerSpec> owners;
};

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
  int64_t kvHeads = 0, headDim = 0;     // kv
  int64_t kvLoraRank = 0, ropeDim = 0;  // latent
  int64_t tokenShards = 1, block = 1;
  /// Floats one token takes in one layer (keys and values, or latent+rope).
  int64_t tokenWidth() const {
    return latent ? kvLoraRank + ropeDim : 2 * kvHeads * headDim;
  }
};

struct Manifest {
  int64_t abiVersion = 0;
  std::string target = "cpu"; // "cuda": buffers and ops through the Device
  std::string architecture;
  int64_t numLayers = 0, hiddenSize = 0, vocabSize = 0;
  int64_t kvp = 1, tpa = 1, tpf = 1, ep = 1, microbatches = 1, kvBlock = 1;
  std::map<std::string, std::vector<int64_t>> grids;
  std::optional<CacheSpec> cache;
  std::vector<WeightSpec> weights;
  std::vector<kernels::RopeParams> ropes;
  std::vector<GroupSpec> groups;
  std::vector<MoeSpec> moes;

  int64_t worldSize() const { return kvp * tpa; }
};

/// Parses and checks a manifest; false with a message on failure.
bool parseManifest(const std::string &json, Manifest &out, std::string &error);

} // namespace helix_rt

#endif // HELIX_RT_MODULE_MANIFEST_H
