//===- ReadCheckpoint.h - open a checkpoint and read it as loaders do -*- C++ -*-===//
//
// Shared by the checkpoint fuzz targets: after helix_checkpoint_open
// accepts a model directory, every tensor's first row block is read as
// float32 and as its own dtype, the two ways the runtime's loaders read.
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_FUZZ_READCHECKPOINT_H
#define HELIX_FUZZ_READCHECKPOINT_H

#include "helix_rt/safetensors.h"

#include <string>
#include <vector>

namespace helix::fuzz {

inline void openAndReadCheckpoint(const std::string &directory) {
  helix_checkpoint *checkpoint = nullptr;
  char message[512];
  if (helix_checkpoint_open(directory.c_str(), &checkpoint, message,
                            sizeof message) != HELIX_OK)
    return;
  for (int64_t i = 0, n = helix_checkpoint_size(checkpoint); i < n; ++i) {
    const char *name = helix_checkpoint_name(checkpoint, i);
    helix_tensor_info info;
    if (helix_checkpoint_info(checkpoint, name, &info, message,
                              sizeof message) != HELIX_OK ||
        info.rank < 1 || info.shape[0] < 1)
      continue;
    int64_t row = 1;
    for (int32_t d = 1; d < info.rank; ++d)
      row *= info.shape[d];
    if (row > (1 << 20))
      continue; // a huge but valid tensor: nothing new to learn reading it
    std::vector<float> block(static_cast<size_t>(row));
    helix_checkpoint_read_block(checkpoint, name, 0, 0, 1, block.data(),
                                message, sizeof message);
    // float32 storage is room enough for a row of any dtype.
    helix_checkpoint_read_block_as(checkpoint, name, 0, 0, 1, info.dtype,
                                   block.data(), message, sizeof message);
  }
  helix_checkpoint_close(checkpoint);
}

} // namespace helix::fuzz

#endif // HELIX_FUZZ_READCHECKPOINT_H
