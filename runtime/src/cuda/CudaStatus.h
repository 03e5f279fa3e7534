//===- CudaStatus.h - Status reporting of the CUDA backend ------*- C++ -*-===//
//
// Private to helix_rt_cuda. Failures keep their message in a thread-local
// string (helix_rt::cuda::lastError) and return a helix_status, like the
// rest of the runtime's C++ API.
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_RT_CUDA_CUDASTATUS_H
#define HELIX_RT_CUDA_CUDASTATUS_H

#include "helix_rt/status.h"

#include <cuda_runtime_api.h>

#include <string>

namespace helix_rt::cuda::detail {

/// Records `message` as this thread's last error and returns `status`.
helix_status fail(helix_status status, const std::string &message);

/// HELIX_ERROR_INVALID_ARGUMENT with "<what>: <why>".
helix_status invalid(const char *what, const std::string &why);

/// HELIX_OK, or HELIX_ERROR_INTERNAL naming the CUDA error of `code`.
helix_status check(cudaError_t code, const char *what);

/// The launch error of the last kernel (cudaGetLastError), as check().
helix_status checkLaunch(const char *what);

/// Multiprocessors of the current device (cached per device).
int multiprocessorCount();

} // namespace helix_rt::cuda::detail

#endif // HELIX_RT_CUDA_CUDASTATUS_H
