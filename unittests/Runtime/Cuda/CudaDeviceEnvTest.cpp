//===- CudaDeviceEnvTest.cpp - the CUDA device's switches at creation -----===//
//
// HELIX_CUDA_MOE (dense or routed experts) and HELIX_CUDA_GRAPHS (decode
// steps recorded and replayed, 0 or 1) are read when the CUDA device is
// created; another value is refused there with one message. The checks come
// before any CUDA call, so this runs without a GPU.
//
//===----------------------------------------------------------------------===//
#include "helix_rt/cuda_device.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace {

/// helix_cuda_device_create's error with `name`=`value` ("" when it
/// succeeded: a GPU is present and the value is valid).
std::string createWith(const char *name, const char *value) {
  setenv(name, value, 1);
  helix_device *device = nullptr;
  char error[512] = "";
  helix_status status = helix_cuda_device_create(&device, error, sizeof error);
  unsetenv(name);
  if (status == HELIX_OK) {
    helix_device_destroy(device);
    return "";
  }
  EXPECT_EQ(device, nullptr);
  return error;
}

TEST(CudaMoeMode, UnknownValueIsRefused) {
  EXPECT_EQ(createWith("HELIX_CUDA_MOE", "sparse"),
            "cannot set up the GPU: HELIX_CUDA_MOE=sparse: expected dense "
            "(the default) or routed");
}

TEST(CudaMoeMode, DenseAndRoutedAreAccepted) {
  // Without a GPU creation still fails, but for another reason.
  for (const char *value : {"dense", "routed", ""})
    EXPECT_EQ(createWith("HELIX_CUDA_MOE", value).find("HELIX_CUDA_MOE"),
              std::string::npos)
        << value;
}

TEST(CudaGraphs, UnknownValueIsRefused) {
  for (const char *value : {"yes", "2", "true"})
    EXPECT_EQ(createWith("HELIX_CUDA_GRAPHS", value),
              std::string("cannot set up the GPU: HELIX_CUDA_GRAPHS=") +
                  value + ": expected 0 (the default) or 1")
        << value;
}

TEST(CudaGraphs, ZeroAndOneAreAccepted) {
  for (const char *value : {"0", "1", ""})
    EXPECT_EQ(createWith("HELIX_CUDA_GRAPHS", value).find("HELIX_CUDA_GRAPHS"),
              std::string::npos)
        << value;
}

} // namespace
