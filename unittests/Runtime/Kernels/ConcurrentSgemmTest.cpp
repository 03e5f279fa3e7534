//===- ConcurrentSgemmTest.cpp - ranks on threads share the BLAS ----------===//
//
// Ranks of the threads launcher call the kernels at the same time, and from
// 16 rows `linear` is an sgemm. Debian's serial OpenBLAS shares its packing
// buffers between threads without a lock, so concurrent calls sometimes got
// another call's panels (wrong logits in a 2-rank prefill, about one run in
// ten under load); the runtime now links the pthreads build run at one
// thread, which locks them. More threads than cores make calls preempt each
// other mid-call, where the race was.
//
//===----------------------------------------------------------------------===//
#include "KernelTestUtil.h"
#include "helix_rt/kernels.h"

#include <atomic>
#include <cstring>
#include <thread>

using namespace helix_kernel_test;
namespace k = helix_rt::kernels;

namespace {

TEST(ConcurrentSgemm, RankThreadsGetExactlyTheirOwnProducts) {
  const int64_t rows = 32, in = 128, outs = 128;
  const int threads = 6, calls = 4000;
  std::vector<float> w = randomVector(outs * in, 1);
  std::vector<std::vector<float>> x, want;
  for (int t = 0; t < threads; ++t) {
    x.push_back(randomVector(rows * in, 10 + t));
    want.emplace_back(rows * outs);
    k::linear(x[t].data(), w.data(), rows, in, outs, want[t].data());
  }
  std::atomic<int> wrong{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      std::vector<float> got(rows * outs);
      for (int i = 0; i < calls; ++i) {
        k::linear(x[t].data(), w.data(), rows, in, outs, got.data());
        if (std::memcmp(got.data(), want[t].data(), got.size() * 4) != 0)
          ++wrong;
      }
    });
  for (std::thread &t : pool)
    t.join();
  EXPECT_EQ(wrong.load(), 0) << "of " << threads * calls << " products";
}

} // namespace
