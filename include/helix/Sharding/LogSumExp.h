//===- LogSumExp.h - exact merge of partial attention outputs --*- C++ -*-===//
//
// Reference for step 6 of Helix attention: every KVP rank computed softmax
// attention over its own KV slice, giving a partial output O_i and its
// log-sum-exp LSE_i (natural log). The exact result over the whole sequence
// is LSE = log(sum_i exp(LSE_i)), O = sum_i exp(LSE_i - LSE) * O_i, computed
// in fp32 with the maximum subtracted first so that large scores (1e4) do not
// overflow.
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_SHARDING_LOGSUMEXP_H
#define HELIX_SHARDING_LOGSUMEXP_H

#include <cstdint>

namespace helix::sharding {

/// Merges `shards` partial outputs of `dim` floats (partialOut is
/// [shards][dim], row-major) with their LSEs into `out` [dim] and returns the
/// merged LSE. A shard with LSE = -inf (empty KV slice) gets weight 0 and its
/// O is never read into the sum; if every LSE is -inf (or shards == 0), `out`
/// is all zeros and -inf is returned, never NaN. LSEs are finite or -inf.
/// `out` may be the first row of `partialOut`; other overlaps are not allowed.
float mergeLogSumExp(const float *partialOut, const float *partialLse,
                     int64_t shards, int64_t dim, float *out);

} // namespace helix::sharding

#endif // HELIX_SHARDING_LOGSUMEXP_H
