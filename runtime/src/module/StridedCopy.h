//===- StridedCopy.h - host copy between strided views ----------*- C++ -*-===//
#ifndef HELIX_RT_MODULE_STRIDEDCOPY_H
#define HELIX_RT_MODULE_STRIDEDCOPY_H

#include "Device.h"

#include <cstring>

namespace helix_rt {

/// Copies every element of `src` to the same index of `dst` (same sizes and
/// element size; strides may differ). Rows that are contiguous on both
/// sides move with one memcpy.
inline void copyStrided(const StridedView &src, const StridedView &dst) {
  int64_t inner = src.rank - 1;
  int64_t e = src.elementBytes;
  bool dense = src.strides[inner] == 1 && dst.strides[inner] == 1;
  int64_t outer[3] = {1, 1, 1};
  for (int64_t d = 0; d < inner; ++d)
    outer[d] = src.sizes[d];
  for (int64_t i = 0; i < outer[0]; ++i)
    for (int64_t j = 0; j < outer[1]; ++j)
      for (int64_t l = 0; l < outer[2]; ++l) {
        int64_t idx[3] = {i, j, l};
        int64_t so = 0, doff = 0;
        for (int64_t d = 0; d < inner; ++d) {
          so += idx[d] * src.strides[d];
          doff += idx[d] * dst.strides[d];
        }
        char *s = src.base + so * e, *t = dst.base + doff * e;
        if (dense) {
          std::memcpy(t, s, static_cast<size_t>(src.sizes[inner] * e));
          continue;
        }
        for (int64_t x = 0; x < src.sizes[inner]; ++x)
          std::memcpy(t + x * dst.strides[inner] * e,
                      s + x * src.strides[inner] * e, static_cast<size_t>(e));
      }
}

} // namespace helix_rt

#endif // HELIX_RT_MODULE_STRIDEDCOPY_H
