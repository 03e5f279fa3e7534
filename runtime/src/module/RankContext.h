//===- RankContext.h - one rank's state while it runs a module --*- C++ -*-===//
#ifndef HELIX_RT_MODULE_RANKCONTEXT_H
#define HELIX_RT_MODULE_RANKCONTEXT_H

#include "Manifest.h"
#include "helix_rt/comm.h"
#include "helix_rt/safetensors.h"

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace helix_rt {

/// A loaded weight block: the rank's slice of one manifest entry (empty
/// when the rank does not own the tensor).
struct LocalWeight {
  std::vector<float> data;
  std::vector<int64_t> shape; // local shape
  bool owned = false;
};

/// One in-flight collective started by the compiled step.
struct PendingCollective {
  helix_comm_request *request = nullptr;
  std::vector<float> staging; // packed send buffer, kept alive until wait
  std::vector<float> landing; // receive buffer reordered into the output
  /// Runs after the wait with `landing` (e.g. reorders it into the output).
  std::function<void(const std::vector<float> &landing)> finish;
};

/// Everything a rank needs: its coordinates, weights, cache and
/// communicators. The compiled step receives a pointer to it as `ctx`.
class RankContext {
public:
  /// Collective over `world`; false with `error` on failure.
  bool init(const Manifest &manifest, const helix_checkpoint *checkpoint,
            helix_comm *world, int64_t maxBatch, int64_t maxContext,
            std::string &error);
  ~RankContext();

  const Manifest &manifest() const { return *spec; }
  int32_t rank() const { return rankId; }
  helix_comm *world() const { return worldComm; }

  /// Coordinate of this rank along `axis` of grid `name`.
  int64_t coord(const std::string &grid, int64_t axis) const;
  /// Block index of this rank along `axes` of `grid` (first axis major).
  int64_t blockIndex(const std::string &grid,
                     const std::vector<int64_t> &axes) const;

  const LocalWeight &weight(int64_t id) const { return weights.at(id); }
  helix_comm *group(int64_t id) const { return groups.at(id); }

  /// Start of the cache block of (layer, sequence row): for KV caches all
  /// slots' keys, then all slots' values; for latent caches each slot's
  /// latent followed by its RoPE key.
  float *rowBase(int64_t layer, int64_t row);
  int64_t cacheRows() const { return rows; }
  /// Positions a sequence may use: [0, maxContext).
  int64_t contextLimit() const { return maxContext; }
  int64_t cacheSlots() const { return slots; }

  /// Records the first failure and aborts the world so no peer hangs.
  void fail(const std::string &message);
  bool failed() const { return !firstError.empty(); }
  const std::string &error() const { return firstError; }

  int64_t startCollective(PendingCollective pending);
  PendingCollective takeCollective(int64_t id);

  int64_t weightBytes() const;
  int64_t cacheBytes() const { return static_cast<int64_t>(cache.size()) * 4; }

private:
  bool loadWeights(const helix_checkpoint *checkpoint, std::string &error);
  bool createGroups(std::string &error);

  const Manifest *spec = nullptr;
  helix_comm *worldComm = nullptr;
  int32_t rankId = 0;
  std::vector<LocalWeight> weights;
  std::vector<helix_comm *> groups;
  std::vector<float> cache;
  int64_t rows = 0, slots = 0, maxContext = 0;
  std::string firstError;
  std::map<int64_t, PendingCollective> pending;
  int64_t nextRequest = 1;
};

} // namespace helix_rt

#endif // HELIX_RT_MODULE_RANKCONTEXT_H
