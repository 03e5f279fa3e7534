//===- GpuTestUtil.h - Device buffers, bf16 and skips for GPU tests -------===//
//
// Every GPU test starts with HELIX_REQUIRE_GPU(), which skips (visibly, with
// the CUDA error) when no device is present. Device outputs are poisoned
// with NaN (all bits set: NaN in both fp32 and bf16) before each run, so an
// element the kernel failed to write shows up as NaN.
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_UNITTESTS_RUNTIME_CUDA_GPUTESTUTIL_H
#define HELIX_UNITTESTS_RUNTIME_CUDA_GPUTESTUTIL_H

#include "helix_rt/cuda_kernels.h"

#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#define HELIX_REQUIRE_GPU()                                                    \
  do {                                                                         \
    int helixDevices = 0;                                                      \
    cudaError_t helixErr = cudaGetDeviceCount(&helixDevices);                  \
    if (helixErr != cudaSuccess || helixDevices == 0)                          \
      GTEST_SKIP() << "no CUDA device: "                                       \
                   << (helixErr != cudaSuccess                                 \
                           ? cudaGetErrorString(helixErr)                      \
                           : "cudaGetDeviceCount reported 0 devices");         \
  } while (0)

#define HELIX_CUDA_OK(expr) ASSERT_EQ((expr), cudaSuccess) << #expr
#define HELIX_RT_OK(expr)                                                      \
  ASSERT_EQ((expr), HELIX_OK) << #expr << ": " << helix_rt::cuda::lastError()

/// `gen`, seeded afresh; the seed is printed with any failure after it.
#define SEEDED()                                                               \
  uint32_t seed;                                                               \
  std::mt19937 gen = helix_gpu_test::freshGenerator(&seed);                    \
  SCOPED_TRACE("seed " + std::to_string(seed))

namespace helix_gpu_test {

using helix_rt::cuda::bf16;

/// float -> bf16 bits, round to nearest even (NaN stays NaN).
inline uint16_t toBf16Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u)
    return uint16_t((u >> 16) | 0x40);
  u += 0x7fffu + ((u >> 16) & 1u);
  return uint16_t(u >> 16);
}

inline float fromBf16Bits(uint16_t b) {
  uint32_t u = uint32_t(b) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

/// Rounds every value to bf16 in place (the CPU twin then sees exactly
/// what the GPU reads).
inline void roundToBf16(std::vector<float> &v) {
  for (float &x : v)
    x = fromBf16Bits(toBf16Bits(x));
}

inline std::vector<float> randomVector(size_t n, std::mt19937 &gen,
                                       float lo = -1.0f, float hi = 1.0f) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(gen);
  return v;
}

/// Fresh inputs on every run: seeded from the clock, printed on failure.
inline std::mt19937 freshGenerator(uint32_t *seedOut) {
  std::random_device rd;
  *seedOut = rd();
  return std::mt19937(*seedOut);
}

/// An owned device allocation of `count` T.
template <typename T> class DeviceBuffer {
public:
  explicit DeviceBuffer(size_t count = 0) { resize(count); }
  DeviceBuffer(const DeviceBuffer &) = delete;
  DeviceBuffer &operator=(const DeviceBuffer &) = delete;
  ~DeviceBuffer() { cudaFree(ptr); }

  void resize(size_t count) {
    cudaFree(ptr);
    ptr = nullptr;
    n = count;
    if (count && cudaMalloc(&ptr, std::max<size_t>(count * sizeof(T), 1)) !=
                     cudaSuccess)
      ptr = nullptr;
  }
  T *get() const { return static_cast<T *>(ptr); }
  size_t size() const { return n; }
  size_t bytes() const { return n * sizeof(T); }

  cudaError_t upload(const std::vector<T> &host) {
    return cudaMemcpy(ptr, host.data(), host.size() * sizeof(T),
                      cudaMemcpyHostToDevice);
  }
  cudaError_t download(std::vector<T> &host) const {
    host.resize(n);
    return cudaMemcpy(host.data(), ptr, bytes(), cudaMemcpyDeviceToHost);
  }
  cudaError_t poison() { return cudaMemset(ptr, 0xff, bytes()); }
  cudaError_t zero() { return cudaMemset(ptr, 0, bytes()); }

private:
  void *ptr = nullptr;
  size_t n = 0;
};

/// A device buffer's contents (a failed copy fails the test).
template <typename T> std::vector<T> download(const DeviceBuffer<T> &d) {
  std::vector<T> h;
  EXPECT_EQ(d.download(h), cudaSuccess);
  return h;
}

/// A device copy of fp32 values as bf16.
inline void uploadBf16(DeviceBuffer<uint16_t> &buf, const std::vector<float> &v) {
  std::vector<uint16_t> bits(v.size());
  for (size_t i = 0; i < v.size(); ++i)
    bits[i] = toBf16Bits(v[i]);
  buf.resize(v.size());
  ASSERT_EQ(buf.upload(bits), cudaSuccess);
}

inline std::vector<float> downloadBf16(const DeviceBuffer<uint16_t> &buf) {
  std::vector<uint16_t> bits;
  EXPECT_EQ(buf.download(bits), cudaSuccess);
  std::vector<float> v(bits.size());
  for (size_t i = 0; i < bits.size(); ++i)
    v[i] = fromBf16Bits(bits[i]);
  return v;
}

inline bf16 *asBf16(const DeviceBuffer<uint16_t> &buf) {
  return reinterpret_cast<bf16 *>(buf.get());
}

/// Max |ref - got| over max |ref| (values that cancel to ~0 elementwise
/// are judged against the row's scale); NaN anywhere fails.
inline void expectClose(const std::vector<float> &ref,
                        const std::vector<float> &got, double tol,
                        const std::string &what) {
  ASSERT_EQ(ref.size(), got.size()) << what;
  double scale = 0.0, err = 0.0;
  for (size_t i = 0; i < ref.size(); ++i) {
    ASSERT_FALSE(std::isnan(got[i])) << what << ": NaN (unwritten?) at " << i;
    if (std::isinf(ref[i])) {
      ASSERT_EQ(ref[i], got[i]) << what << " at " << i;
      continue;
    }
    scale = std::max(scale, std::fabs(double(ref[i])));
    err = std::max(err, std::fabs(double(ref[i]) - double(got[i])));
  }
  EXPECT_LE(scale == 0.0 ? err : err / scale, tol) << what;
}

/// bf16 has 8 significant bits: one rounding is 2^-9 relative; results
/// rounded once after fp32 math stay within 2^-8, sums of many within ~1%.
constexpr double kBf16Tol = 1.0 / 128;

} // namespace helix_gpu_test

#endif // HELIX_UNITTESTS_RUNTIME_CUDA_GPUTESTUTIL_H
