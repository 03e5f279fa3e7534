//===- GpuSharedCommTest.cpp - shared-CUDA endpoints, ranks on one GPU ----===//
//
// 2 to 4 ranks as threads, all on device 0, each with its own compute
// stream: every collective kind (in place, count 0), several in flight
// over split groups, and after each wait the rank overwrites its `in` on
// its compute stream at once, so a peer that read it too late gets a
// wrong result. The host logic is SharedCommTest's; this runs the CUDA
// engine.
//
//===----------------------------------------------------------------------===//
#include "GpuTestUtil.h"
#include "helix_rt/cuda_comm.h"

#include <functional>
#include <random>
#include <thread>
#include <vector>

namespace {

enum Kind { AllReduce, AllToAll, AllGather, Barrier };

float value(int round, int rank, int64_t i) {
  return float((round * 7 + rank * 13 + i * 3) % 1000);
}

/// One collective of one rank: device buffers and the expected output.
struct Op {
  Kind kind;
  int64_t count;
  int round;
  bool inPlace;
  float *in = nullptr, *out = nullptr;
  int64_t inCount = 0, outCount = 0;
  helix_comm_request *request = nullptr;
};

bool ok(cudaError_t e) { return e == cudaSuccess; }

void start(helix_comm *comm, cudaStream_t stream, Op &op) {
  int size = helix_comm_size(comm), rank = helix_comm_rank(comm);
  op.inCount = op.kind == AllToAll ? op.count * size : op.count;
  op.outCount = op.kind == AllReduce ? op.count : op.count * size;
  std::vector<float> in(size_t(op.inCount) + 1);
  for (int64_t i = 0; i < op.inCount; ++i)
    in[size_t(i)] = value(op.round, rank, i);
  ASSERT_TRUE(ok(cudaMallocAsync(reinterpret_cast<void **>(&op.in), size_t(op.inCount + 1) * 4, stream)));
  ASSERT_TRUE(ok(cudaMallocAsync(reinterpret_cast<void **>(&op.out), size_t(op.outCount + 1) * 4, stream)));
  ASSERT_TRUE(ok(cudaMemcpyAsync(op.in, in.data(), size_t(op.inCount) * 4,
                                 cudaMemcpyHostToDevice, stream)));
  ASSERT_TRUE(ok(cudaMemsetAsync(op.out, 0xff, size_t(op.outCount) * 4, stream)));
  // Keep `in` pageable-safe: the copy above reads it before we return.
  ASSERT_TRUE(ok(cudaStreamSynchronize(stream)));
  float *out = op.inPlace ? op.in : op.out;
  helix_status s = HELIX_OK;
  switch (op.kind) {
  case AllReduce:
    s = helix_comm_start_all_reduce_sum(comm, op.in, out, op.count, &op.request);
    break;
  case AllToAll:
    s = helix_comm_start_all_to_all(comm, op.in, out, op.count, &op.request);
    break;
  case AllGather:
    s = helix_comm_start_all_gather(comm, op.in, out, op.count, &op.request);
    break;
  case Barrier:
    s = helix_comm_barrier(comm);
    break;
  }
  EXPECT_EQ(s, HELIX_OK) << helix_comm_error(comm);
}

void finish(helix_comm *comm, cudaStream_t stream, Op &op) {
  if (op.kind != Barrier) {
    ASSERT_EQ(helix_comm_wait(op.request), HELIX_OK) << helix_comm_error(comm);
    std::vector<float> out(size_t(op.outCount) + 1);
    const float *result = op.inPlace ? op.in : op.out;
    ASSERT_TRUE(ok(cudaMemcpyAsync(out.data(), result, size_t(op.outCount) * 4,
                                   cudaMemcpyDeviceToHost, stream)));
    // Overwrite `in` right away: peers must have read it already.
    ASSERT_TRUE(ok(cudaMemsetAsync(op.in, 0xff, size_t(op.inCount) * 4, stream)));
    ASSERT_TRUE(ok(cudaStreamSynchronize(stream)));
    int size = helix_comm_size(comm), rank = helix_comm_rank(comm);
    for (int j = 0; j < (op.kind == AllReduce ? 1 : size); ++j)
      for (int64_t i = 0; i < op.count; ++i) {
        float expected = 0;
        if (op.kind == AllReduce)
          for (int p = 0; p < size; ++p)
            expected += value(op.round, p, i);
        else if (op.kind == AllToAll)
          expected = value(op.round, j, int64_t(rank) * op.count + i);
        else
          expected = value(op.round, j, i);
        ASSERT_EQ(out[size_t(j * op.count + i)], expected)
            << "kind " << op.kind << " round " << op.round << " rank " << rank
            << " block " << j << " index " << i;
      }
  }
  cudaFreeAsync(op.in, stream);
  cudaFreeAsync(op.out, stream);
}

void runRanks(int size, const std::function<void(helix_comm *, cudaStream_t)> &body) {
  std::vector<int32_t> devices(size_t(size), 0);
  std::vector<helix_comm *> ranks(size_t(size), nullptr);
  ASSERT_EQ(helix_comm_cuda_threads_create(size, devices.data(), 60000,
                                           ranks.data()),
            HELIX_OK)
      << helix_comm_error(nullptr);
  std::vector<std::thread> threads;
  for (helix_comm *comm : ranks)
    threads.emplace_back([&body, comm] {
      EXPECT_EQ(helix_comm_cuda_device(comm), 0);
      ASSERT_TRUE(ok(cudaSetDevice(0)));
      cudaStream_t stream = nullptr;
      ASSERT_TRUE(ok(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking)));
      EXPECT_EQ(helix_comm_cuda_set_stream(comm, stream), HELIX_OK);
      body(comm, stream);
      cudaStreamSynchronize(stream);
      cudaStreamDestroy(stream);
    });
  for (std::thread &t : threads)
    t.join();
  for (helix_comm *comm : ranks)
    helix_comm_destroy(comm);
}

TEST(GpuSharedComm, EveryCollectiveOnOneDevice) {
  HELIX_REQUIRE_GPU();
  for (int size : {2, 3, 4})
    runRanks(size, [](helix_comm *comm, cudaStream_t stream) {
      int round = 0;
      for (Kind kind : {AllReduce, AllToAll, AllGather, Barrier})
        for (int64_t count : {0, 1, 1000, 100000})
          for (bool inPlace : {false, true}) {
            if (inPlace && kind != AllReduce)
              continue;
            Op op{kind, count, round++, inPlace};
            start(comm, stream, op);
            finish(comm, stream, op);
          }
      EXPECT_STREQ(helix_comm_error(comm), "");
    });
}

TEST(GpuSharedComm, InterleavedOverSplitGroups) {
  HELIX_REQUIRE_GPU();
  runRanks(4, [](helix_comm *world, cudaStream_t stream) {
    int rank = helix_comm_rank(world);
    helix_comm *row = nullptr, *col = nullptr, *none = nullptr;
    ASSERT_EQ(helix_comm_split(world, rank / 2, rank, &row), HELIX_OK);
    ASSERT_EQ(helix_comm_split(world, rank % 2, -rank, &col), HELIX_OK);
    ASSERT_EQ(helix_comm_split(world, -1, 0, &none), HELIX_OK);
    EXPECT_EQ(none, nullptr);
    std::mt19937 random(7); // the same sequence on every rank
    for (int round = 0; round < 100; ++round) {
      int inFlight = 1 + int(random() % 4);
      std::vector<Op> ops;
      std::vector<helix_comm *> on;
      for (int k = 0; k < inFlight; ++k) {
        Kind kind = Kind(random() % 3);
        int64_t count = int64_t(random() % 3000);
        bool inPlace = kind == AllReduce && random() % 2;
        ops.push_back({kind, count, round * 8 + k, inPlace});
        helix_comm *groups[] = {row, col, world};
        on.push_back(groups[random() % 3]);
      }
      for (int k = 0; k < inFlight; ++k)
        start(on[k], stream, ops[k]);
      bool reverse = random() % 2;
      for (int k = 0; k < inFlight; ++k) {
        int i = reverse ? inFlight - 1 - k : k;
        finish(on[i], stream, ops[i]);
      }
    }
    EXPECT_STREQ(helix_comm_error(world), "");
    helix_comm_destroy(row);
    helix_comm_destroy(col);
  });
}

TEST(GpuSharedComm, AbortWakesPeers) {
  HELIX_REQUIRE_GPU();
  runRanks(3, [](helix_comm *comm, cudaStream_t stream) {
    if (helix_comm_rank(comm) == 1) {
      helix_comm_abort(comm, "rank 1 gave up");
      return;
    }
    float *in = nullptr, *out = nullptr;
    ASSERT_TRUE(ok(cudaMalloc(reinterpret_cast<void **>(&in), 10 * 4)));
    ASSERT_TRUE(ok(cudaMalloc(reinterpret_cast<void **>(&out), 30 * 4)));
    EXPECT_EQ(helix_comm_all_gather(comm, in, out, 10), HELIX_ERROR_COMM);
    EXPECT_STREQ(helix_comm_error(comm), "rank 1 gave up");
    cudaStreamSynchronize(stream);
    cudaFree(in);
    cudaFree(out);
  });
}

TEST(GpuSharedComm, ReserveRefusesMoreThanTheDeviceHas) {
  HELIX_REQUIRE_GPU();
  runRanks(2, [](helix_comm *comm, cudaStream_t) {
    EXPECT_EQ(helix_comm_cuda_reserve(comm, 1 << 20), HELIX_OK);
    EXPECT_EQ(helix_comm_cuda_reserve(comm, int64_t(1) << 50),
              HELIX_ERROR_OUT_OF_RANGE);
    std::string why = helix_comm_error(comm);
    EXPECT_NE(why.find("the 2 ranks on GPU 0 need 2251799813685248 bytes"),
              std::string::npos)
        << why;
  });
}

} // namespace
