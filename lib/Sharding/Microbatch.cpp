//===- Microbatch.cpp - HOP-B split of the batch into micro-batches -------===//
#include "helix/Sharding/Microbatch.h"

#include <algorithm>

namespace helix::sharding {

Range microbatchRows(int64_t batch, int64_t microbatches, int64_t index) {
  int64_t base = batch / microbatches;
  int64_t extra = batch % microbatches; // the first `extra` get one more row
  int64_t begin = index * base + std::min(index, extra);
  return {begin, begin + base + (index < extra ? 1 : 0)};
}

} // namespace helix::sharding
