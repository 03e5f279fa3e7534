//===- RankContext.h - one rank's state while it runs a module --*- C++ -*-===//
#ifndef HELIX_RT_MODULE_RANKCONTEXT_H
#define HELIX_RT_MODULE_RANKCONTEXT_H

#include "helix_rt/comm.h"
#include "helix_rt/helix_rt.h"
#include "helix_rt/kernels.h"
#include "helix_rt/manifest_json.h"
#include "helix_rt/safetensors.h"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace helix_rt {

struct MappingRelease {
  void operator()(helix_checkpoint_mapping *m) const {
    helix_checkpoint_mapping_release(m);
  }
};

/// A loaded weight block: the rank's slice of one manifest entry (empty
/// when the rank does not own the tensor). On the CPU device a bf16 or f16
/// matrix keeps its dtype: used in place in the checkpoint's mapping when
/// its block is one run of the file, else copied into `half`. Vectors
/// (norms, biases), fp32 matrices and every weight a caller's device takes
/// are fp32 in `data`.
struct LocalWeight {
  std::vector<float> data;
  std::vector<uint16_t> half;
  std::unique_ptr<helix_checkpoint_mapping, MappingRelease> mapping;
  /// Where the values are, and their type: data, half or the mapping.
  kernels::Weights values;
  std::vector<int64_t> shape; // local shape
  bool owned = false;

  int64_t count() const;
  /// The values' bytes (mapped ones included: they are read every step).
  int64_t bytes() const;
  helix_dtype dtype() const { return static_cast<helix_dtype>(values.type); }
};

class Device;

/// Scratch floats for a collective, in the rank's device memory (freed with
/// it).
class Scratch {
public:
  Scratch() = default;
  Scratch(Device &device, int64_t count);
  Scratch(Scratch &&other) noexcept { *this = std::move(other); }
  Scratch &operator=(Scratch &&other) noexcept;
  ~Scratch();
  float *data() { return floats; }

private:
  Device *device = nullptr;
  float *floats = nullptr;
};

/// One in-flight collective started by the compiled step.
struct PendingCollective {
  helix_comm_request *request = nullptr;
  Scratch staging; // packed send buffer, kept alive until wait
  Scratch landing; // receive buffer reordered into the output
  /// Runs after the wait (e.g. reorders `landing` into the output).
  std::function<void(PendingCollective &)> finish;
};

/// Everything a rank needs: its coordinates, weights, device (which holds
/// the cache) and communicators. The compiled step receives a pointer to it
/// as `ctx`.
class RankContext {
public:
  RankContext(); // out of line: Device is incomplete here
  ~RankContext();

  /// Collective over `world`; false with `error` on failure.
  /// With `device` (owned by the caller) weights and cache live there and
  /// the module must be a target=cuda one; without it the rank makes its
  /// own CpuDevice, which runs either target's module on host memory.
  bool init(const Manifest &manifest, const helix_checkpoint *checkpoint,
            helix_comm *world, int64_t maxBatch, int64_t maxContext,
            Device *device, std::string &error);

  /// The cache type the caller asked for (before init; the device decides
  /// what DEFAULT means and refuses what it cannot hold).
  void setKvDtype(helix_kv_dtype type) { kvType = type; }
  helix_kv_dtype kvDtype() const { return kvType; }

  const Manifest &manifest() const { return *spec; }
  int32_t rank() const { return rankId; }
  /// Never null after init: every op of the step runs here.
  Device *device() const { return dev; }
  helix_comm *world() const { return worldComm; }

  /// Coordinate of this rank along `axis` of grid `name`.
  int64_t coord(const std::string &grid, int64_t axis) const;
  /// Block index of this rank along `axes` of `grid` (first axis major).
  int64_t blockIndex(const std::string &grid,
                     const std::vector<int64_t> &axes) const;

  const LocalWeight &weight(int64_t id) const { return weights.at(id); }
  helix_comm *group(int64_t id) const { return groups.at(id); }

  int64_t cacheRows() const { return rows; }
  /// Positions a sequence may use: [0, maxContext).
  int64_t contextLimit() const { return maxContext; }
  int64_t cacheSlots() const { return slots; }
  /// The positions of the step being run (host copy, all rows), so a device
  /// can size launches without reading device memory back.
  void setStepPositions(const std::vector<int64_t> &p) { stepPos = p; }
  const std::vector<int64_t> &stepPositions() const { return stepPos; }
  /// The cache row (sequence) of each row of the step being run; empty when
  /// row r is sequence r (a decode step). A prefill chunk puts several rows
  /// of one sequence in one step (docs/runtime.md, "Chunked prefill").
  void setStepSequences(const std::vector<int64_t> &s) { stepSeq = s; }
  bool hasStepSequences() const { return !stepSeq.empty(); }
  int64_t cacheRowOf(int64_t stepRow) const {
    return stepSeq.empty() ? stepRow : stepSeq.at(stepRow);
  }
  const std::vector<int64_t> &stepSequences() const { return stepSeq; }
  /// Which rows of the step need logits (empty: all).
  void setStepLogitRows(std::vector<uint8_t> rows) { logitRows = std::move(rows); }
  bool wantsLogits(int64_t stepRow) const {
    return logitRows.empty() || logitRows.at(stepRow) != 0;
  }
  bool everyRowWantsLogits() const {
    for (uint8_t wanted : logitRows)
      if (!wanted)
        return false;
    return true;
  }
  /// The device's copy of the step's sequences (null in a decode step), for
  /// kernels that index the cache on the device.
  void setDeviceStepSequences(const int64_t *s) { deviceStepSeq = s; }
  const int64_t *deviceStepSequences() const { return deviceStepSeq; }

  /// Records the first failure and aborts the world so no peer hangs.
  void fail(const std::string &message);
  bool failed() const { return !firstError.empty(); }
  const std::string &error() const { return firstError; }

  int64_t startCollective(PendingCollective pending);
  PendingCollective takeCollective(int64_t id);

  int64_t weightBytes() const;
  /// Of those, the bytes held as `dtype`.
  int64_t weightBytesOf(helix_dtype dtype) const;
  int64_t cacheBytes() const;
  helix_dtype cacheDtype() const;

private:
  /// `keepHalf`: bf16/f16 matrices stay so (the CPU device reads them).
  bool loadWeights(const helix_checkpoint *checkpoint, bool keepHalf,
                   std::string &error);
  /// Reads (or maps) one block of a tensor of `dtype` into `local`, whose
  /// shape is the block's.
  static bool loadBlock(const helix_checkpoint *checkpoint,
                        const std::string &name, helix_dtype dtype, int32_t dim,
                        int64_t begin, int64_t size, bool keepHalf,
                        LocalWeight &local, std::string &error);
  bool createGroups(std::string &error);

  const Manifest *spec = nullptr;
  helix_comm *worldComm = nullptr;
  // Destroyed after `pending`, whose scratch it holds.
  std::unique_ptr<Device> ownDevice; // the CPU device, when the caller has none
  Device *dev = nullptr;
  int32_t rankId = 0;
  std::vector<LocalWeight> weights;
  std::vector<helix_comm *> groups;
  int64_t rows = 0, slots = 0, maxContext = 0;
  helix_kv_dtype kvType = HELIX_KV_DTYPE_DEFAULT;
  std::vector<int64_t> stepPos, stepSeq;
  const int64_t *deviceStepSeq = nullptr;
  std::vector<uint8_t> logitRows;
  std::string firstError;
  std::map<int64_t, PendingCollective> pending;
  int64_t nextRequest = 1;
};

} // namespace helix_rt

#endif // HELIX_RT_MODULE_RANKCONTEXT_H
