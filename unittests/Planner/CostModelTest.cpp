//===- CostModelTest.cpp - Phases, collectives, memory, layout rules ------===//
#include "helix/Planner/Evaluate.h"

#include <gtest/gtest.h>

using namespace helix;
using namespace helix::planner;

namespace {

ModelShape load(const char *name) {
  std::string error;
  std::optional<ModelConfig> config =
      loadModelConfig(std::string(HELIX_TEST_CONFIGS) + "/" + name, error);
  EXPECT_TRUE(config) << error;
  return shapeOf(*config);
}

const Hardware &gb200() {
  static Hardware hw = *hardwarePreset("gb200-nvl72");
  return hw;
}

Layout helix(int64_t kvp, int64_t tpa, int64_t tpf, int64_t ep, bool mla) {
  return Layout{Strategy::Helix, kvp, tpa, 1, tpf, ep, 1, 1, mla};
}

Layout tp(int64_t n) {
  return Layout{Strategy::TensorParallel, 1, n, 1, n, 1, 1, 1, false};
}

TEST(Compute, OverlapBlendsRooflineAndSum) {
  Hardware hw = gb200();
  hw.kernelOverhead = 0;
  Phase p;
  p.weightBytes = 8e9;             // 1 ms at 8 TB/s
  p.gemmFlops = 0.5e-3 * 2.5e15;   // 0.5 ms at the bf16 peak
  EXPECT_NEAR(computeSeconds(p, hw, Dtype::BF16), 1e-3, 1e-12);
  hw.memoryComputeOverlap = 0; // one CPU core streams, then multiplies
  EXPECT_NEAR(computeSeconds(p, hw, Dtype::BF16), 1.5e-3, 1e-12);
  hw.memoryComputeOverlap = 0.5;
  EXPECT_NEAR(computeSeconds(p, hw, Dtype::BF16), 1.25e-3, 1e-12);
}

TEST(Collective, LatencyGrowsPerDoubling) {
  const Hardware &hw = gb200();
  EXPECT_NEAR(collectiveSeconds({CollectiveKind::AllReduce, 2, 2, 0}, hw),
              2.5e-6, 1e-12);
  EXPECT_NEAR(collectiveSeconds({CollectiveKind::AllReduce, 64, 64, 0}, hw),
              5.0e-6, 1e-12);
  EXPECT_EQ(collectiveSeconds({CollectiveKind::AllReduce, 1, 1, 1e9}, hw), 0);
  EXPECT_EQ(collectiveSeconds({}, hw), 0);
}

TEST(Collective, BandwidthTermPerAlgorithm) {
  const Hardware &hw = gb200();
  double link = 900e9 * 370.0 / 450.0;
  // All-to-all of 8 MB per rank over 8 ranks: 7/8 of it leaves the rank.
  EXPECT_NEAR(collectiveSeconds({CollectiveKind::AllToAll, 8, 8, 8e6}, hw),
              3.5e-6 + 7e6 / link, 1e-12);
  // Ring all-reduce sends 2 (n-1)/n of the buffer.
  EXPECT_NEAR(collectiveSeconds({CollectiveKind::AllReduce, 4, 4, 4e6}, hw),
              3.0e-6 + 6e6 / link, 1e-12);
}

TEST(Collective, SpanningDomainsUsesScaleOut) {
  Hardware hw = *hardwarePreset("h100-sxm-8");
  double inside = collectiveSeconds({CollectiveKind::AllReduce, 8, 8, 1e6}, hw);
  double across =
      collectiveSeconds({CollectiveKind::AllReduce, 16, 16, 1e6}, hw);
  EXPECT_NEAR(across, 4e-6 + 8e-6 + 2 * 15.0 / 16 * 1e6 / 50e9, 1e-12);
  EXPECT_GT(across, 3 * inside);
}

TEST(Compute, RooflineTakesTheSlowerOfBytesAndFlops) {
  const Hardware &hw = gb200();
  Phase memoryBound;
  memoryBound.kernels = 2;
  memoryBound.weightBytes = 8e6; // 1 us at 8 TB/s
  memoryBound.gemmFlops = 1e9;   // 0.1 us at 10 PFLOP/s (FP4)
  EXPECT_NEAR(computeSeconds(memoryBound, hw, Dtype::FP4), 3e-6, 1e-12);
  Phase computeBound;
  computeBound.kvBytes = 8e5;           // 0.1 us
  computeBound.attentionFlops = 5e9;    // 1 us at the FP8 rate
  EXPECT_NEAR(computeSeconds(computeBound, hw, Dtype::FP4), 1e-6, 1e-12);
  EXPECT_NEAR(computeSeconds(computeBound, hw, Dtype::BF16), 2e-6, 1e-12);
}

TEST(LayerCost, TensorParallelDuplicatesKvBeyondKvHeads) {
  ModelShape llama = load("llama-3.1-405b.json");
  CostContext ctx{llama, gb200(), Dtype::FP4, 1 << 20};
  // One KV head (K and V, 128 dims) of 1M tokens at 4.5 bits.
  double oneHead = double(1 << 20) * 2 * 128 * 0.5625;
  EXPECT_DOUBLE_EQ(layerPhases(ctx, tp(8), false, 1, 1)[0].kvBytes, oneHead);
  EXPECT_DOUBLE_EQ(layerPhases(ctx, tp(64), false, 1, 1)[0].kvBytes, oneHead);
  EXPECT_DOUBLE_EQ(layerPhases(ctx, tp(4), false, 1, 1)[0].kvBytes,
                   2 * oneHead);
  // Helix splits the sequence instead: kvp=8 reads an eighth.
  EXPECT_DOUBLE_EQ(
      layerPhases(ctx, helix(8, 8, 64, 1, false), false, 1, 1)[0].kvBytes,
      oneHead / 8);
}

TEST(LayerCost, MlaLatentIsSharedByAllHeads) {
  ModelShape r1 = load("deepseek-r1.json");
  EXPECT_TRUE(r1.mla);
  EXPECT_EQ(r1.kvHeads, 1);
  EXPECT_EQ(r1.moeLayers, 58);
  CostContext ctx{r1, gb200(), Dtype::FP8, 1 << 20};
  double latent = double(1 << 20) * (512 + 64);
  EXPECT_DOUBLE_EQ(layerPhases(ctx, tp(8), true, 1, 1)[0].kvBytes, latent);
  EXPECT_DOUBLE_EQ(layerPhases(ctx, tp(32), true, 1, 1)[0].kvBytes, latent);
  EXPECT_DOUBLE_EQ(
      layerPhases(ctx, helix(32, 1, 32, 1, true), true, 1, 1)[0].kvBytes,
      latent / 32);
  // 128 heads x (2*576 + 2*512) FLOPs per cached token.
  EXPECT_DOUBLE_EQ(layerPhases(ctx, tp(8), true, 1, 1)[0].attentionFlops,
                   double(1 << 20) * 16 * 2176);
}

TEST(LayerCost, MoeReadsTheRoutedExpertsOnly) {
  ModelShape r1 = load("deepseek-r1.json");
  EXPECT_NEAR(r1.distinctExperts(1), 8.0, 1e-9);
  EXPECT_NEAR(r1.distinctExperts(10000), 256.0, 1e-6);
  CostContext ctx{r1, gb200(), Dtype::FP8, 4096};
  double expert = 3.0 * 7168 * 2048;
  double router = 7168.0 * 256;
  // One token on ep=64: the busiest group holds one of its 8 experts.
  std::vector<Phase> ep64 =
      layerPhases(ctx, helix(64, 1, 1, 64, true), true, 1, 1);
  EXPECT_DOUBLE_EQ(ep64[2].weightBytes, expert + expert / 64 + router);
  // TP over 8: all 8 routed experts plus the shared one, an eighth each.
  std::vector<Phase> tp8 = layerPhases(ctx, tp(8), true, 1, 1);
  EXPECT_DOUBLE_EQ(tp8[2].weightBytes, 9 * expert / 8 + router);
}

TEST(LayerCost, HelixCollectivesFollowTheCompiler) {
  ModelShape r1 = load("deepseek-r1.json");
  CostContext ctx{r1, gb200(), Dtype::FP4, 1 << 20};
  std::vector<Phase> moe =
      layerPhases(ctx, helix(16, 1, 4, 4, true), true, 8, 8);
  ASSERT_EQ(moe.size(), 4u);
  EXPECT_EQ(moe[0].comm.kind, CollectiveKind::AllToAll);
  EXPECT_EQ(moe[0].comm.ranks, 16);
  EXPECT_EQ(moe[1].comm.kind, CollectiveKind::AllReduce);
  EXPECT_EQ(moe[1].comm.ranks, 16);
  EXPECT_EQ(moe[2].comm.kind, CollectiveKind::AllReduce);
  EXPECT_EQ(moe[2].comm.ranks, 4); // inside the expert group
  EXPECT_EQ(moe[3].comm.kind, CollectiveKind::AllGather);
  EXPECT_EQ(moe[3].comm.ranks, 4); // across the groups
  // Latent merge: each rank sends its 128 heads' latent partials + LSE.
  EXPECT_DOUBLE_EQ(moe[0].comm.bytes, 8.0 * 128 * (512 * 2 + 4));
  std::vector<Phase> dense =
      layerPhases(ctx, helix(16, 1, 4, 4, true), false, 8, 8);
  ASSERT_EQ(dense.size(), 3u);
  EXPECT_EQ(dense[2].comm.ranks, 16); // dense FFN: TP over all N
}

TEST(Memory, InfeasibleConfigurationsAreRejected) {
  ModelShape llama = load("llama-3.1-405b.json");
  Hardware h100 = *hardwarePreset("h100-sxm-8");
  CostContext bf16{llama, h100, Dtype::BF16, 8192};
  EXPECT_FALSE(evaluate(bf16, tp(1), 1).feasible); // 810 GB of weights
  EXPECT_FALSE(evaluate(bf16, tp(8), 1).feasible); // 101 GB > 72 GB usable
  Hardware h200 = *hardwarePreset("h200-sxm-8");
  CostContext roomier{llama, h200, Dtype::BF16, 8192};
  EXPECT_TRUE(evaluate(roomier, tp(8), 1).feasible); // 127 GB usable

  // Medha ties R1's FFN to tpa = 1: every GPU would hold all 671B weights.
  ModelShape r1 = load("deepseek-r1.json");
  CostContext fp4{r1, gb200(), Dtype::FP4, 1 << 20};
  Layout medha{Strategy::Medha, 64, 1, 1, 1, 1, 1, 1, true};
  EXPECT_EQ(layoutProblem(r1, medha), "");
  EXPECT_FALSE(evaluate(fp4, medha, 1).feasible);
  PlanPoint ok = evaluate(fp4, helix(64, 1, 1, 64, true), 1);
  EXPECT_TRUE(ok.feasible);
  EXPECT_LT(ok.memory.total(), gb200().usableHbmBytes());
  // The KV of 1M tokens, 61 layers, a 64th per GPU, at 4.5 bits.
  EXPECT_DOUBLE_EQ(ok.memory.kv, 61.0 * (1 << 14) * 576 * 0.5625);
}

TEST(Memory, KvGrowsWithTheBatchUntilItNoLongerFits) {
  ModelShape llama = load("llama-3.1-405b.json");
  CostContext ctx{llama, gb200(), Dtype::FP4, 1 << 20};
  Layout l = helix(8, 8, 64, 1, false);
  MemoryUse one = memoryPerGpu(ctx, l, 1);
  MemoryUse two = memoryPerGpu(ctx, l, 2);
  EXPECT_DOUBLE_EQ(two.kv, 2 * one.kv);
  EXPECT_DOUBLE_EQ(two.weights, one.weights);
  EXPECT_FALSE(evaluate(ctx, l, 100000).feasible);
}

TEST(LayoutRules, NameTheBrokenRule) {
  ModelShape r1 = load("deepseek-r1.json");
  ModelShape llama = load("llama-3.1-405b.json");
  EXPECT_EQ(layoutProblem(r1, helix(32, 2, 64, 1, true)),
            "tpa must be 1 for MLA (the latent cache is shared by all heads), got 2");
  EXPECT_EQ(layoutProblem(llama, helix(21, 3, 63, 1, false)),
            "tpa = 3 must divide the 8 KV heads");
  EXPECT_EQ(layoutProblem(r1, helix(64, 1, 32, 3, true)),
            "kvp*tpa = 64 must equal tpf*ep = 96");
  EXPECT_EQ(layoutProblem(llama, helix(8, 8, 32, 2, false)),
            "ep = 2 needs a model with experts (this model has none)");
  Layout hopbTp = tp(8);
  hopbTp.microbatches = 2;
  EXPECT_EQ(layoutProblem(llama, hopbTp),
            "micro-batches (HOP-B) are a Helix schedule");
  EXPECT_EQ(layoutProblem(llama, helix(8, 8, 64, 1, false)), "");
}

// The planner ranks only what the compiler runs: a Helix layout is checked
// by the compiler's rules (here the shared experts, which the planner's own
// rules never looked at).
TEST(LayoutRules, HelixValidityIsTheCompilers) {
  ModelShape r1 = load("deepseek-r1.json");
  r1.sharedFfn = 2048 + 32;
  EXPECT_EQ(layoutProblem(r1, helix(64, 1, 1, 64, true)),
            "shared-expert width 2080 must be divisible by N = 64 (shared "
            "experts are sharded over all N ranks)");
  Layout withDp = helix(8, 8, 64, 1, false);
  withDp.dp = 2;
  EXPECT_EQ(layoutProblem(load("llama-3.1-405b.json"), withDp),
            "a Helix layout has no data or pipeline parallelism");
}

TEST(Evaluate, HopbChangesOnlyTheSchedule) {
  ModelShape llama = load("llama-3.1-405b.json");
  CostContext ctx{llama, gb200(), Dtype::FP4, 1 << 20};
  Layout plain = helix(8, 8, 64, 1, false);
  Layout hopb = plain;
  hopb.microbatches = 2;
  PlanPoint a = evaluate(ctx, plain, 16), b = evaluate(ctx, hopb, 16);
  ASSERT_TRUE(a.feasible && b.feasible);
  EXPECT_DOUBLE_EQ(a.memory.total(), b.memory.total());
  EXPECT_NE(a.secondsPerToken, b.secondsPerToken);
  EXPECT_DOUBLE_EQ(a.tokensPerSecondPerGpu,
                   16 / (a.secondsPerToken * 64));
}

} // namespace
