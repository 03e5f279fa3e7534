//===- Header.cpp - Parse and validate one safetensors file header --------===//
#include "Header.h"

#include "Convert.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <limits>

namespace helix::rt {

namespace {

using nlohmann::json;

constexpr uint64_t kLengthBytes = 8;

std::string rangeString(uint64_t begin, uint64_t end) {
  return "[" + std::to_string(begin) + ", " + std::to_string(end) + "]";
}

/// A JSON integer that fits int64_t (nlohmann keeps non-negative ones as
/// unsigned, which may not fit).
bool toInt64(const json &value, int64_t &result) {
  if (value.is_number_unsigned()) {
    auto unsignedValue = value.get<uint64_t>();
    if (unsignedValue > uint64_t(std::numeric_limits<int64_t>::max()))
      return false;
    result = int64_t(unsignedValue);
    return true;
  }
  if (value.is_number_integer()) {
    result = value.get<int64_t>();
    return true;
  }
  return false;
}

class EntryParser {
public:
  EntryParser(const MappedFile &file, const std::string &name,
              uint64_t dataSize)
      : file(file), name(name), dataSize(dataSize) {}

  Failure parse(const json &value, TensorEntry &entry) {
    entry.name = name;
    if (!value.is_object())
      return fail(" is not a JSON object");
    for (const char *key : {"dtype", "shape", "data_offsets"})
      if (value.find(key) == value.end())
        return fail(std::string(" has no \"") + key + "\"");
    if (Failure failure = parseDtype(value["dtype"], entry))
      return failure;
    if (Failure failure = parseShape(value["shape"], entry))
      return failure;
    return parseOffsets(value["data_offsets"], entry);
  }

private:
  Failure fail(const std::string &problem) const {
    return {HELIX_ERROR_FORMAT,
            file.path() + ": tensor " + quote(name) + problem};
  }

  Failure parseDtype(const json &value, TensorEntry &entry) const {
    if (!value.is_string())
      return fail(": \"dtype\" is not a string");
    const auto &text = value.get_ref<const std::string &>();
    std::optional<helix_dtype> dtype = rt::parseDtype(text);
    if (!dtype)
      return fail(" has unsupported dtype " + quote(text) +
                  " (only F32, BF16 and F16 are read)");
    entry.dtype = *dtype;
    return {};
  }

  Failure parseShape(const json &value, TensorEntry &entry) const {
    if (!value.is_array())
      return fail(": \"shape\" is not an array of integers");
    for (const json &dim : value) {
      int64_t extent;
      if (!toInt64(dim, extent))
        return fail(": \"shape\" is not an array of integers");
      entry.shape.push_back(extent);
    }
    if (entry.shape.size() > HELIX_MAX_RANK)
      return fail(" has rank " + std::to_string(entry.shape.size()) +
                  "; at most " + std::to_string(HELIX_MAX_RANK) +
                  " dimensions are supported");
    for (int64_t extent : entry.shape)
      if (extent < 0)
        return fail(" has negative dimension " + std::to_string(extent) +
                    " in shape " + shapeString(entry.shape));
    return {};
  }

  Failure parseOffsets(const json &value, TensorEntry &entry) const {
    if (!value.is_array() || value.size() != 2 ||
        !value[0].is_number_unsigned() || !value[1].is_number_unsigned())
      return fail(": \"data_offsets\" is not [begin, end] with two "
                  "non-negative integers");
    entry.begin = value[0].get<uint64_t>();
    entry.end = value[1].get<uint64_t>();
    std::string range = rangeString(entry.begin, entry.end);
    if (entry.begin > entry.end)
      return fail(": \"data_offsets\" " + range + " have begin > end");
    if (entry.end > dataSize)
      return fail(": \"data_offsets\" " + range +
                  " run past the end of the data section (" +
                  std::to_string(dataSize) + " bytes)");
    uint64_t bytes = dtypeSize(entry.dtype);
    for (int64_t extent : entry.shape)
      if (__builtin_mul_overflow(bytes, uint64_t(extent), &bytes))
        return fail(": shape " + shapeString(entry.shape) +
                    " has more bytes than fit in 64 bits");
    if (entry.end - entry.begin != bytes)
      return fail(": \"data_offsets\" " + range + " hold " +
                  std::to_string(entry.end - entry.begin) +
                  " bytes but shape " + shapeString(entry.shape) + " of " +
                  dtypeName(entry.dtype) + " needs " + std::to_string(bytes));
    return {};
  }

  const MappedFile &file;
  const std::string &name;
  uint64_t dataSize;
};

/// Tensors must not share bytes: a write-once format has no reason to, and
/// overlaps are the signature of a corrupt or hand-edited header.
Failure checkOverlaps(const MappedFile &file,
                      const std::vector<TensorEntry> &tensors) {
  std::vector<const TensorEntry *> byOffset;
  for (const TensorEntry &entry : tensors)
    if (entry.begin != entry.end)
      byOffset.push_back(&entry);
  std::sort(byOffset.begin(), byOffset.end(),
            [](const TensorEntry *a, const TensorEntry *b) {
              return a->begin != b->begin ? a->begin < b->begin
                                          : a->end < b->end;
            });
  // Sorted by begin, some pair overlaps iff some adjacent pair does.
  for (size_t i = 1; i < byOffset.size(); ++i) {
    const TensorEntry &first = *byOffset[i - 1], &second = *byOffset[i];
    if (second.begin < first.end)
      return {HELIX_ERROR_FORMAT,
              file.path() + ": tensors " + quote(first.name) + " " +
                  rangeString(first.begin, first.end) + " and " +
                  quote(second.name) + " " +
                  rangeString(second.begin, second.end) + " overlap"};
  }
  return {};
}

} // namespace

Failure parseHeader(const MappedFile &file, FileHeader &header) {
  header = FileHeader();
  const std::string &path = file.path();
  if (file.size() < kLengthBytes)
    return {HELIX_ERROR_IO, path + ": file is " + std::to_string(file.size()) +
                                " bytes, shorter than the 8-byte header "
                                "length"};
  uint64_t length = 0;
  for (unsigned i = 0; i < kLengthBytes; ++i)
    length |= uint64_t(file.data()[i]) << (8 * i);
  if (length > file.size() - kLengthBytes)
    return {HELIX_ERROR_IO, path + ": header length " + std::to_string(length) +
                                " runs past the end of the file (" +
                                std::to_string(file.size()) + " bytes)"};

  const char *text = reinterpret_cast<const char *>(file.data()) + kLengthBytes;
  json root = json::parse(text, text + length, /*cb=*/nullptr,
                          /*allow_exceptions=*/false);
  if (root.is_discarded())
    return {HELIX_ERROR_FORMAT, path + ": header is not valid JSON"};
  if (!root.is_object())
    return {HELIX_ERROR_FORMAT, path + ": header is not a JSON object"};

  header.dataStart = kLengthBytes + length;
  uint64_t dataSize = file.size() - header.dataStart;
  for (auto item = root.begin(); item != root.end(); ++item) {
    // Free-form string metadata (format, framework); nothing we read.
    if (item.key() == "__metadata__")
      continue;
    TensorEntry entry;
    EntryParser parser(file, item.key(), dataSize);
    if (Failure failure = parser.parse(item.value(), entry))
      return failure;
    header.tensors.push_back(std::move(entry));
  }
  return checkOverlaps(file, header.tensors);
}

} // namespace helix::rt
