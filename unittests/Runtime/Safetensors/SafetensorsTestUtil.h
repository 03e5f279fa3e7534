//===- SafetensorsTestUtil.h - Safetensors files for tests ------*- C++ -*-===//
//
// Files are assembled byte by byte (length prefix, header text, data) so that
// tests can produce exactly the malformed inputs the reader must reject.
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_UNITTESTS_RUNTIME_SAFETENSORSTESTUTIL_H
#define HELIX_UNITTESTS_RUNTIME_SAFETENSORSTESTUTIL_H

#include "helix_rt/safetensors.h"

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <stdlib.h>
#include <string>
#include <vector>

namespace helix::rt::test {

using Bytes = std::vector<uint8_t>;

/// A fresh directory under the system temp dir, removed with its contents.
class TempDir {
public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "helix-st-XXXXXX").string();
    if (!::mkdtemp(pattern.data()))
      throw std::runtime_error("mkdtemp failed");
    root = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(root, ignored);
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;

  std::string path() const { return root; }
  std::string file(const std::string &name) const { return root + "/" + name; }

private:
  std::string root;
};

inline void writeBytes(const std::string &path, const Bytes &bytes) {
  std::ofstream stream(path, std::ios::binary | std::ios::trunc);
  stream.write(reinterpret_cast<const char *>(bytes.data()),
               std::streamsize(bytes.size()));
  if (!stream)
    throw std::runtime_error("cannot write " + path);
}

inline void writeText(const std::string &path, const std::string &text) {
  writeBytes(path, Bytes(text.begin(), text.end()));
}

/// A file whose 8-byte length prefix says `length`, followed by `header`
/// and `data` (a lying prefix is how truncation is simulated).
inline Bytes rawFile(uint64_t length, const std::string &header,
                     const Bytes &data = {}) {
  Bytes bytes;
  for (unsigned i = 0; i < 8; ++i)
    bytes.push_back(uint8_t(length >> (8 * i)));
  bytes.insert(bytes.end(), header.begin(), header.end());
  bytes.insert(bytes.end(), data.begin(), data.end());
  return bytes;
}

inline Bytes rawFile(const std::string &header, const Bytes &data = {}) {
  return rawFile(header.size(), header, data);
}

struct TensorSpec {
  std::string name;
  std::string dtype; // as spelled in the header
  std::vector<int64_t> shape;
  Bytes data;
};

inline std::string jsonArray(const std::vector<int64_t> &values) {
  std::string text = "[";
  for (size_t i = 0; i < values.size(); ++i)
    text += (i ? "," : "") + std::to_string(values[i]);
  return text + "]";
}

/// A well-formed file: tensors laid out back to back in the given order.
/// `padding` spaces after the JSON shift the data section (to misalign it).
inline Bytes safetensorsFile(const std::vector<TensorSpec> &tensors,
                             size_t padding = 0) {
  std::string header = "{\"__metadata__\":{\"format\":\"pt\"}";
  Bytes data;
  for (const TensorSpec &tensor : tensors) {
    int64_t begin = int64_t(data.size());
    data.insert(data.end(), tensor.data.begin(), tensor.data.end());
    header += ",\"" + tensor.name + "\":{\"dtype\":\"" + tensor.dtype +
              "\",\"shape\":" + jsonArray(tensor.shape) +
              ",\"data_offsets\":" + jsonArray({begin, int64_t(data.size())}) +
              "}";
  }
  header += "}" + std::string(padding, ' ');
  return rawFile(header, data);
}

/// As the safetensors writers lay it out: the data section 8-byte aligned.
inline Bytes alignedSafetensorsFile(const std::vector<TensorSpec> &tensors) {
  size_t dataBytes = 0;
  for (const TensorSpec &tensor : tensors)
    dataBytes += tensor.data.size();
  size_t start = safetensorsFile(tensors).size() - dataBytes;
  return safetensorsFile(tensors, (8 - start % 8) % 8);
}

inline Bytes f32Bytes(const std::vector<float> &values) {
  Bytes bytes;
  for (float value : values) {
    uint32_t bits;
    std::memcpy(&bits, &value, sizeof(bits));
    for (unsigned i = 0; i < 4; ++i)
      bytes.push_back(uint8_t(bits >> (8 * i)));
  }
  return bytes;
}

/// Raw 16-bit patterns (BF16 or F16), little-endian.
inline Bytes u16Bytes(const std::vector<uint16_t> &values) {
  Bytes bytes;
  for (uint16_t value : values) {
    bytes.push_back(uint8_t(value));
    bytes.push_back(uint8_t(value >> 8));
  }
  return bytes;
}

inline uint32_t bitsOf(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return bits;
}

struct CheckpointCloser {
  void operator()(helix_checkpoint *checkpoint) const {
    helix_checkpoint_close(checkpoint);
  }
};
using CheckpointPtr = std::unique_ptr<helix_checkpoint, CheckpointCloser>;

/// The outcome of helix_checkpoint_open.
struct Opened {
  helix_status status;
  std::string error;
  CheckpointPtr checkpoint;
};

inline Opened openCheckpoint(const std::string &directory) {
  char error[1024];
  std::memset(error, 'x', sizeof(error));
  helix_checkpoint *checkpoint = nullptr;
  helix_status status = helix_checkpoint_open(directory.c_str(), &checkpoint,
                                              error, sizeof(error));
  return {status, error, CheckpointPtr(checkpoint)};
}

/// Opens a directory holding only `bytes` as model.safetensors.
inline Opened openSingleFile(const TempDir &dir, const Bytes &bytes) {
  writeBytes(dir.file("model.safetensors"), bytes);
  return openCheckpoint(dir.path());
}

} // namespace helix::rt::test

#endif // HELIX_UNITTESTS_RUNTIME_SAFETENSORSTESTUTIL_H
