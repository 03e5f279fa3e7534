//===- StreamTriad.cpp - STREAM-like triad bandwidth on N threads ---------===//
//
// a[i] = b[i] + s * c[i] over three arrays of doubles, split over threads;
// bytes counted as STREAM does (2 reads + 1 write). Prints the median of
// several repetitions in GB/s. Used by benchmarks/cpu/run.sh so that every
// decode timing is reported next to the bandwidth measured in the same run.
//
//===----------------------------------------------------------------------===//
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

int main(int argc, char **argv) {
  int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  size_t mib = argc > 2 ? static_cast<size_t>(std::atol(argv[2])) : 256;
  if (threads < 1 || mib < 1) {
    std::fprintf(stderr, "error: usage: helix-stream-triad THREADS [MIB_PER_ARRAY]\n");
    return 1;
  }
  size_t n = mib * 1024 * 1024 / sizeof(double);
  std::vector<double> a(n, 0.0), b(n, 1.0), c(n, 2.0);
  auto triad = [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i)
      a[i] = b[i] + 3.0 * c[i];
  };
  std::vector<double> rates;
  for (int rep = 0; rep < 7; ++rep) {
    auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
      pool.emplace_back(triad, n * t / threads, n * (t + 1) / threads);
    for (std::thread &t : pool)
      t.join();
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    rates.push_back(3.0 * n * sizeof(double) / s / 1e9);
  }
  std::sort(rates.begin(), rates.end());
  std::printf("%.1f\n", rates[rates.size() / 2]);
  return a[n / 2] == 7.0 ? 0 : 2;
}
