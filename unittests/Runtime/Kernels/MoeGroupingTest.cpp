//===- MoeGroupingTest.cpp - Routed-row grouping of the CUDA MoE path -----===//
//
// The grouping the CUDA device's routed MoE runs (MoeGrouping.h), on the
// host: every local (row, slot) is listed once under its expert, in slot
// order, and the experts computed over the grouped rows give the dense
// weighted sum (the CUDA device's default path, in fp32 with the CPU
// kernels).
//
//===----------------------------------------------------------------------===//
#include "KernelTestUtil.h"
#include "MoeGrouping.h"
#include "helix_rt/kernels.h"

#include <string>

using namespace helix_kernel_test;
namespace k = helix_rt::kernels;
namespace moe = helix_rt::moe;

namespace {

struct Grouped {
  std::vector<int32_t> tileBase, offsets, slotRow, slotOf;
  std::vector<float> slotWeight;
  moe::RoutedGroups view() {
    return {tileBase.data(), offsets.data(), slotRow.data(), slotWeight.data(),
            slotOf.data()};
  }
};

Grouped group(const std::vector<int64_t> &ids, const std::vector<float> &w,
              int64_t batch, int64_t topK, int64_t first, int64_t experts) {
  const int64_t slots = batch * topK;
  Grouped g;
  g.tileBase.assign(size_t(moe::groupTiles(slots) * experts), -7);
  g.offsets.assign(size_t(experts + 1), -7);
  g.slotRow.assign(size_t(slots), -7);
  g.slotWeight.assign(size_t(slots), -7.0f);
  g.slotOf.assign(size_t(slots), -7);
  moe::groupRoutedRowsOnHost(ids.data(), w.data(), batch, topK, first, experts,
                             g.view());
  return g;
}

/// (a): each local slot once under its expert, in slot order; the rest -1.
void checkGrouping(const Grouped &g, const std::vector<int64_t> &ids,
                   const std::vector<float> &w, int64_t batch, int64_t topK,
                   int64_t first, int64_t experts) {
  const int64_t slots = batch * topK;
  ASSERT_EQ(g.offsets[0], 0);
  for (int64_t e = 0; e < experts; ++e)
    ASSERT_LE(g.offsets[e], g.offsets[e + 1]);
  const int32_t used = g.offsets[experts];
  std::vector<int> seen(size_t(used), 0);
  std::vector<int32_t> last(size_t(experts), -1);
  int32_t local = 0;
  for (int64_t s = 0; s < slots; ++s) {
    const int64_t id = ids[s];
    const bool mine = id >= first && id < first + experts;
    const int32_t pos = g.slotOf[s];
    if (!mine) {
      ASSERT_EQ(pos, -1) << "slot " << s;
      continue;
    }
    ++local;
    const int64_t e = id - first;
    ASSERT_GE(pos, g.offsets[e]) << "slot " << s;
    ASSERT_LT(pos, g.offsets[e + 1]) << "slot " << s;
    ASSERT_GT(pos, last[e]) << "slot " << s << ": not in slot order";
    last[e] = pos;
    ASSERT_EQ(g.slotRow[pos], s / topK);
    ASSERT_EQ(g.slotWeight[pos], w[s]);
    ++seen[pos];
  }
  ASSERT_EQ(local, used);
  for (int32_t p = 0; p < used; ++p)
    ASSERT_EQ(seen[p], 1) << "position " << p;
}

struct Experts {
  int64_t hidden, width, experts;
  std::vector<std::vector<float>> gate, up, down;
};

Experts makeExperts(int64_t experts, int64_t hidden, int64_t width,
                    uint32_t seed) {
  Experts x{hidden, width, experts, {}, {}, {}};
  for (int64_t e = 0; e < experts; ++e) {
    x.gate.push_back(randomVector(size_t(width * hidden), seed + 3 * e));
    x.up.push_back(randomVector(size_t(width * hidden), seed + 3 * e + 1));
    x.down.push_back(randomVector(size_t(hidden * width), seed + 3 * e + 2));
  }
  return x;
}

/// (b): the experts over the grouped rows (one call per expert on its
/// rows, as the grouped kernels do), combined per row in slot order.
std::vector<float> routed(const Grouped &g, const Experts &ex,
                          const std::vector<float> &x, int64_t batch,
                          int64_t topK) {
  const int64_t h = ex.hidden;
  std::vector<float> y(size_t(g.offsets[ex.experts] * h));
  for (int64_t e = 0; e < ex.experts; ++e) {
    const int32_t begin = g.offsets[e], n = g.offsets[e + 1] - begin;
    if (n == 0)
      continue;
    std::vector<float> rows(size_t(n * h));
    for (int32_t p = 0; p < n; ++p)
      std::copy_n(x.begin() + g.slotRow[begin + p] * h, h,
                  rows.begin() + p * h);
    k::swiglu(rows.data(), ex.gate[e].data(), ex.up[e].data(),
              ex.down[e].data(), n, h, ex.width, y.data() + begin * h);
  }
  std::vector<float> out(size_t(batch * h));
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t i = 0; i < h; ++i)
      out[b * h + i] = moe::combineRow(g.slotOf.data(), g.slotWeight.data(),
                                       y.data(), h, topK, b, i);
  return out;
}

/// The dense path: every expert on every row, scaled by the row's summed
/// weight for it (0 when routed elsewhere), added in expert order.
std::vector<double> dense(const Experts &ex, const std::vector<float> &x,
                          const std::vector<int64_t> &ids,
                          const std::vector<float> &w, int64_t batch,
                          int64_t topK, int64_t first) {
  const int64_t h = ex.hidden;
  std::vector<double> out(size_t(batch * h), 0.0);
  std::vector<float> y(size_t(batch * h));
  for (int64_t e = 0; e < ex.experts; ++e) {
    k::swiglu(x.data(), ex.gate[e].data(), ex.up[e].data(), ex.down[e].data(),
              batch, h, ex.width, y.data());
    for (int64_t b = 0; b < batch; ++b) {
      double rw = 0.0;
      for (int64_t j = 0; j < topK; ++j)
        if (ids[b * topK + j] == first + e)
          rw += w[b * topK + j];
      for (int64_t i = 0; i < h; ++i)
        out[b * h + i] += rw * y[b * h + i];
    }
  }
  return out;
}

struct Case {
  int64_t batch, topK, first, local;
};

/// ids uniform over [0, 32) with repeats within a row allowed, plus one
/// id per 16 slots far outside (another rank's expert).
void runCase(const Case &c, uint32_t seed) {
  SCOPED_TRACE("batch " + std::to_string(c.batch) + " topK " +
               std::to_string(c.topK) + " local [" + std::to_string(c.first) +
               ", +" + std::to_string(c.local) + ") seed " +
               std::to_string(seed));
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int64_t> pick(0, 31);
  const int64_t slots = c.batch * c.topK;
  std::vector<int64_t> ids(static_cast<size_t>(slots));
  for (int64_t s = 0; s < slots; ++s)
    ids[s] = s % 16 == 5 ? 1000 + s : pick(gen);
  std::vector<float> w = randomVector(size_t(slots), seed + 1, 0.0f, 1.0f);
  Grouped g = group(ids, w, c.batch, c.topK, c.first, c.local);
  checkGrouping(g, ids, w, c.batch, c.topK, c.first, c.local);
  if (::testing::Test::HasFatalFailure())
    return;
  const int64_t hidden = 16, width = 8;
  Experts ex = makeExperts(c.local, hidden, width, seed + 2);
  std::vector<float> x = randomVector(size_t(c.batch * hidden), seed + 3);
  std::vector<float> got = routed(g, ex, x, c.batch, c.topK);
  expectClose(dense(ex, x, ids, w, c.batch, c.topK, c.first), got.data(),
              1e-5);
}

TEST(MoeGrouping, EdgesOfTilesAndBatches) {
  // Slot counts around the 256-slot tile: 1, 255, 256, 257, 512, 24000.
  for (Case c : {Case{1, 1, 0, 32}, Case{255, 1, 0, 32}, Case{32, 8, 0, 32},
                 Case{257, 1, 8, 16}, Case{64, 8, 8, 16}, Case{3000, 8, 0, 32}})
    runCase(c, 11);
}

TEST(MoeGrouping, NoLocalExpertHit) {
  // Local experts [40, 48) and [1000000, +4): no id lands there.
  runCase({100, 6, 40, 8}, 5);
  runCase({3, 2, 1000000, 4}, 6);
}

TEST(MoeGrouping, RandomBatchesAndRanges) {
  std::mt19937 gen(2026);
  std::uniform_int_distribution<int64_t> batch(1, 3000), topK(1, 8),
      first(0, 40), local(1, 32);
  for (int i = 0; i < 24; ++i) {
    Case c{batch(gen), topK(gen), first(gen), local(gen)};
    runCase(c, 100 + i);
    if (::testing::Test::HasFatalFailure())
      return;
  }
}

TEST(MoeGrouping, OneExpertTakesEverySlot) {
  // Every choice of every row is expert 3 (repeated ids): one run of all
  // slots, in slot order.
  const int64_t batch = 300, topK = 4;
  std::vector<int64_t> ids(size_t(batch * topK), 3);
  std::vector<float> w = randomVector(ids.size(), 9, 0.0f, 1.0f);
  Grouped g = group(ids, w, batch, topK, 0, 8);
  checkGrouping(g, ids, w, batch, topK, 0, 8);
  EXPECT_EQ(g.offsets[3], 0);
  EXPECT_EQ(g.offsets[4], batch * topK);
  EXPECT_EQ(g.offsets[8], batch * topK);
}

} // namespace
