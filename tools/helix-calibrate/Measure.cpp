//===- Measure.cpp - This host's parameters for the planner's model -------===//
#include "Measure.h"

#include "helix_rt/comm.h"
#include "helix_rt/kernels.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <thread>
#include <vector>

namespace helix::calibrate {

namespace kernels = helix_rt::kernels;

namespace {

using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

/// Runs body(thread) on `threads` threads at once; the slowest thread's
/// seconds.
double slowest(int threads, const std::function<void(int)> &body) {
  std::vector<double> took(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      Clock::time_point start = Clock::now();
      body(t);
      took[t] = seconds(start);
    });
  for (std::thread &t : pool)
    t.join();
  return *std::max_element(took.begin(), took.end());
}

constexpr int64_t kK = 4096; // GEMV input width (a row is 16 KiB in fp32)
constexpr int kRepeats = 7;

} // namespace

Stream streamedGemv(int threads, double totalBytes, int64_t batch) {
  // One fp32 weight matrix per thread, written by its own thread.
  int64_t rows = std::max<int64_t>(
      1, static_cast<int64_t>(totalBytes / threads / (kK * sizeof(float))));
  std::vector<std::vector<float>> weights(threads);
  slowest(threads, [&](int t) { weights[t].assign(rows * kK, 0.001f); });
  std::vector<float> x(batch * kK, 1.0f);
  std::vector<std::vector<float>> out(threads,
                                      std::vector<float>(batch * rows));
  std::vector<double> times;
  for (int rep = 0; rep < kRepeats; ++rep)
    times.push_back(slowest(threads, [&](int t) {
      kernels::linear(x.data(), weights[t].data(), batch, kK, rows,
                      out[t].data());
    }));
  return {double(rows) * kK * sizeof(float), median(times)};
}

StreamFit fitStream(const Stream &one, const Stream &eight, double l2Flops) {
  // fp32: 4 bytes and 2 FLOPs per weight per batch row; both streams read
  // the same bytes.
  double flopsPerRow = 2.0 * one.bytesPerThread / 4;
  double math1 = flopsPerRow / l2Flops, math8 = 8 * math1;
  StreamFit fit;
  fit.flops = l2Flops;
  // Fixed point: batch 1 gives memory for an overlap, batch 8 the overlap
  // for a memory time.
  for (int i = 0; i < 50; ++i) {
    double memory = std::max(1e-12, one.seconds - (1 - fit.overlap) * math1);
    double hidden = memory + math8 - eight.seconds;
    fit.overlap =
        std::min(1.0, std::max(0.0, hidden / std::min(memory, math8)));
    fit.bandwidth = one.bytesPerThread / memory;
  }
  double perRow = (eight.seconds - one.seconds) / 7;
  if (fit.overlap == 0 && perRow > math1) {
    // Nothing hidden, and batch 8 costs more than reads + cached math:
    // a linear fit in the batch, t(b) = memory + b x perRow.
    fit.flops = flopsPerRow / perRow;
    fit.bandwidth = one.bytesPerThread / std::max(1e-12, one.seconds - perRow);
  }
  return fit;
}

double gemvFlops(int threads, int64_t batch, bool bf16) {
  // 128 rows of 1024: 512 KiB in fp32, in any L2 of the last decade.
  const int64_t k = 1024, n = 128, calls = 400;
  std::vector<float> w(n * k, 0.001f);
  std::vector<uint16_t> half(n * k, 0x3a83); // bf16 ~0.001
  kernels::Weights weights =
      bf16 ? kernels::Weights(half.data(), kernels::WeightType::BF16)
           : kernels::Weights(w.data());
  std::vector<float> x(batch * k, 1.0f);
  std::vector<double> times;
  for (int rep = 0; rep < kRepeats; ++rep)
    times.push_back(slowest(threads, [&](int) {
      std::vector<float> out(batch * n);
      for (int64_t c = 0; c < calls; ++c)
        kernels::linear(x.data(), weights, batch, k, n, out.data());
    }));
  return 2.0 * batch * k * n * calls / median(times);
}

double collectiveSeconds(int ranks, int64_t floats) {
  std::vector<helix_comm *> comms(ranks);
  if (helix_comm_threads_create(ranks, 0, comms.data()) != HELIX_OK)
    return -1;
  const int warmup = 200, iterations = 2000;
  std::vector<double> perKind;
  for (int kind = 0; kind < 3; ++kind) {
    double took = slowest(ranks, [&](int r) {
      std::vector<float> in(floats * ranks, 1.0f), out(floats * ranks);
      for (int i = 0; i < warmup + iterations; ++i) {
        if (i == warmup)
          helix_comm_barrier(comms[r]);
        if (kind == 0)
          helix_comm_all_reduce_sum(comms[r], in.data(), out.data(), floats);
        else if (kind == 1)
          helix_comm_all_to_all(comms[r], in.data(), out.data(), floats);
        else
          helix_comm_all_gather(comms[r], in.data(), out.data(), floats);
      }
    });
    perKind.push_back(took / (warmup + iterations));
  }
  for (helix_comm *c : comms)
    helix_comm_destroy(c);
  return (perKind[0] + perKind[1] + perKind[2]) / 3;
}

double allReduceBandwidth(double latency) {
  const int64_t floats = int64_t(1) << 20; // 4 MiB per rank
  helix_comm *comms[2];
  if (helix_comm_threads_create(2, 0, comms) != HELIX_OK)
    return -1;
  const int iterations = 50;
  std::vector<float> in[2] = {std::vector<float>(floats, 1.0f),
                              std::vector<float>(floats, 1.0f)};
  std::vector<float> out[2] = {std::vector<float>(floats),
                               std::vector<float>(floats)};
  std::vector<double> times;
  for (int rep = 0; rep < kRepeats; ++rep)
    times.push_back(slowest(2, [&](int r) {
      for (int i = 0; i < iterations; ++i)
        helix_comm_all_reduce_sum(comms[r], in[r].data(), out[r].data(),
                                  floats);
    }));
  for (helix_comm *c : comms)
    helix_comm_destroy(c);
  // The model's wire term for 2 ranks: 2 (n-1)/n x bytes = bytes.
  double perOp = median(times) / iterations - latency;
  return perOp > 0 ? floats * sizeof(float) / perOp : 0;
}

double kernelCallSeconds() {
  std::vector<float> x(64, 1.0f), weight(64, 1.0f), out(64);
  const int calls = 200000;
  std::vector<double> times;
  for (int rep = 0; rep < kRepeats; ++rep) {
    Clock::time_point start = Clock::now();
    for (int i = 0; i < calls; ++i)
      kernels::rmsNorm(x.data(), weight.data(), 1, 64, 1e-5f, out.data());
    times.push_back(seconds(start) / calls);
  }
  return median(times);
}

} // namespace helix::calibrate
