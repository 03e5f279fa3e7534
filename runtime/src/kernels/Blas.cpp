//===- Blas.cpp - OpenBLAS at one thread per caller -----------------------===//
//
// The runtime links OpenBLAS's pthreads build (CMakeLists.txt says why) but
// wants every product on the calling rank's own thread: ranks are the
// parallelism, and a pool of BLAS threads per rank would oversubscribe the
// cores. The setting is process-wide (OpenBLAS 0.3.21 has no per-call one),
// made once before the first product.
//
//===----------------------------------------------------------------------===//
#include "KernelUtil.h"

#include <cblas.h>

#include <mutex>

namespace helix_rt::kernels::detail {

void useOneBlasThread() {
  static std::once_flag once;
  std::call_once(once, [] { openblas_set_num_threads(1); });
}

} // namespace helix_rt::kernels::detail
