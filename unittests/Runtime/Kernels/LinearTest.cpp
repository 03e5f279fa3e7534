//===- LinearTest.cpp - linear and the dense SwiGLU block -----------------===//
#include "KernelTestUtil.h"
#include "helix_rt/kernels.h"

using namespace helix_kernel_test;
namespace k = helix_rt::kernels;

namespace {

std::vector<double> naiveLinear(const std::vector<double> &x,
                                const std::vector<float> &w, int64_t batch,
                                int64_t kk, int64_t n) {
  std::vector<double> out(batch * n, 0.0);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t j = 0; j < n; ++j)
      for (int64_t i = 0; i < kk; ++i)
        out[b * n + j] += x[b * kk + i] * w[j * kk + i];
  return out;
}

std::vector<double> toDouble(const std::vector<float> &v) {
  return std::vector<double>(v.begin(), v.end());
}

/// down(silu(gate x) * up x) in double.
std::vector<double> naiveSwiglu(const std::vector<float> &x,
                                const std::vector<float> &gate,
                                const std::vector<float> &up,
                                const std::vector<float> &down, int64_t batch,
                                int64_t hidden, int64_t width) {
  std::vector<double> g = naiveLinear(toDouble(x), gate, batch, hidden, width);
  std::vector<double> u = naiveLinear(toDouble(x), up, batch, hidden, width);
  for (size_t i = 0; i < g.size(); ++i)
    g[i] = g[i] / (1.0 + std::exp(-g[i])) * u[i];
  return naiveLinear(g, down, batch, width, hidden);
}

TEST(Kernels, LinearMatchesDouble) {
  // Batches 1..9 cover the 4-, 2- and 1-row paths; odd k covers the tails.
  // 16 and up: the sgemm path of prefill chunks.
  for (int64_t batch : {1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 23, 64})
    for (int64_t kk : {1, 15, 37, 256}) {
      const int64_t n = 13;
      std::vector<float> x = randomVector(batch * kk, 10 + batch);
      std::vector<float> w = randomVector(n * kk, 20 + kk);
      std::vector<float> out(batch * n);
      k::linear(x.data(), w.data(), batch, kk, n, out.data());
      expectClose(naiveLinear(toDouble(x), w, batch, kk, n), out.data());
    }
}

TEST(Kernels, SwigluMatchesDouble) {
  for (int64_t batch : {1, 3, 6, 17}) {
    const int64_t hidden = 48, width = 35;
    std::vector<float> x = randomVector(batch * hidden, 30, -2.0f, 2.0f);
    std::vector<float> gate = randomVector(width * hidden, 31);
    std::vector<float> up = randomVector(width * hidden, 32);
    std::vector<float> down = randomVector(hidden * width, 33);
    std::vector<float> out(batch * hidden);
    k::swiglu(x.data(), gate.data(), up.data(), down.data(), batch, hidden,
              width, out.data());
    expectClose(naiveSwiglu(x, gate, up, down, batch, hidden, width),
                out.data());
  }
}

TEST(Kernels, SwigluWidthBlocksSumToWhole) {
  // Two width blocks (rows of gate/up, columns of down) give partial sums
  // that add up to the full block.
  const int64_t batch = 2, hidden = 16, width = 20, half = 10;
  std::vector<float> x = randomVector(batch * hidden, 40);
  std::vector<float> gate = randomVector(width * hidden, 41);
  std::vector<float> up = randomVector(width * hidden, 42);
  std::vector<float> down = randomVector(hidden * width, 43);
  std::vector<float> whole(batch * hidden);
  k::swiglu(x.data(), gate.data(), up.data(), down.data(), batch, hidden,
            width, whole.data());
  std::vector<double> sum(batch * hidden, 0.0);
  for (int64_t blk = 0; blk < 2; ++blk) {
    std::vector<float> downBlock(hidden * half);
    for (int64_t i = 0; i < hidden; ++i)
      for (int64_t j = 0; j < half; ++j)
        downBlock[i * half + j] = down[i * width + blk * half + j];
    std::vector<float> part(batch * hidden);
    k::swiglu(x.data(), gate.data() + blk * half * hidden,
              up.data() + blk * half * hidden, downBlock.data(), batch, hidden,
              half, part.data());
    for (size_t i = 0; i < sum.size(); ++i)
      sum[i] += part[i];
  }
  expectClose(sum, whole.data());
}

} // namespace
