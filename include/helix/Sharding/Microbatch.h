//===- Microbatch.h - HOP-B split of a batch into micro-batches -*- C++ -*-===//
#ifndef HELIX_SHARDING_MICROBATCH_H
#define HELIX_SHARDING_MICROBATCH_H

#include "helix/Sharding/Range.h"

namespace helix::sharding {

/// Rows of micro-batch `index` when `batch` rows are split into
/// `microbatches` contiguous parts. Sizes differ by at most one: the first
/// batch % microbatches parts get one extra row. With microbatches > batch
/// the trailing micro-batches are empty ([batch, batch)), so a schedule built
/// for M chains stays valid for any batch size.
/// Requires batch >= 0, microbatches >= 1, 0 <= index < microbatches.
Range microbatchRows(int64_t batch, int64_t microbatches, int64_t index);

} // namespace helix::sharding

#endif // HELIX_SHARDING_MICROBATCH_H
