//===- Checkpoint.cpp - Open a model directory of safetensors files -------===//
#include "Checkpoint.h"

#include "Header.h"

#include <algorithm>
#include <map>

using namespace helix::rt;

namespace {

bool byName(const CheckpointTensor &tensor, const std::string &name) {
  return tensor.name < name;
}

/// Every tensor the index places in a shard must be in that shard; a stale
/// index would otherwise surface as a missing weight much later.
Failure checkWeightMap(const ShardPlan &plan,
                       const std::map<std::string, std::string> &fileOf) {
  for (const auto &[tensor, shard] : plan.weightMap) {
    auto found = fileOf.find(tensor);
    if (found == fileOf.end() || found->second != shard)
      return {HELIX_ERROR_FORMAT, plan.indexPath + ": tensor " + quote(tensor) +
                                      " is in weight_map for " + shard +
                                      ", which has no such tensor"};
  }
  return {};
}

} // namespace

Failure helix_checkpoint::open(const std::string &directory,
                               std::unique_ptr<helix_checkpoint> &result) {
  result.reset();
  ShardPlan plan;
  if (Failure failure = planShards(directory, plan))
    return failure;

  auto checkpoint = std::make_unique<helix_checkpoint>();
  checkpoint->directory = directory;
  std::map<std::string, std::string> fileOf; // tensor name -> file name
  for (const std::string &fileName : plan.files) {
    std::unique_ptr<MappedFile> file;
    if (Failure failure = MappedFile::open(pathIn(directory, fileName), file)) {
      if (!plan.indexPath.empty())
        failure.message += " (a shard named by model.safetensors.index.json)";
      return failure;
    }
    FileHeader header;
    if (Failure failure = parseHeader(*file, header))
      return failure;
    std::shared_ptr<const MappedFile> shared(std::move(file));
    for (TensorEntry &entry : header.tensors) {
      auto [previous, inserted] = fileOf.emplace(entry.name, fileName);
      if (!inserted)
        return {HELIX_ERROR_FORMAT, shared->path() + ": tensor " +
                                        quote(entry.name) + " is also in " +
                                        previous->second};
      const uint8_t *data = shared->data() + header.dataStart + entry.begin;
      checkpoint->tensors.push_back({std::move(entry.name), entry.dtype,
                                     std::move(entry.shape), shared, data});
    }
    checkpoint->files.push_back(std::move(shared));
  }
  if (Failure failure = checkWeightMap(plan, fileOf))
    return failure;

  std::sort(checkpoint->tensors.begin(), checkpoint->tensors.end(),
            [](const CheckpointTensor &a, const CheckpointTensor &b) {
              return a.name < b.name;
            });
  result = std::move(checkpoint);
  return {};
}

const CheckpointTensor *helix_checkpoint::find(const std::string &name) const {
  auto found = std::lower_bound(tensors.begin(), tensors.end(), name, byName);
  if (found == tensors.end() || found->name != name)
    return nullptr;
  return &*found;
}

Failure helix_checkpoint::lookup(const std::string &name,
                                 const CheckpointTensor *&tensor) const {
  tensor = find(name);
  if (!tensor)
    return {HELIX_ERROR_INVALID_ARGUMENT,
            directory + ": no tensor " + quote(name) + " in the checkpoint"};
  return {};
}
