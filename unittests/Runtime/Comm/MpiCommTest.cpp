//===- MpiCommTest.cpp - the MPI backend, run under mpirun -np 4 ----------===//
//
// A plain program (gtest cannot span processes): every rank runs the same
// checks; a failed check aborts the job through helix_comm_abort, so mpirun
// exits non-zero. Exit code 0 means every rank passed.
//
//===----------------------------------------------------------------------===//
#include "helix_rt/comm.h"

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace {

helix_comm *world = nullptr;

void check(bool ok, const char *what, int line) {
  if (ok)
    return;
  std::string reason = "MpiCommTest rank " +
                       std::to_string(helix_comm_rank(world)) +
                       ": check failed at line " + std::to_string(line) + ": " +
                       what + " (" + helix_comm_error(world) + ")";
  helix_comm_abort(world, reason.c_str());
}

#define CHECK(condition) check((condition), #condition, __LINE__)
#define CHECK_OK(call) CHECK((call) == HELIX_OK)

void checkCollectives(helix_comm *comm, bool startWait) {
  int rank = helix_comm_rank(comm), size = helix_comm_size(comm);
  const int count = 3;
  helix_comm_request *request = nullptr;

  std::vector<float> in(count), out(count, -1.0f);
  for (int i = 0; i < count; ++i)
    in[i] = float(rank * 100 + i);
  if (startWait) {
    CHECK_OK(helix_comm_start_all_reduce_sum(comm, in.data(), out.data(), count,
                                             &request));
    CHECK_OK(helix_comm_wait(request));
  } else {
    CHECK_OK(helix_comm_all_reduce_sum(comm, in.data(), out.data(), count));
  }
  for (int i = 0; i < count; ++i)
    CHECK(out[i] == float(100 * size * (size - 1) / 2 + size * i));
  CHECK_OK(helix_comm_all_reduce_sum(comm, in.data(), in.data(), count));
  CHECK(in == out);

  std::vector<float> blocks(size * count), received(size * count, -1.0f);
  for (int j = 0; j < size; ++j)
    for (int i = 0; i < count; ++i)
      blocks[j * count + i] = float(rank * 1000 + j * 10 + i);
  if (startWait) {
    CHECK_OK(helix_comm_start_all_to_all(comm, blocks.data(), received.data(),
                                         count, &request));
    CHECK_OK(helix_comm_wait(request));
  } else {
    CHECK_OK(
        helix_comm_all_to_all(comm, blocks.data(), received.data(), count));
  }
  for (int j = 0; j < size; ++j)
    for (int i = 0; i < count; ++i)
      CHECK(received[j * count + i] == float(j * 1000 + rank * 10 + i));

  std::vector<float> mine(count), gathered(size * count, -1.0f);
  for (int i = 0; i < count; ++i)
    mine[i] = float(rank * 10 + i) + 0.5f;
  if (startWait) {
    CHECK_OK(helix_comm_start_all_gather(comm, mine.data(), gathered.data(),
                                         count, &request));
    CHECK_OK(helix_comm_wait(request));
  } else {
    CHECK_OK(helix_comm_all_gather(comm, mine.data(), gathered.data(), count));
  }
  for (int j = 0; j < size; ++j)
    for (int i = 0; i < count; ++i)
      CHECK(gathered[j * count + i] == float(j * 10 + i) + 0.5f);

  CHECK_OK(helix_comm_barrier(comm));
  CHECK_OK(helix_comm_all_reduce_sum(comm, nullptr, nullptr, 0));
}

// World 4 as a 2x2 grid, world rank = row * 2 + column.
void checkSplits() {
  int rank = helix_comm_rank(world);
  int row = rank / 2, column = rank % 2;
  helix_comm *columnComm = nullptr, *rowComm = nullptr, *reversed = nullptr;
  CHECK_OK(helix_comm_split(world, column, row, &columnComm));
  CHECK_OK(helix_comm_split(world, row, column, &rowComm));
  CHECK_OK(helix_comm_split(world, 0, -rank, &reversed));
  CHECK(columnComm && rowComm && reversed);
  CHECK(helix_comm_size(columnComm) == 2 && helix_comm_rank(columnComm) == row);
  CHECK(helix_comm_size(rowComm) == 2 && helix_comm_rank(rowComm) == column);
  CHECK(helix_comm_rank(reversed) == 3 - rank);

  float me = float(rank), sum = -1.0f;
  std::vector<float> gathered(2, -1.0f);
  CHECK_OK(helix_comm_all_gather(columnComm, &me, gathered.data(), 1));
  CHECK(gathered[0] == float(column) && gathered[1] == float(2 + column));
  CHECK_OK(helix_comm_all_reduce_sum(rowComm, &me, &sum, 1));
  CHECK(sum == float(4 * row + 1));
  checkCollectives(columnComm, /*startWait=*/true);
  checkCollectives(reversed, /*startWait=*/false);

  helix_comm *odd = reinterpret_cast<helix_comm *>(&me);
  CHECK_OK(helix_comm_split(world, rank % 2 ? 0 : -1, 0, &odd));
  CHECK((odd != nullptr) == (rank % 2 == 1));
  helix_comm_destroy(odd);
  helix_comm_destroy(reversed);
  helix_comm_destroy(rowComm);
  helix_comm_destroy(columnComm);
}

// Several collectives in flight, waited in reverse; then the HOP-B loop.
void checkInFlight() {
  int rank = helix_comm_rank(world), size = helix_comm_size(world);
  const int inFlight = 4;
  std::vector<float> in(inFlight), out(inFlight * size, -1.0f);
  std::vector<helix_comm_request *> requests(inFlight, nullptr);
  for (int k = 0; k < inFlight; ++k) {
    in[k] = float(rank * 10 + k);
    if (k % 2)
      CHECK_OK(helix_comm_start_all_gather(world, &in[k], &out[k * size], 1,
                                           &requests[k]));
    else
      CHECK_OK(helix_comm_start_all_reduce_sum(world, &in[k], &out[k * size], 1,
                                               &requests[k]));
  }
  for (int k = inFlight - 1; k >= 0; --k)
    CHECK_OK(helix_comm_wait(requests[k]));
  for (int k = 0; k < inFlight; ++k) {
    if (k % 2) {
      for (int r = 0; r < size; ++r)
        CHECK(out[k * size + r] == float(r * 10 + k));
    } else {
      CHECK(out[k * size] == float(10 * size * (size - 1) / 2 + size * k));
    }
  }

  const int microBatches = 6;
  std::vector<float> sums(microBatches, -1.0f), values(microBatches);
  helix_comm_request *current = nullptr;
  values[0] = float(rank + 0);
  CHECK_OK(helix_comm_start_all_reduce_sum(world, &values[0], &sums[0], 1,
                                           &current));
  for (int m = 0; m < microBatches; ++m) {
    helix_comm_request *next = nullptr;
    if (m + 1 < microBatches) {
      values[m + 1] = float(rank + m + 1);
      CHECK_OK(helix_comm_start_all_reduce_sum(world, &values[m + 1],
                                               &sums[m + 1], 1, &next));
    }
    CHECK_OK(helix_comm_wait(current));
    CHECK(sums[m] == float(size * (size - 1) / 2 + size * m));
    current = next;
  }
}

// Failure modes, run as separate ctest cases that expect the job to stop
// with the reason: "abort" (rank 2 aborts while the others wait),
// "timeout" (rank 3 never joins; run with HELIX_COMM_TIMEOUT_MS small) and
// "timeout-split" (rank 3 never joins its column {1, 3}, so rank 1 names it
// by both its ranks; 0 and 2 wait on no one).
void failOnPurpose(const std::string &mode) {
  int rank = helix_comm_rank(world);
  float x = 1.0f, y = 0.0f;
  helix_comm *comm = world;
  if (mode == "timeout-split")
    helix_comm_split(world, rank % 2, rank, &comm);
  if (mode == "abort" && rank == 2)
    helix_comm_abort(world, "rank 2 gave up on purpose");
  if ((mode == "timeout" && rank == 3) ||
      (mode == "timeout-split" && rank != 1))
    std::this_thread::sleep_for(std::chrono::seconds(60));
  helix_comm_all_reduce_sum(comm, &x, &y, 1);
  std::fprintf(stderr, "MpiCommTest: rank %d was not stopped\n", rank);
}

} // namespace

int main(int argc, char **argv) {
  if (helix_comm_mpi_create(&world) != HELIX_OK) {
    std::fprintf(stderr, "MpiCommTest: %s\n", helix_comm_error(nullptr));
    return 1;
  }
  if (argc > 1) {
    failOnPurpose(argv[1]);
    return 1;
  }
  CHECK(helix_comm_size(world) == 4);
  CHECK(std::string(helix_comm_error(world)).empty());
  checkCollectives(world, /*startWait=*/false);
  checkCollectives(world, /*startWait=*/true);
  checkSplits();
  checkInFlight();
  CHECK_OK(helix_comm_barrier(world));
  int rank = helix_comm_rank(world);
  helix_comm_destroy(world);
  helix_comm_mpi_finalize();
  if (rank == 0)
    std::printf("MpiCommTest: all checks passed on 4 ranks\n");
  return 0;
}
