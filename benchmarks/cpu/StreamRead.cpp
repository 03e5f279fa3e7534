//===- StreamRead.cpp - read-only memory bandwidth on N threads -----------===//
//
// Sums one array of floats, split over threads, each thread reading four
// streams into 64 running sums (independent vector adds: bound by loads,
// not by an add chain); bytes counted are the bytes read. A decode step only reads its
// weights and cache, so this, not the triad (2 reads + 1 write, whose write
// allocations cost extra traffic), is the bandwidth a step's floor divides
// by. Prints the median of several repetitions in GB/s.
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
  size_t mib = argc > 2 ? static_cast<size_t>(std::atol(argv[2])) : 512;
  if (threads < 1 || mib < 1) {
    std::fprintf(stderr, "error: usage: helix-stream-read THREADS [MIB]\n");
    return 1;
  }
  size_t n = mib * 1024 * 1024 / sizeof(float) / 64 * 64;
  std::vector<float> a(n, 1.0f);
  std::vector<float> sums(static_cast<size_t>(threads));
  auto read = [&](int t, size_t begin, size_t end) {
    // Four streams at once, as a GEMV over four weight rows reads: one
    // stream leaves the hardware prefetchers idle.
    float acc[4][16] = {};
    const size_t quarter = (end - begin) / 4 / 16 * 16;
    for (size_t i = 0; i < quarter; i += 16)
      for (int r = 0; r < 4; ++r)
        for (int k = 0; k < 16; ++k)
          acc[r][k] += a[begin + r * quarter + i + k];
    for (size_t i = begin + 4 * quarter; i < end; ++i)
      acc[0][0] += a[i];
    float s = 0;
    for (auto &row : acc)
      for (float v : row)
        s += v;
    sums[static_cast<size_t>(t)] = s;
  };
  std::vector<double> rates;
  for (int rep = 0; rep < 7; ++rep) {
    auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
      pool.emplace_back(read, t, n / 64 * t / threads * 64,
                        n / 64 * (t + 1) / threads * 64);
    for (std::thread &t : pool)
      t.join();
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    rates.push_back(double(n) * sizeof(float) / s / 1e9);
  }
  std::sort(rates.begin(), rates.end());
  std::printf("%.1f\n", rates[rates.size() / 2]);
  double total = 0;
  for (float s : sums)
    total += s;
  return total == double(n) ? 0 : 2; // and the reads were not optimised away
}
