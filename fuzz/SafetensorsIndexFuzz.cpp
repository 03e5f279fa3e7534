//===- SafetensorsIndexFuzz.cpp - sharded checkpoints' index on arbitrary files -===//
//
// The input is a model.safetensors.index.json in a model directory that
// also holds two valid shards and a stray file, so an index can name them
// right, name a tensor in the wrong shard (a stale index), name a file that
// is missing, not a checkpoint, a directory, or a path out of the
// directory. The checkpoint is then opened and read as the runtime does.
//
//===----------------------------------------------------------------------===//
#include "FuzzInput.h"
#include "ReadCheckpoint.h"

#include <cstring>
#include <string>
#include <sys/stat.h>

namespace {

/// A safetensors file: 8-byte little-endian header size, header, data.
void writeShard(const std::string &name, const std::string &header,
                const std::string &payload) {
  std::string bytes(8, '\0');
  uint64_t size = header.size();
  for (int i = 0; i < 8; ++i)
    bytes[i] = static_cast<char>(size >> (8 * i));
  bytes += header + payload;
  helix::fuzz::writeInput(name, reinterpret_cast<const uint8_t *>(bytes.data()),
                          bytes.size());
}

/// The model directory, with its shards written once per process.
const std::string &modelDir() {
  static const std::string dir = [] {
    // The shards go in scratchDir(); writeInput names files there.
    writeShard("model-00001-of-00002.safetensors",
               R"({"model.embed_tokens.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},)"
               R"("model.norm.weight":{"dtype":"BF16","shape":[3],"data_offsets":[24,30]}})",
               std::string(30, '\x3f'));
    writeShard("model-00002-of-00002.safetensors",
               R"({"__metadata__":{"format":"pt"},)"
               R"("lm_head.weight":{"dtype":"F16","shape":[2,3],"data_offsets":[0,12]}})",
               std::string(12, '\x3c'));
    const char stray[] = "not a checkpoint";
    helix::fuzz::writeInput("notes.txt",
                            reinterpret_cast<const uint8_t *>(stray),
                            std::strlen(stray));
    mkdir((helix::fuzz::scratchDir() + "/subdir").c_str(), 0700);
    return helix::fuzz::scratchDir();
  }();
  return dir;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string &dir = modelDir();
  helix::fuzz::writeInput("model.safetensors.index.json", data, size);
  helix::fuzz::openAndReadCheckpoint(dir);
  return 0;
}
