//===- SgemmRate.cpp - fp32 matrix-product rate of one thread -------------===//
//
// The FLOP rate prefill runs against: OpenBLAS's sgemm at one thread (as
// the runtime calls it for prefill chunks) on the shape of a chunk through the
// anchor model's FFN, [rows, 1024] x [1024, 2816]^T. Prints the median of
// several repetitions in GFLOP/s. Used by benchmarks/cpu/prefill.sh.
//
//===----------------------------------------------------------------------===//
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

int main(int argc, char **argv) {
  int rows = argc > 1 ? std::atoi(argv[1]) : 64;
  const int k = 1024, n = 2816;
  if (rows < 1) {
    std::fprintf(stderr, "error: usage: helix-sgemm-rate [ROWS]\n");
    return 1;
  }
  openblas_set_num_threads(1); // one rank's thread, as in the runtime
  std::vector<float> x(static_cast<size_t>(rows) * k, 0.5f);
  std::vector<float> w(static_cast<size_t>(n) * k, 0.25f);
  std::vector<float> out(static_cast<size_t>(rows) * n);
  std::vector<double> rates;
  for (int rep = 0; rep < 9; ++rep) {
    auto start = std::chrono::steady_clock::now();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, n, k, 1.0f,
                x.data(), k, w.data(), k, 0.0f, out.data(), n);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                             start)
                   .count();
    rates.push_back(2.0 * rows * n * k / s / 1e9);
  }
  std::sort(rates.begin(), rates.end());
  std::printf("%.1f\n", rates[rates.size() / 2]);
  return 0;
}
