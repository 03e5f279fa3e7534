//===- MemRef.h - MLIR's C-interface memref descriptors ---------*- C++ -*-===//
//
// The layout `llvm.emit_c_interface` passes buffers in (a pointer to this
// struct per memref argument), as in mlir/ExecutionEngine/CRunnerUtils.h,
// restated here because the runtime does not depend on MLIR. The compiled
// step only passes fresh identity-layout buffers (helix-lower-to-runtime
// copies slices), so the entry points read them as dense row-major.
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_RT_MODULE_MEMREF_H
#define HELIX_RT_MODULE_MEMREF_H

#include <cstdint>

namespace helix_rt {

template <typename T, int Rank>
struct MemRef {
  T *allocated;
  T *aligned;
  int64_t offset;
  int64_t sizes[Rank];
  int64_t strides[Rank];

  T *data() const { return aligned + offset; }
  int64_t size(int d) const { return sizes[d]; }
  int64_t count() const {
    int64_t n = 1;
    for (int d = 0; d < Rank; ++d)
      n *= sizes[d];
    return n;
  }
};

using F32x1 = MemRef<float, 1>;
using F32x2 = MemRef<float, 2>;
using F32x3 = MemRef<float, 3>;
using F32x4 = MemRef<float, 4>;
using I64x1 = MemRef<int64_t, 1>;
using I64x2 = MemRef<int64_t, 2>;

} // namespace helix_rt

#endif // HELIX_RT_MODULE_MEMREF_H
