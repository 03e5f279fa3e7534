//===- Status.cpp - Status reporting of the CUDA backend ------------------===//
#include "CudaStatus.h"
#include "helix_rt/cuda_kernels.h"

#include <mutex>
#include <string>
#include <vector>

namespace helix_rt::cuda {

namespace {
thread_local std::string lastMessage;
} // namespace

const char *lastError() { return lastMessage.c_str(); }

namespace detail {

helix_status fail(helix_status status, const std::string &message) {
  lastMessage = message;
  return status;
}

helix_status invalid(const char *what, const std::string &why) {
  return fail(HELIX_ERROR_INVALID_ARGUMENT, std::string(what) + ": " + why);
}

helix_status check(cudaError_t code, const char *what) {
  if (code == cudaSuccess)
    return HELIX_OK;
  return fail(HELIX_ERROR_INTERNAL, std::string(what) + ": " +
                                        cudaGetErrorName(code) + " (" +
                                        cudaGetErrorString(code) + ")");
}

helix_status checkLaunch(const char *what) {
  const cudaError_t code = cudaGetLastError();
  // A launch never fails with "not ready": that is a query's answer left
  // behind by code outside the runtime.
  return check(code == cudaErrorNotReady ? cudaSuccess : code, what);
}

int multiprocessorCount() {
  // Queried once per device: the attribute call is cheap but not free, and
  // it sits on the per-step launch path.
  static std::mutex mutex;
  static std::vector<int> counts;
  int device = 0;
  if (cudaGetDevice(&device) != cudaSuccess)
    return 1;
  std::lock_guard<std::mutex> lock(mutex);
  if (counts.size() <= size_t(device))
    counts.resize(size_t(device) + 1, 0);
  if (counts[size_t(device)] == 0) {
    int count = 0;
    if (cudaDeviceGetAttribute(&count, cudaDevAttrMultiProcessorCount,
                               device) != cudaSuccess ||
        count <= 0)
      count = 1;
    counts[size_t(device)] = count;
  }
  return counts[size_t(device)];
}

} // namespace detail
} // namespace helix_rt::cuda
