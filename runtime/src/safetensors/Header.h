//===- Header.h - Validate one safetensors file header ----------*- C++ -*-===//
//
// A safetensors file is an 8-byte little-endian header length N, N bytes of
// JSON mapping tensor names to {"dtype", "shape", "data_offsets"}, then the
// data section that the offsets index. Everything is checked here, once, so
// reads only need to bounds-check the block they are asked for.
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_RT_SAFETENSORS_HEADER_H
#define HELIX_RT_SAFETENSORS_HEADER_H

#include "Error.h"
#include "MappedFile.h"

#include "helix_rt/safetensors.h"

#include <cstdint>
#include <string>
#include <vector>

namespace helix::rt {

struct TensorEntry {
  std::string name;
  helix_dtype dtype;
  std::vector<int64_t> shape;
  /// Byte range in the data section; end - begin = product(shape) x size.
  uint64_t begin;
  uint64_t end;
};

struct FileHeader {
  /// File offset of the data section (8 + header length).
  uint64_t dataStart = 0;
  /// Sorted by name (nlohmann::json objects are ordered maps).
  std::vector<TensorEntry> tensors;
};

/// Parses and validates the header of `file`; "__metadata__" is ignored.
Failure parseHeader(const MappedFile &file, FileHeader &header);

} // namespace helix::rt

#endif // HELIX_RT_SAFETENSORS_HEADER_H
