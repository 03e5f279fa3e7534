//===- CudaMoeModeTest.cpp - HELIX_CUDA_MOE at device creation ------------===//
//
// The MoE path is chosen when the CUDA device is created; a value other
// than dense or routed is refused there with one message. The check comes
// before any CUDA call, so this runs without a GPU.
//
//===----------------------------------------------------------------------===//
#include "helix_rt/cuda_device.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace {

/// helix_cuda_device_create's error under HELIX_CUDA_MOE=value ("" when
/// it succeeded: a GPU is present and the value is valid).
std::string createWith(const char *value) {
  setenv("HELIX_CUDA_MOE", value, 1);
  helix_device *device = nullptr;
  char error[512] = "";
  helix_status status = helix_cuda_device_create(&device, error, sizeof error);
  unsetenv("HELIX_CUDA_MOE");
  if (status == HELIX_OK) {
    helix_device_destroy(device);
    return "";
  }
  EXPECT_EQ(device, nullptr);
  return error;
}

TEST(CudaMoeMode, UnknownValueIsRefused) {
  EXPECT_EQ(createWith("sparse"),
            "cannot set up the GPU: HELIX_CUDA_MOE=sparse: expected dense "
            "(the default) or routed");
}

TEST(CudaMoeMode, DenseAndRoutedAreAccepted) {
  // Without a GPU creation still fails, but for another reason.
  for (const char *value : {"dense", "routed", ""})
    EXPECT_EQ(createWith(value).find("HELIX_CUDA_MOE"), std::string::npos)
        << value;
}

} // namespace
