//===- SafetensorsFuzz.cpp - the checkpoint reader on arbitrary files -----===//
//
// The input is a model.safetensors: open it (header validation), then read
// every tensor's first row block as float32 and as its own dtype, as the
// runtime's loaders do.
//
//===----------------------------------------------------------------------===//
#include "FuzzInput.h"

#include "helix_rt/safetensors.h"

#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  helix::fuzz::writeInput("model.safetensors", data, size);
  helix_checkpoint *checkpoint = nullptr;
  char message[512];
  if (helix_checkpoint_open(helix::fuzz::scratchDir().c_str(), &checkpoint,
                            message, sizeof message) != HELIX_OK)
    return 0;
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
  }
  helix_checkpoint_close(checkpoint);
  return 0;
}
