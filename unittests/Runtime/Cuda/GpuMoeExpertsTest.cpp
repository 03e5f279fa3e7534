//===- GpuMoeExpertsTest.cpp - routed MoE experts vs the dense path -------===//
//
// The routed path of the CUDA device (MoeExperts.h, HELIX_CUDA_MOE=routed):
// the device grouping equals its host twin (kernels/MoeGrouping.h) exactly,
// and the routed experts equal the dense path the device runs by default
// (swigluMlp per expert, expertRowWeights, axpyRows) and the CPU kernel.
//
//===----------------------------------------------------------------------===//
#include "DeviceOps.h"
#include "GpuTestUtil.h"
#include "MoeExperts.h"
#include "helix_rt/kernels.h"

#include <cublas_v2.h>

using namespace helix_gpu_test;
namespace cuda = helix_rt::cuda;
namespace ops = helix_rt::cuda::ops;
namespace kernels = helix_rt::kernels;
namespace moe = helix_rt::moe;

namespace {

/// ids over [0, idRange) (repeats within a row allowed), weights in [0, 1).
void randomRoutes(int64_t slots, int64_t idRange, std::mt19937 &gen,
                  std::vector<int64_t> &ids, std::vector<float> &w) {
  std::uniform_int_distribution<int64_t> pick(0, idRange - 1);
  ids.resize(static_cast<size_t>(slots));
  for (int64_t &id : ids)
    id = pick(gen);
  w = randomVector(static_cast<size_t>(slots), gen, 0.0f, 1.0f);
}

void checkGroupingMatchesHost(int64_t batch, int64_t topK, int64_t first,
                              int64_t experts, std::mt19937 &gen) {
  SCOPED_TRACE("batch " + std::to_string(batch) + " topK " +
               std::to_string(topK) + " experts [" + std::to_string(first) +
               ", +" + std::to_string(experts) + ")");
  const int64_t slots = batch * topK, tiles = moe::groupTiles(slots);
  std::vector<int64_t> ids;
  std::vector<float> w;
  randomRoutes(slots, 48, gen, ids, w);
  // Host twin.
  std::vector<int32_t> tileBase(size_t(tiles * experts)),
      offsets(size_t(experts + 1)), slotRow(static_cast<size_t>(slots), -1),
      slotOf(static_cast<size_t>(slots));
  std::vector<float> slotWeight(static_cast<size_t>(slots), -1.0f);
  moe::groupRoutedRowsOnHost(ids.data(), w.data(), batch, topK, first, experts,
                             {tileBase.data(), offsets.data(), slotRow.data(),
                              slotWeight.data(), slotOf.data()});
  // Device.
  DeviceBuffer<int64_t> dIds(ids.size());
  DeviceBuffer<float> dW(w.size()), dSlotWeight(static_cast<size_t>(slots));
  DeviceBuffer<int32_t> dTile(tileBase.size()), dOff(offsets.size()),
      dRow(static_cast<size_t>(slots)), dOf(static_cast<size_t>(slots));
  HELIX_CUDA_OK(dIds.upload(ids));
  HELIX_CUDA_OK(dW.upload(w));
  for (DeviceBuffer<int32_t> *b : {&dTile, &dOff, &dRow, &dOf})
    HELIX_CUDA_OK(b->poison());
  HELIX_CUDA_OK(dSlotWeight.poison());
  HELIX_RT_OK(ops::groupRoutedRows(
      dIds.get(), dW.get(), batch, topK, first, experts,
      {dTile.get(), dOff.get(), dRow.get(), dSlotWeight.get(), dOf.get()},
      nullptr));
  HELIX_CUDA_OK(cudaDeviceSynchronize());
  EXPECT_EQ(download(dOff), offsets);
  EXPECT_EQ(download(dOf), slotOf);
  // Positions past the local slots are not written.
  const size_t used = size_t(offsets[experts]);
  std::vector<int32_t> row = download(dRow);
  std::vector<float> weight = download(dSlotWeight);
  EXPECT_EQ(std::vector<int32_t>(row.begin(), row.begin() + used),
            std::vector<int32_t>(slotRow.begin(), slotRow.begin() + used));
  EXPECT_EQ(std::vector<float>(weight.begin(), weight.begin() + used),
            std::vector<float>(slotWeight.begin(), slotWeight.begin() + used));
}

TEST(GpuMoeExperts, GroupingEqualsTheHostTwin) {
  HELIX_REQUIRE_GPU();
  SEEDED();
  // One slot, tile edges (256 slots), many tiles; none, some, all experts.
  checkGroupingMatchesHost(1, 1, 0, 48, gen);
  checkGroupingMatchesHost(32, 8, 0, 48, gen);
  checkGroupingMatchesHost(257, 1, 16, 16, gen);
  checkGroupingMatchesHost(3000, 8, 8, 32, gen);
  checkGroupingMatchesHost(100, 6, 100, 8, gen);
  std::uniform_int_distribution<int64_t> batch(1, 3000), topK(1, 8),
      first(0, 40), local(1, 300);
  for (int i = 0; i < 8; ++i)
    checkGroupingMatchesHost(batch(gen), topK(gen), first(gen), local(gen),
                             gen);
}

struct ExpertsCase {
  int64_t batch, topK, first, experts, idRange, hidden, width;
};

/// Routed vs the dense device path and the CPU kernel on bf16-rounded
/// inputs. `routeTo`, when non-empty, limits ids to those experts.
void runExperts(const ExpertsCase &c, std::mt19937 &gen,
                const std::vector<int64_t> &routeTo = {}) {
  SCOPED_TRACE("batch " + std::to_string(c.batch) + " hidden " +
               std::to_string(c.hidden) + " width " + std::to_string(c.width));
  const int64_t slots = c.batch * c.topK, h = c.hidden, wd = c.width;
  std::vector<int64_t> ids;
  std::vector<float> w;
  randomRoutes(slots, c.idRange, gen, ids, w);
  if (!routeTo.empty())
    for (int64_t &id : ids)
      id = routeTo[size_t(id) % routeTo.size()];
  std::vector<float> x = randomVector(size_t(c.batch * h), gen);
  roundToBf16(x);
  std::vector<std::vector<float>> gate, up, down;
  for (int64_t e = 0; e < c.experts; ++e) {
    gate.push_back(randomVector(size_t(wd * h), gen, -0.3f, 0.3f));
    up.push_back(randomVector(size_t(wd * h), gen, -0.3f, 0.3f));
    down.push_back(randomVector(size_t(h * wd), gen, -0.3f, 0.3f));
    roundToBf16(gate.back());
    roundToBf16(up.back());
    roundToBf16(down.back());
  }
  // CPU reference.
  std::vector<kernels::Weights> g(size_t(c.experts)), u(g), d(g);
  for (int64_t e = 0; e < c.experts; ++e) {
    g[e] = gate[e].data();
    u[e] = up[e].data();
    d[e] = down[e].data();
  }
  std::vector<float> ref(size_t(c.batch * h));
  kernels::moeExperts(x.data(), ids.data(), w.data(), c.batch, h, c.topK,
                      c.first, c.experts, wd, g.data(), u.data(), d.data(),
                      ref.data());

  // Device inputs and the expert tables.
  DeviceBuffer<uint16_t> dx;
  uploadBf16(dx, x);
  std::vector<DeviceBuffer<uint16_t>> dg(size_t(c.experts)),
      du(size_t(c.experts)), dd(size_t(c.experts));
  std::vector<const bf16 *> table;
  for (int64_t e = 0; e < c.experts; ++e) {
    uploadBf16(dg[e], gate[e]);
    uploadBf16(du[e], up[e]);
    uploadBf16(dd[e], down[e]);
  }
  for (auto *set : {&dg, &du, &dd})
    for (auto &b : *set)
      table.push_back(asBf16(b));
  DeviceBuffer<const bf16 *> dTable(table.size());
  if (!table.empty())
    HELIX_CUDA_OK(dTable.upload(table));
  const bf16 *const *tg = dTable.get();
  DeviceBuffer<int64_t> dIds(ids.size());
  DeviceBuffer<float> dW(w.size()), routed(size_t(c.batch * h)),
      dense(size_t(c.batch * h));
  HELIX_CUDA_OK(dIds.upload(ids));
  HELIX_CUDA_OK(dW.upload(w));
  HELIX_CUDA_OK(routed.poison());

  DeviceBuffer<char> ws(std::max<size_t>(
      ops::routedExpertsWorkspaceBytes(c.batch, c.topK, c.experts, h, wd), 1));
  HELIX_RT_OK(ops::routedExperts(
      asBf16(dx), dIds.get(), dW.get(), c.batch, c.topK, c.first, c.experts, h,
      wd, tg, tg + c.experts, tg + 2 * c.experts, routed.get(), ws.get(),
      nullptr));

  // The dense path, as CudaDevice runs it.
  cublasHandle_t handle = nullptr;
  ASSERT_EQ(cublasCreate(&handle), CUBLAS_STATUS_SUCCESS);
  DeviceBuffer<float> rowWeight(size_t(std::max<int64_t>(c.experts, 1) *
                                       c.batch)),
      partial(size_t(c.batch * h));
  DeviceBuffer<char> mlpWs(cuda::swigluWorkspaceBytes(c.batch, wd));
  HELIX_CUDA_OK(dense.zero());
  HELIX_RT_OK(ops::expertRowWeights(dIds.get(), dW.get(), c.batch, c.topK,
                                    c.first, c.experts, rowWeight.get(),
                                    nullptr));
  for (int64_t e = 0; e < c.experts; ++e) {
    HELIX_RT_OK(cuda::swigluMlp(handle, asBf16(dx), asBf16(dg[e]),
                                asBf16(du[e]), asBf16(dd[e]), c.batch, h, wd,
                                partial.get(), mlpWs.get(), nullptr));
    HELIX_RT_OK(ops::axpyRows(rowWeight.get() + e * c.batch, partial.get(),
                              c.batch, h, dense.get(), nullptr));
  }
  HELIX_CUDA_OK(cudaDeviceSynchronize());
  cublasDestroy(handle);

  std::vector<float> got = download(routed), want = download(dense);
  expectClose(want, got, kBf16Tol, "routed vs dense");
  expectClose(ref, got, 2 * kBf16Tol, "routed vs the CPU kernel");
  // A row with no local slot is exactly 0, as in the dense path.
  for (int64_t b = 0; b < c.batch; ++b) {
    bool local = false;
    for (int64_t j = 0; j < c.topK; ++j)
      local |= ids[b * c.topK + j] >= c.first &&
               ids[b * c.topK + j] < c.first + c.experts;
    for (int64_t i = 0; !local && i < h; ++i)
      ASSERT_EQ(got[b * h + i], 0.0f) << "row " << b;
  }
}

TEST(GpuMoeExperts, RoutedEqualsDenseDecode) {
  HELIX_REQUIRE_GPU();
  SEEDED();
  // Decode-sized: 8 rows, top-8 of 64 experts, 16 local from 16.
  runExperts({8, 8, 16, 16, 64, 256, 128}, gen);
  // One row, every expert local.
  runExperts({1, 6, 0, 16, 16, 64, 96}, gen);
}

TEST(GpuMoeExperts, RoutedEqualsDensePrefillPasses) {
  HELIX_REQUIRE_GPU();
  SEEDED();
  // More rows than one pass takes (kRoutedRowsPerPass), many rows per
  // expert (several kRows groups), repeated ids within rows.
  runExperts({ops::kRoutedRowsPerPass + 45, 4, 0, 6, 8, 128, 64}, gen);
}

TEST(GpuMoeExperts, SizesOffTheVectorWidth) {
  HELIX_REQUIRE_GPU();
  SEEDED();
  // hidden and width not multiples of 8: the scalar-load kernels; a
  // column count that leaves a partial block.
  runExperts({5, 3, 2, 5, 12, 36, 20}, gen);
}

TEST(GpuMoeExperts, ExpertsWithoutRows) {
  HELIX_REQUIRE_GPU();
  SEEDED();
  // 8 local experts [8, 16) of which only 9 and 13 get rows; ids 0-7 and
  // 20 go to other ranks, so some rows have no local slot at all.
  runExperts({12, 2, 8, 8, 6, 64, 32}, gen, {9, 13, 0, 7, 20, 3});
  // No id lands on this rank: every row is 0.
  runExperts({4, 4, 30, 4, 8, 64, 32}, gen);
}

} // namespace
