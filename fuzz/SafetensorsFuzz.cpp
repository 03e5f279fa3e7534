//===- SafetensorsFuzz.cpp - the checkpoint reader on arbitrary files -----===//
//
// The input is a model.safetensors: open it (header validation), then read
// every tensor's first row block as float32 and as its own dtype, as the
// runtime's loaders do.
//
//===----------------------------------------------------------------------===//
#include "FuzzInput.h"
#include "ReadCheckpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  helix::fuzz::writeInput("model.safetensors", data, size);
  helix::fuzz::openAndReadCheckpoint(helix::fuzz::scratchDir());
  return 0;
}
