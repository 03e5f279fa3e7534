//===- RankContext.cpp - weights, cache and groups of one rank ------------===//
#include "RankContext.h"
#include "CpuDevice.h"
#include "helix_rt/abi.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace helix_rt {
namespace {

/// Index of the first NaN or infinity among `count` weights, or -1. A
/// non-finite weight only shows up later as NaN logits; named here, at load,
/// it points at the tensor. One pass over the weights, in their stored type
/// (the exponent bits all ones is NaN or Inf for bf16 and f16 alike).
int64_t firstNonFinite(const kernels::Weights &w, int64_t count) {
  if (w.isF32()) {
    const float *v = static_cast<const float *>(w.data);
    for (int64_t i = 0; i < count; ++i)
      if (!std::isfinite(v[i]))
        return i;
    return -1;
  }
  const uint16_t mask = w.type == kernels::WeightType::BF16 ? 0x7f80 : 0x7c00;
  const uint16_t *v = static_cast<const uint16_t *>(w.data);
  for (int64_t i = 0; i < count; ++i)
    if ((v[i] & mask) == mask)
      return i;
  return -1;
}


std::string shapeString(const std::vector<int64_t> &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

} // namespace

int64_t LocalWeight::count() const {
  int64_t n = owned ? 1 : 0;
  for (int64_t d : shape)
    n *= d;
  return n;
}

int64_t LocalWeight::bytes() const {
  return count() * (values.isF32() ? 4 : 2);
}

Scratch::Scratch(Device &device, int64_t count)
    : device(&device), floats(static_cast<float *>(device.alloc(count * 4))) {}

Scratch &Scratch::operator=(Scratch &&other) noexcept {
  std::swap(device, other.device);
  std::swap(floats, other.floats);
  return *this;
}

Scratch::~Scratch() {
  if (floats)
    device->free(floats);
}

RankContext::RankContext() = default;

RankContext::~RankContext() {
  for (auto &[id, entry] : pending)
    if (entry.request)
      helix_comm_wait(entry.request);
  for (helix_comm *comm : groups)
    helix_comm_destroy(comm);
}

int64_t RankContext::coord(const std::string &grid, int64_t axis) const {
  const std::vector<int64_t> &shape = spec->grids.at(grid);
  int64_t rest = rankId;
  int64_t stride = 1;
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d > axis; --d)
    stride *= shape[d];
  return (rest / stride) % shape[axis];
}

int64_t RankContext::blockIndex(const std::string &grid,
                                const std::vector<int64_t> &axes) const {
  const std::vector<int64_t> &shape = spec->grids.at(grid);
  int64_t index = 0;
  for (int64_t axis : axes)
    index = index * shape[axis] + coord(grid, axis);
  return index;
}

bool RankContext::init(const Manifest &manifest,
                       const helix_checkpoint *checkpoint, helix_comm *world,
                       int64_t maxBatch, int64_t maxContext, Device *device,
                       std::string &error) {
  spec = &manifest;
  worldComm = world;
  // A caller's device has memory of its own, which a target=cpu step (host
  // buffers it allocates itself) cannot use.
  if (device && manifest.target != "cuda") {
    error = std::string("the module was compiled for target ") +
            manifest.target + "; the " + device->name() +
            " device runs target=cuda modules only";
    return false;
  }
  rankId = helix_comm_rank(world);
  if (helix_comm_size(world) != manifest.worldSize()) {
    error = "the module was compiled for " +
            std::to_string(manifest.worldSize()) + " ranks but the world has " +
            std::to_string(helix_comm_size(world));
    return false;
  }
  const CacheSpec &c = *manifest.cache;
  rows = maxBatch;
  this->maxContext = maxContext;
  slots = abi::kvCapacity(maxContext, c.block, c.tokenShards);
  int64_t floats = 0;
  if (__builtin_mul_overflow(c.layers, rows, &floats) ||
      __builtin_mul_overflow(floats, slots, &floats) ||
      __builtin_mul_overflow(floats, c.tokenWidth(), &floats) ||
      floats > (int64_t(1) << 46)) {
    error = "the KV cache for " + std::to_string(maxBatch) + " sequences of " +
            std::to_string(maxContext) + " tokens does not fit in memory";
    return false;
  }
  // Only the CPU device reads bf16/f16 matrices; a caller's device takes
  // fp32 and converts them itself.
  if (!loadWeights(checkpoint, /*keepHalf=*/!device, error))
    return false;
  if (!device) {
    ownDevice = std::make_unique<CpuDevice>();
    device = ownDevice.get();
  }
  dev = device;
  // The device binds the world (its stream) before the groups split off it.
  if (!dev->upload(*this, rows, slots, error))
    return false;
  // A caller's device holds the data now (the CPU device reads it here);
  // the shapes stay for the checks.
  if (!ownDevice)
    for (LocalWeight &w : weights)
      std::vector<float>().swap(w.data);
  return createGroups(error);
}

bool RankContext::loadWeights(const helix_checkpoint *checkpoint, bool keepHalf,
                              std::string &error) {
  char message[512];
  weights.resize(spec->weights.size());
  for (size_t id = 0; id < spec->weights.size(); ++id) {
    const WeightSpec &w = spec->weights[id];
    LocalWeight &local = weights[id];
    if (w.owners &&
        blockIndex(w.owners->grid, w.owners->axes) != w.owners->index)
      continue;
    helix_tensor_info info;
    if (helix_checkpoint_info(checkpoint, w.name.c_str(), &info, message,
                              sizeof message) != HELIX_OK) {
      error = message;
      return false;
    }
    std::vector<int64_t> actual(info.shape, info.shape + info.rank);
    if (actual != w.shape) {
      error = "tensor '" + w.name + "' has shape " + shapeString(actual) +
              " in the checkpoint but the model config implies " +
              shapeString(w.shape);
      return false;
    }
    local.shape = w.shape;
    int32_t dim = 0;
    int64_t begin = 0, size = w.shape[0];
    if (w.slice) {
      dim = static_cast<int32_t>(w.slice->dim);
      int64_t block = w.shape[dim] / w.slice->parts;
      begin = blockIndex(w.slice->grid, w.slice->axes) * block;
      size = block;
      local.shape[dim] = block;
    }
    local.owned = true;
    if (!loadBlock(checkpoint, w.name, info.dtype, dim, begin, size,
                   keepHalf && local.shape.size() == 2, local, error))
      return false;
    if (int64_t at = firstNonFinite(local.values, local.count()); at >= 0) {
      error = "tensor '" + w.name + "' holds a NaN or an infinity (element " +
              std::to_string(at) + " of this rank's block)";
      return false;
    }
  }
  return true;
}

bool RankContext::loadBlock(const helix_checkpoint *checkpoint,
                            const std::string &name, helix_dtype dtype,
                            int32_t dim, int64_t begin, int64_t size,
                            bool keepHalf, LocalWeight &local,
                            std::string &error) {
  char message[512];
  auto count = static_cast<size_t>(local.count());
  if (!keepHalf || dtype == HELIX_DTYPE_F32) {
    local.data.resize(count);
    local.values = local.data.data();
    if (helix_checkpoint_read_block(checkpoint, name.c_str(), dim, begin, size,
                                    local.data.data(), message,
                                    sizeof message) == HELIX_OK)
      return true;
    error = message;
    return false;
  }
  auto type = static_cast<kernels::WeightType>(dtype);
  const void *mapped = nullptr;
  helix_checkpoint_mapping *mapping = nullptr;
  if (helix_checkpoint_map_block(checkpoint, name.c_str(), dim, begin, size,
                                 &mapped, &mapping, message,
                                 sizeof message) != HELIX_OK) {
    error = message;
    return false;
  }
  if (mapped) {
    local.mapping.reset(mapping);
    local.values = {mapped, type};
    return true;
  }
  // A column block (row-parallel projections): its own half copy.
  local.half.resize(count);
  local.values = {local.half.data(), type};
  if (helix_checkpoint_read_block_as(checkpoint, name.c_str(), dim, begin, size,
                                     dtype, local.half.data(), message,
                                     sizeof message) == HELIX_OK)
    return true;
  error = message;
  return false;
}

bool RankContext::createGroups(std::string &error) {
  // Every rank splits the world once per group, in manifest order, so the
  // collective splits match up.
  for (const GroupSpec &g : spec->groups) {
    const std::vector<int64_t> &shape = spec->grids.at(g.grid);
    int64_t color = 0;
    for (int64_t axis = 0; axis < static_cast<int64_t>(shape.size()); ++axis)
      if (std::find(g.axes.begin(), g.axes.end(), axis) == g.axes.end())
        color = color * shape[axis] + coord(g.grid, axis);
    int64_t key = blockIndex(g.grid, g.axes);
    helix_comm *comm = nullptr;
    if (helix_comm_split(worldComm, static_cast<int32_t>(color),
                         static_cast<int32_t>(key), &comm) != HELIX_OK) {
      error = std::string("creating the ") + g.grid +
              " communicators failed: " + helix_comm_error(worldComm);
      return false;
    }
    groups.push_back(comm);
  }
  return true;
}

void RankContext::fail(const std::string &message) {
  if (!firstError.empty())
    return;
  firstError = message;
  helix_comm_abort(worldComm, message.c_str());
}

int64_t RankContext::startCollective(PendingCollective entry) {
  int64_t id = nextRequest++;
  pending[id] = std::move(entry);
  return id;
}

PendingCollective RankContext::takeCollective(int64_t id) {
  auto it = pending.find(id);
  if (it == pending.end())
    return {};
  PendingCollective entry = std::move(it->second);
  pending.erase(it);
  return entry;
}

int64_t RankContext::cacheBytes() const { return dev->cacheBytes(); }

helix_dtype RankContext::cacheDtype() const { return dev->cacheDtype(); }

int64_t RankContext::weightBytes() const { return dev->weightBytes(); }

int64_t RankContext::weightBytesOf(helix_dtype dtype) const {
  return dev->weightBytesOf(dtype);
}

} // namespace helix_rt
