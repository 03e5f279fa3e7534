//===- LayerCost.cpp - Per-GPU work of one decode layer, phase by phase ---===//
#include "helix/Planner/LayerCost.h"

#include <algorithm>
#include <cmath>

namespace helix::planner {

namespace {

/// How each piece of a layer is divided among the GPUs of one stage.
struct Splits {
  int64_t heads = 1;     // query heads per attention rank = Q / heads
  int64_t kvHeadsLocal = 1;
  int64_t kvp = 1;       // KV sequence split
  int64_t out = 1;       // W_O split (and its all-reduce group)
  int64_t ffnDense = 1;  // dense FFN TP
  int64_t tpf = 1;       // TP inside an expert group
  int64_t ep = 1;        // expert groups
  int64_t shared = 1;    // shared-expert TP
  bool splitsKv = false; // partial attention + merge across kvp ranks
};

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

Splits splitsOf(const ModelShape &m, const Layout &l) {
  Splits s;
  int64_t group = stageGpus(l);
  s.heads = l.tpa;
  s.kvHeadsLocal = ceilDiv(m.kvHeads, l.tpa); // 1 once tpa > K: duplicated
  s.kvp = l.kvp;
  switch (l.strategy) {
  case Strategy::Helix:
    s.out = group;
    s.ffnDense = group;
    s.tpf = l.tpf;
    s.ep = l.ep;
    s.shared = group;
    s.splitsKv = true;
    break;
  case Strategy::TensorParallel:
  case Strategy::Pipeline:
    s.out = s.ffnDense = s.tpf = s.shared = l.tpa;
    break;
  case Strategy::DataParallelAttention:
    s.out = l.tpa;
    s.ffnDense = group;
    s.tpf = l.tpf;
    s.ep = l.ep;
    s.shared = group;
    break;
  case Strategy::Medha:
    s.out = s.ffnDense = s.tpf = s.shared = l.tpa;
    s.splitsKv = true;
    break;
  }
  return s;
}

/// W_UV sits before the merge (replicated over kvp) unless the merge runs in
/// latent space or there is no merge at all.
bool valueUpBeforeMerge(const ModelShape &m, const Layout &l,
                        const Splits &s) {
  return m.mla && s.splitsKv && !l.latentMerge;
}

double attentionWeights(const ModelShape &m, const Layout &l,
                        const Splits &s) {
  double w = m.sharedInputProjection() + m.queryProjection() / s.heads +
             m.kvProjection() * double(s.kvHeadsLocal) / double(m.kvHeads);
  if (valueUpBeforeMerge(m, l, s))
    w += m.valueUpProjection() / s.heads;
  return w;
}

double outputWeights(const ModelShape &m, const Layout &l, const Splits &s) {
  double w = m.outputProjection() / s.out;
  if (!valueUpBeforeMerge(m, l, s))
    w += m.valueUpProjection() / s.out;
  return w;
}

/// Experts the busiest expert group reads for `tokens` tokens: balanced
/// routing spreads the distinct experts evenly, rounded up to whole experts.
double busiestGroupExperts(const ModelShape &m, const Splits &s,
                           double tokens) {
  double perGroup = m.distinctExperts(tokens) / double(s.ep);
  double whole = std::ceil(perGroup - 1e-9);
  return std::min(whole, double(m.experts / s.ep));
}

Collective collective(CollectiveKind kind, int64_t ranks, int64_t span,
                      double bytes) {
  if (ranks <= 1)
    return {};
  return {kind, ranks, span, bytes};
}

} // namespace

int64_t stageGpus(const Layout &l) { return l.kvp * l.tpa * l.dp; }

std::vector<Phase> layerPhases(const CostContext &ctx, const Layout &l,
                               bool moeLayer, double requests,
                               double ffnTokens) {
  const ModelShape &m = ctx.model;
  Splits s = splitsOf(m, l);
  double wb = storageBytes(ctx.dtype);
  int64_t group = stageGpus(l);
  double headsLocal = double(m.queryHeads) / s.heads;
  double tokensLocal = double(ceilDiv(ctx.context, s.kvp));
  std::vector<Phase> phases;

  // 1. Norm, input projections, RoPE + KV append, local (partial) attention.
  Phase attn;
  attn.name = "attention";
  attn.kernels = m.mla ? 5 : 3;
  double attnW = attentionWeights(m, l, s);
  attn.weightBytes = attnW * wb;
  attn.gemmFlops = 2.0 * requests * attnW;
  attn.kvBytes = requests * tokensLocal *
                 m.kvElementsPerToken(s.kvHeadsLocal) * wb;
  attn.attentionFlops =
      requests * headsLocal * tokensLocal * m.attentionFlopsPerToken();
  if (s.splitsKv) {
    // Partial outputs (activations) and their LSE (fp32) of the local heads.
    double perRank = requests * headsLocal *
                     (m.mergeWidth(l.latentMerge) * activationBytes(ctx.dtype) +
                      4.0);
    if (l.strategy == Strategy::Helix) // scatter heads over the kvp peers
      attn.comm = collective(CollectiveKind::AllToAll, s.kvp, group, perRank);
    else // Medha: every kvp rank gathers all partials and merges
      attn.comm = collective(CollectiveKind::AllGather, s.kvp, group,
                             perRank * s.kvp);
  }
  phases.push_back(attn);

  // 2. LSE merge (fused) + output projection, all-reduce of [B, H].
  Phase out;
  out.name = "output";
  out.kernels = 1;
  double outW = outputWeights(m, l, s);
  out.weightBytes = outW * wb;
  out.gemmFlops = 2.0 * requests * outW;
  out.comm = collective(CollectiveKind::AllReduce, s.out, s.out,
                        requests * m.hidden * activationBytes(ctx.dtype));
  phases.push_back(out);

  if (l.strategy == Strategy::DataParallelAttention) {
    // Tokens of all attention groups meet the FFN ranks.
    Phase dispatch;
    dispatch.name = "dispatch";
    dispatch.comm = collective(CollectiveKind::AllGather, group, group,
                               ffnTokens * m.hidden * activationBytes(ctx.dtype));
    phases.push_back(dispatch);
  }

  // 3. Norm + FFN (dense SwiGLU or routed + shared experts).
  Phase ffn;
  ffn.name = "ffn";
  double combineBytes = ffnTokens * m.hidden * activationBytes(ctx.dtype);
  if (!moeLayer) {
    ffn.kernels = 2;
    double w = m.denseFfnWeights() / s.ffnDense;
    ffn.weightBytes = w * wb;
    ffn.gemmFlops = 2.0 * ffnTokens * w;
  } else {
    ffn.kernels = 4;
    double read = busiestGroupExperts(m, s, ffnTokens) * m.expertWeights() /
                      s.tpf +
                  m.sharedExpertWeights() / s.shared +
                  m.routerWeights();
    ffn.weightBytes = read * wb;
    double active = m.expertsPerToken * m.expertWeights() / (s.tpf * s.ep) +
                    m.sharedExpertWeights() / s.shared +
                    m.routerWeights();
    ffn.gemmFlops = 2.0 * ffnTokens * active;
  }
  if (l.strategy == Strategy::DataParallelAttention) {
    ffn.comm = collective(CollectiveKind::ReduceScatter, group, group,
                          combineBytes);
    phases.push_back(ffn);
    return phases;
  }
  if (l.strategy == Strategy::Helix && moeLayer) {
    // All-reduce inside the expert group, then all-gather across groups.
    ffn.comm = collective(CollectiveKind::AllReduce, s.tpf, s.tpf,
                          combineBytes);
    phases.push_back(ffn);
    Phase gather;
    gather.name = "gather";
    gather.comm = collective(CollectiveKind::AllGather, s.ep, group,
                             combineBytes * s.ep);
    phases.push_back(gather);
    return phases;
  }
  ffn.comm = collective(CollectiveKind::AllReduce, s.ffnDense, s.ffnDense,
                        combineBytes);
  phases.push_back(ffn);
  return phases;
}

/// The LM head is vocabulary-parallel over the FFN's TP group.
static int64_t lmHeadRanks(const Layout &l) {
  bool tpGroup = l.strategy == Strategy::Medha ||
                 l.strategy == Strategy::TensorParallel ||
                 l.strategy == Strategy::Pipeline;
  return tpGroup ? l.tpa : stageGpus(l);
}

Phase lmHeadPhase(const CostContext &ctx, const Layout &l, double tokens) {
  const ModelShape &m = ctx.model;
  int64_t ranks = lmHeadRanks(l);
  Phase head;
  head.name = "lm_head";
  head.kernels = 2;
  double w = m.embeddingWeights() / ranks;
  head.weightBytes = w * storageBytes(ctx.dtype);
  head.gemmFlops = 2.0 * tokens * w;
  // Each vocabulary shard's best (value, id) pair.
  head.comm = collective(CollectiveKind::AllGather, ranks, ranks,
                         tokens * 8.0 * ranks);
  return head;
}

double computeSeconds(const Phase &p, const Hardware &hw, Dtype dtype) {
  double memory = (p.weightBytes + p.kvBytes) / hw.hbmBandwidth;
  double math = p.gemmFlops / hw.gemmFlops(dtype) +
                p.attentionFlops / hw.attentionFlops(dtype);
  // Overlap 1 is the roofline (a GPU hides one behind the other); a CPU
  // core that streams and multiplies in one loop hides only part of it.
  double hidden = hw.memoryComputeOverlap * std::min(memory, math);
  return p.kernels * hw.kernelOverhead + memory + math - hidden;
}

double collectiveSeconds(const Collective &c, const Hardware &hw) {
  if (c.kind == CollectiveKind::None || c.ranks <= 1)
    return 0;
  double n = double(c.ranks);
  double latency =
      hw.collectiveBase + hw.collectivePerDoubling * (std::log2(n) - 1.0);
  double bandwidth = hw.linkBandwidth;
  if (c.span > hw.domainSize) {
    latency += hw.scaleOutLatency;
    bandwidth = hw.scaleOutBandwidth;
  }
  double wire = 0; // bytes each rank sends (ring / pairwise algorithms)
  switch (c.kind) {
  case CollectiveKind::AllReduce:
    wire = 2.0 * (n - 1.0) / n * c.bytes;
    break;
  case CollectiveKind::AllGather:
  case CollectiveKind::ReduceScatter:
  case CollectiveKind::AllToAll:
    wire = (n - 1.0) / n * c.bytes;
    break;
  case CollectiveKind::None:
    break;
  }
  return latency + wire / bandwidth;
}

MemoryUse memoryPerGpu(const CostContext &ctx, const Layout &l,
                       int64_t batch) {
  const ModelShape &m = ctx.model;
  Splits s = splitsOf(m, l);
  double wb = storageBytes(ctx.dtype);
  double stageLayers = double(ceilDiv(m.layers, l.pp));
  double moeShare = m.layers ? double(m.moeLayers) / m.layers : 0;
  double moeLayers = std::ceil(stageLayers * moeShare);
  double denseLayers = stageLayers - moeLayers;

  double attn = attentionWeights(m, l, s) + outputWeights(m, l, s);
  double dense = m.denseFfnWeights() / s.ffnDense;
  double moe = double(m.experts / s.ep) * m.expertWeights() / s.tpf +
               m.sharedExpertWeights() / s.shared +
               m.routerWeights();
  double embed = m.embeddingWeights() / lmHeadRanks(l) *
                 (m.tiedEmbeddings || l.pp > 1 ? 1.0 : 2.0);
  MemoryUse use;
  use.weights = (stageLayers * attn + denseLayers * dense + moeLayers * moe +
                 embed) *
                wb;

  double requestsHeld = l.strategy == Strategy::DataParallelAttention
                            ? double(batch) / l.dp
                            : double(batch);
  use.kv = requestsHeld * stageLayers * double(ceilDiv(ctx.context, s.kvp)) *
           m.kvElementsPerToken(s.kvHeadsLocal) * wb;
  // CUDA-graph pools and grouped-GEMM scratch, plus per-request activations:
  // fp32 partial outputs and a few [B, H] buffers (exchange buffers are
  // static for graph capture).
  double headsLocal = double(m.queryHeads) / s.heads;
  use.workspace = 512.0 * (1 << 20) +
                  batch * (headsLocal * m.mergeWidth(true) * 4.0 +
                           8.0 * m.hidden * activationBytes(ctx.dtype));
  return use;
}

} // namespace helix::planner
