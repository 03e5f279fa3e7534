//===- Range.cpp - half-open index range and equal blocks -----------------===//
#include "helix/Sharding/Range.h"

namespace helix::sharding {

std::string Range::str() const {
  return "[" + std::to_string(begin) + ", " + std::to_string(end) + ")";
}

Range blockOf(int64_t total, int64_t parts, int64_t index) {
  int64_t block = total / parts;
  return {index * block, (index + 1) * block};
}

} // namespace helix::sharding
