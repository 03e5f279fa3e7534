//===- Range.h - half-open index range and equal blocks --------*- C++ -*-===//
#ifndef HELIX_SHARDING_RANGE_H
#define HELIX_SHARDING_RANGE_H

#include <cstdint>
#include <string>

namespace helix::sharding {

/// Half-open range [begin, end) of heads, columns, experts or rows.
struct Range {
  int64_t begin = 0, end = 0;

  int64_t size() const { return end - begin; }
  bool empty() const { return end <= begin; }
  bool contains(int64_t i) const { return begin <= i && i < end; }
  bool operator==(const Range &other) const {
    return begin == other.begin && end == other.end;
  }
  bool operator!=(const Range &other) const { return !(*this == other); }
  /// "[16, 32)"
  std::string str() const;
};

/// Block `index` of `total` split into `parts` contiguous equal blocks.
/// Requires parts >= 1, total % parts == 0 and 0 <= index < parts.
Range blockOf(int64_t total, int64_t parts, int64_t index);

} // namespace helix::sharding

#endif // HELIX_SHARDING_RANGE_H
