//===- MappedFile.h - A read-only memory-mapped file ------------*- C++ -*-===//
//
// Checkpoints are tens to hundreds of gigabytes: they are mapped, never read,
// so a rank that needs a slice of a tensor faults in only that slice's pages.
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_RT_SAFETENSORS_MAPPEDFILE_H
#define HELIX_RT_SAFETENSORS_MAPPEDFILE_H

#include "Error.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace helix::rt {

class MappedFile {
public:
  /// Maps `path` read-only. An empty file is valid and has no mapping.
  static Failure open(const std::string &path,
                      std::unique_ptr<MappedFile> &result);

  ~MappedFile();
  MappedFile(const MappedFile &) = delete;
  MappedFile &operator=(const MappedFile &) = delete;

  const std::string &path() const { return filePath; }
  const uint8_t *data() const { return bytes; }
  size_t size() const { return byteCount; }

private:
  MappedFile(std::string path, const uint8_t *bytes, size_t byteCount)
      : filePath(std::move(path)), bytes(bytes), byteCount(byteCount) {}

  std::string filePath;
  const uint8_t *bytes;
  size_t byteCount;
};

} // namespace helix::rt

#endif // HELIX_RT_SAFETENSORS_MAPPEDFILE_H
