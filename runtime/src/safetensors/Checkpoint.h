//===- Checkpoint.h - A model directory of safetensors files ----*- C++ -*-===//
//
// The object behind the C API's opaque helix_checkpoint: the mapped files and
// every tensor of every file, validated, sorted by name.
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_RT_SAFETENSORS_CHECKPOINT_H
#define HELIX_RT_SAFETENSORS_CHECKPOINT_H

#include "Error.h"
#include "MappedFile.h"

#include "helix_rt/safetensors.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace helix::rt {

struct CheckpointTensor {
  std::string name;
  helix_dtype dtype;
  std::vector<int64_t> shape;
  /// Shared with the mappings handed out (helix_checkpoint_map_block), which
  /// may outlive the checkpoint.
  std::shared_ptr<const MappedFile> file;
  /// The tensor's bytes inside `file`'s mapping.
  const uint8_t *data;
};

/// Which files make up a checkpoint and, with an index, where each tensor is.
struct ShardPlan {
  /// File names inside the model directory, sorted, without duplicates.
  std::vector<std::string> files;
  /// Set when the files come from model.safetensors.index.json.
  std::string indexPath;
  /// The index's weight_map: tensor name -> file name.
  std::vector<std::pair<std::string, std::string>> weightMap;
};

/// The joined path of `name` inside `directory`.
std::string pathIn(const std::string &directory, const std::string &name);

/// Reads the index of `directory` if it has one, else lists its *.safetensors.
Failure planShards(const std::string &directory, ShardPlan &plan);

/// Where a block of a tensor lies: `runs` runs of `runLength` elements,
/// `stride` elements apart, from `first` (validated against the tensor).
struct BlockRuns {
  const CheckpointTensor *tensor = nullptr;
  const uint8_t *first = nullptr;
  size_t runs = 0, runLength = 0, stride = 0;
};

} // namespace helix::rt

struct helix_checkpoint_mapping {
  std::shared_ptr<const helix::rt::MappedFile> file;
};

struct helix_checkpoint {
  std::string directory;
  std::vector<std::shared_ptr<const helix::rt::MappedFile>> files;
  /// Sorted by name; helix_checkpoint_name's order.
  std::vector<helix::rt::CheckpointTensor> tensors;

  /// Maps and validates every file of `directory`.
  static helix::rt::Failure open(const std::string &directory,
                                 std::unique_ptr<helix_checkpoint> &result);

  /// The tensor called `name`, or null.
  const helix::rt::CheckpointTensor *find(const std::string &name) const;

  /// Like find, with an invalid-argument failure naming the checkpoint.
  helix::rt::Failure lookup(const std::string &name,
                            const helix::rt::CheckpointTensor *&tensor) const;

  /// Validates block [begin, begin + size) of dimension `dim` of a 1-D or
  /// 2-D tensor and says where its bytes are.
  helix::rt::Failure locateBlock(const std::string &name, int32_t dim,
                                 int64_t begin, int64_t size,
                                 helix::rt::BlockRuns &block) const;

  /// Converts the block into `dst` as `dtype` (F32 from any dtype, else
  /// only the tensor's own).
  helix::rt::Failure readBlock(const std::string &name, int32_t dim,
                               int64_t begin, int64_t size, helix_dtype dtype,
                               void *dst) const;
};

#endif // HELIX_RT_SAFETENSORS_CHECKPOINT_H
