//===- GpuNcclTest.cpp - NCCL endpoints: one-rank world, errors -----------===//
#include "GpuTestUtil.h"
#include "helix_rt/cuda_comm.h"
#include "helix_rt/cuda_kernels.h"

#include <chrono>
#include <thread>

#include <cstdlib>
#include <vector>

using namespace helix_gpu_test;

namespace {

/// A one-rank world from the environment, as a non-MPI launcher makes it.
helix_comm *oneRankWorld() {
  setenv("HELIX_RANK", "0", 1);
  setenv("HELIX_WORLD_SIZE", "1", 1);
  helix_nccl_options o = helix_nccl_default_options();
  o.timeout_ms = 60000;
  helix_comm *world = nullptr;
  EXPECT_EQ(helix_comm_nccl_create_env(&o, &world), HELIX_OK)
      << helix_comm_error(nullptr);
  return world;
}

TEST(GpuNccl, OneRankCollectivesAndSplit) {
  HELIX_REQUIRE_GPU();
  helix_comm *world = oneRankWorld();
  ASSERT_NE(world, nullptr);
  EXPECT_EQ(helix_comm_size(world), 1);
  const int64_t count = 1000;
  std::vector<float> host(count);
  for (int64_t i = 0; i < count; ++i)
    host[size_t(i)] = float(i) * 0.5f;
  DeviceBuffer<float> in(static_cast<size_t>(count));
  DeviceBuffer<float> out(static_cast<size_t>(count));
  HELIX_CUDA_OK(in.upload(host));
  for (int kind = 0; kind < 3; ++kind) {
    HELIX_CUDA_OK(out.poison());
    helix_comm_request *request = nullptr;
    helix_status s =
        kind == 0   ? helix_comm_start_all_reduce_sum(world, in.get(),
                                                      out.get(), count,
                                                      &request)
        : kind == 1 ? helix_comm_start_all_to_all(world, in.get(), out.get(),
                                                  count, &request)
                    : helix_comm_start_all_gather(world, in.get(), out.get(),
                                                  count, &request);
    ASSERT_EQ(s, HELIX_OK) << helix_comm_error(world);
    ASSERT_EQ(helix_comm_wait(request), HELIX_OK) << helix_comm_error(world);
    HELIX_CUDA_OK(cudaDeviceSynchronize());
    std::vector<float> got;
    HELIX_CUDA_OK(out.download(got));
    EXPECT_EQ(got, host) << "collective " << kind;
  }
  EXPECT_EQ(helix_comm_barrier(world), HELIX_OK);
  helix_comm *sub = nullptr;
  ASSERT_EQ(helix_comm_split(world, 0, 0, &sub), HELIX_OK)
      << helix_comm_error(world);
  ASSERT_NE(sub, nullptr);
  EXPECT_EQ(helix_comm_size(sub), 1);
  EXPECT_EQ(helix_comm_all_reduce_sum(sub, in.get(), out.get(), count),
            HELIX_OK);
  helix_comm_destroy(sub);
  // An abort fails every later call with the reason, without hanging.
  helix_comm_abort(world, "test abort");
  EXPECT_EQ(helix_comm_all_reduce_sum(world, in.get(), out.get(), count),
            HELIX_ERROR_COMM);
  EXPECT_STREQ(helix_comm_error(world), "test abort");
  helix_comm_destroy(world);
}

TEST(GpuNccl, SplitsRightAfterInitAndInSequence) {
  HELIX_REQUIRE_GPU();
  // What a rank does when it is created: one split of the fresh world per
  // group, back to back, then collectives on each group.
  helix_comm *world = oneRankWorld();
  ASSERT_NE(world, nullptr);
  std::vector<helix_comm *> groups;
  for (int g = 0; g < 4; ++g) {
    helix_comm *sub = nullptr;
    ASSERT_EQ(helix_comm_split(world, 0, 0, &sub), HELIX_OK)
        << "split " << g << ": " << helix_comm_error(world);
    ASSERT_NE(sub, nullptr);
    groups.push_back(sub);
  }
  helix_comm *none = nullptr; // in no group: no endpoint, and no error
  ASSERT_EQ(helix_comm_split(world, -1, 0, &none), HELIX_OK)
      << helix_comm_error(world);
  EXPECT_EQ(none, nullptr);
  const int64_t count = 256;
  DeviceBuffer<float> in(static_cast<size_t>(count)), out(static_cast<size_t>(count));
  HELIX_CUDA_OK(in.poison());
  for (helix_comm *sub : groups)
    EXPECT_EQ(helix_comm_all_reduce_sum(sub, in.get(), out.get(), count),
              HELIX_OK)
        << helix_comm_error(sub);
  for (helix_comm *sub : groups)
    helix_comm_destroy(sub);
  helix_comm_destroy(world);
}

TEST(GpuNccl, WaitThatPolledLeavesNoStickyError) {
  HELIX_REQUIRE_GPU();
  // A wait that polls a collective still queued behind other work sees
  // cudaErrorNotReady; the next kernel's launch check must not report it.
  helix_comm *world = oneRankWorld();
  ASSERT_NE(world, nullptr);
  cudaStream_t stream = nullptr;
  HELIX_CUDA_OK(cudaStreamCreate(&stream));
  ASSERT_EQ(helix_comm_nccl_set_stream(world, stream), HELIX_OK);
  const int64_t count = 4096;
  DeviceBuffer<float> in(static_cast<size_t>(count)), out(static_cast<size_t>(count));
  HELIX_CUDA_OK(in.poison());
  // Holds the stream (and so the collective's inputs) for 50 ms.
  HELIX_CUDA_OK(cudaLaunchHostFunc(
      stream,
      [](void *) { std::this_thread::sleep_for(std::chrono::milliseconds(50)); },
      nullptr));
  helix_comm_request *request = nullptr;
  ASSERT_EQ(helix_comm_start_all_reduce_sum(world, in.get(), out.get(), count,
                                            &request),
            HELIX_OK)
      << helix_comm_error(world);
  ASSERT_EQ(helix_comm_wait(request), HELIX_OK) << helix_comm_error(world);
  DeviceBuffer<uint16_t> a(static_cast<size_t>(count)), b(static_cast<size_t>(count));
  HELIX_CUDA_OK(a.poison());
  HELIX_CUDA_OK(b.poison());
  EXPECT_EQ(helix_rt::cuda::add(asBf16(a), asBf16(a), count, asBf16(b), stream),
            HELIX_OK)
      << helix_rt::cuda::lastError();
  HELIX_CUDA_OK(cudaStreamSynchronize(stream));
  helix_comm_destroy(world);
  HELIX_CUDA_OK(cudaStreamDestroy(stream));
}

TEST(GpuNccl, BootstrapErrorsAreReported) {
  // Runs with or without a device: bad environments fail before CUDA.
  unsetenv("HELIX_RANK");
  unsetenv("SLURM_PROCID");
  unsetenv("OMPI_COMM_WORLD_RANK");
  unsetenv("PMI_RANK");
  helix_comm *world = nullptr;
  EXPECT_EQ(helix_comm_nccl_create_env(nullptr, &world),
            HELIX_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(world, nullptr);
  EXPECT_NE(std::string(helix_comm_error(nullptr)).find("HELIX_RANK"),
            std::string::npos);
  helix_comm *threads[1] = {};
  ASSERT_EQ(helix_comm_threads_create(1, 0, threads), HELIX_OK);
  EXPECT_EQ(helix_comm_nccl_set_stream(threads[0], nullptr),
            HELIX_ERROR_INVALID_ARGUMENT);
  helix_comm_destroy(threads[0]);
}

} // namespace
