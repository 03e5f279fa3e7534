//===- CpuDevice.cpp - memory, glue and projections on the host -----------===//
//
// Each op resolves weight ids against the rank context, checks shapes and
// runs a CPU kernel. The cache and attention are in CpuAttention.cpp.
//
//===----------------------------------------------------------------------===//
#include "CpuDevice.h"
#include "RankContext.h"
#include "StridedCopy.h"
#include "helix_rt/abi.h"
#include "helix_rt/kernels.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace helix_rt {

namespace k = kernels;

k::Weights CpuDevice::weightData(RankContext &c, int64_t id, int64_t rows,
                                 int64_t cols) {
  const LocalWeight &w = c.weight(id);
  const std::string &name = c.manifest().weights.at(id).name;
  if (!w.owned) {
    c.fail("internal error: weight '" + name + "' is not loaded on rank " +
           std::to_string(c.rank()));
    return {};
  }
  bool ok = (rows < 0 || w.shape[0] == rows) &&
            (cols < 0 || (w.shape.size() > 1 ? w.shape[1] : 1) == cols);
  if (!ok) {
    c.fail("internal error: weight '" + name +
           "' has a local shape that does not match the compiled step");
    return {};
  }
  return w.values;
}

const float *CpuDevice::vectorData(RankContext &c, int64_t id, int64_t size) {
  k::Weights w = weightData(c, id, size, -1);
  if (w.data && !w.isF32()) {
    c.fail("internal error: weight '" + c.manifest().weights.at(id).name +
           "' is not fp32");
    return nullptr;
  }
  return w.data ? w.f32() : nullptr;
}

void *CpuDevice::alloc(int64_t bytes) {
  // 64-byte aligned (vector loads), whole lines: aligned_alloc's rule.
  size_t size = static_cast<size_t>((std::max<int64_t>(bytes, 1) + 63) / 64 * 64);
  return size >= ReusedBlocks::kMinBytes ? reused.take(size)
                                         : std::aligned_alloc(64, size);
}

void CpuDevice::free(void *p) {
  if (!reused.give(p))
    std::free(p);
}

void CpuDevice::copy(RankContext &, const StridedView &src,
                     const StridedView &dst) {
  copyStrided(src, dst);
}

void CpuDevice::toDevice(RankContext &, void *dst, const void *src,
                         int64_t bytes) {
  std::memcpy(dst, src, static_cast<size_t>(bytes));
}

bool CpuDevice::toHost(RankContext &, void *dst, const void *src,
                       int64_t bytes) {
  std::memcpy(dst, src, static_cast<size_t>(bytes));
  return true;
}

void CpuDevice::add(RankContext &, const F32x2 &a, const F32x2 &b,
                    const F32x2 &out) {
  k::add(a.data(), b.data(), out.count(), out.data());
}

void CpuDevice::rmsNorm(RankContext &c, int64_t weight, float eps,
                        const F32x2 &in, const F32x2 &out) {
  if (const float *w = vectorData(c, weight, in.size(1)))
    k::rmsNorm(in.data(), w, in.size(0), in.size(1), eps, out.data());
}

void CpuDevice::lseMerge(RankContext &, const F32x4 &in, const F32x2 &out) {
  k::lseMerge(in.data(), in.size(0), in.size(1), in.size(2), in.size(3) - 1,
              out.data());
}

void CpuDevice::sumShards(RankContext &, const F32x3 &in, const F32x2 &out) {
  k::sumShards(in.data(), in.size(0), in.size(1), in.size(2), out.data());
}

void CpuDevice::argmax(RankContext &, const F32x2 &in, const I64x1 &out) {
  k::argmax(in.data(), in.size(0), in.size(1), out.data());
}

void CpuDevice::kvOwner(RankContext &, int64_t block, int64_t shards,
                        const I64x1 &positions, const I64x1 &owner) {
  for (int64_t s = 0; s < positions.size(0); ++s)
    owner.data()[s] = abi::kvOwner(positions.data()[s], block, shards);
}

void CpuDevice::embed(RankContext &c, int64_t weight, const I64x1 &tokens,
                      const F32x2 &out) {
  int64_t vocab = c.manifest().model.vocabSize;
  k::Weights table = weightData(c, weight, vocab, out.size(1));
  if (!table.data)
    return;
  for (int64_t b = 0; b < tokens.size(0); ++b)
    if (tokens.data()[b] < 0 || tokens.data()[b] >= vocab)
      return c.fail("token id " + std::to_string(tokens.data()[b]) +
                    " is outside the vocabulary of " + std::to_string(vocab));
  k::embed(table, out.size(1), tokens.data(), tokens.size(0), out.data());
}

void CpuDevice::linear(RankContext &c, int64_t weight, const F32x2 &in,
                       const F32x2 &out) {
  k::Weights w = weightData(c, weight, out.size(1), in.size(1));
  if (w.data)
    k::linear(in.data(), w, in.size(0), in.size(1), out.size(1), out.data());
}

/// Only the wanted rows through the LM head: in a prefill chunk that is a
/// sequence's last prompt row, so the head's share of prefill (a quarter of
/// the anchor model's weights) is paid once per sequence, not per row.
void CpuDevice::logits(RankContext &c, int64_t weight, const F32x2 &in,
                       const F32x2 &out, int64_t rowOffset) {
  int64_t rows = in.size(0), k = in.size(1), n = out.size(1);
  std::vector<int64_t> wanted;
  for (int64_t r = 0; r < rows; ++r)
    if (c.wantsLogits(rowOffset + r))
      wanted.push_back(r);
  if (static_cast<int64_t>(wanted.size()) == rows)
    return linear(c, weight, in, out);
  std::fill(out.data(), out.data() + rows * n, 0.0f);
  if (wanted.empty())
    return;
  int64_t m = static_cast<int64_t>(wanted.size());
  std::vector<float> x(static_cast<size_t>(m * k)), y(static_cast<size_t>(m * n));
  for (int64_t i = 0; i < m; ++i)
    std::copy_n(in.data() + wanted[i] * k, k, x.data() + i * k);
  F32x2 xView{x.data(), x.data(), 0, {m, k}, {k, 1}};
  F32x2 yView{y.data(), y.data(), 0, {m, n}, {n, 1}};
  linear(c, weight, xView, yView);
  for (int64_t i = 0; i < m; ++i)
    std::copy_n(y.data() + i * n, n, out.data() + wanted[i] * n);
}

void CpuDevice::rope(RankContext &c, int64_t rope, int64_t heads,
                     int64_t headDim, int64_t rotaryDim, const F32x2 &in,
                     const I64x1 &positions, const F32x2 &out) {
  k::rope(in.data(), positions.data(), in.size(0), heads, headDim, rotaryDim,
          c.manifest().ropes.at(rope), out.data());
}

void CpuDevice::mlaValueProjection(RankContext &c, int64_t kvb, int64_t nope,
                                   int64_t vDim, const F32x2 &in,
                                   const F32x2 &out) {
  int64_t heads = out.size(1) / vDim, rank = in.size(1) / heads;
  k::Weights kvB = weightData(c, kvb, heads * (nope + vDim), rank);
  if (kvB.data)
    k::mlaValueProjection(in.data(), kvB, in.size(0), heads, nope, vDim, rank,
                          out.data());
}

namespace {

/// The LSE merge of `in` into scratch, handed to `gemm` as a matrix.
template <typename Gemm>
void mergeThen(RankContext &c, const F32x4 &in, Gemm gemm) {
  int64_t batch = in.size(1), heads = in.size(2), width = in.size(3) - 1;
  std::vector<float> merged(static_cast<size_t>(batch * heads * width));
  k::lseMerge(in.data(), in.size(0), batch, heads, width, merged.data());
  F32x2 view{merged.data(),
             merged.data(),
             0,
             {batch, heads * width},
             {heads * width, 1}};
  gemm(view);
}

} // namespace

void CpuDevice::mergeLinear(RankContext &c, int64_t weight, const F32x4 &in,
                            const F32x2 &out) {
  mergeThen(c, in,
            [&](const F32x2 &merged) { linear(c, weight, merged, out); });
}

void CpuDevice::mergeValueProjection(RankContext &c, int64_t kvb, int64_t nope,
                                     int64_t vDim, const F32x4 &in,
                                     const F32x2 &out) {
  mergeThen(c, in, [&](const F32x2 &merged) {
    mlaValueProjection(c, kvb, nope, vDim, merged, out);
  });
}

void CpuDevice::swiglu(RankContext &c, int64_t gate, int64_t up, int64_t down,
                       const F32x2 &in, const F32x2 &out) {
  int64_t hidden = in.size(1);
  int64_t width = c.weight(gate).shape.empty() ? 0 : c.weight(gate).shape[0];
  k::Weights g = weightData(c, gate, width, hidden);
  k::Weights u = weightData(c, up, width, hidden);
  k::Weights d = weightData(c, down, hidden, width);
  if (g.data && u.data && d.data)
    k::swiglu(in.data(), g, u, d, in.size(0), hidden, width, out.data());
}

void CpuDevice::moeRoute(RankContext &c, int64_t gate, int64_t bias,
                         int64_t topK, int64_t groups, int64_t topkGroup,
                         bool norm, float scaling, const F32x2 &in,
                         const I64x2 &ids, const F32x2 &weights) {
  int64_t experts = c.manifest().weights.at(gate).shape[0];
  k::Weights g = weightData(c, gate, experts, in.size(1));
  const float *b = vectorData(c, bias, experts);
  if (g.data && b)
    k::moeRoute(in.data(), g, b, in.size(0), in.size(1), experts, topK, groups,
                topkGroup, norm, scaling, ids.data(), weights.data());
}

void CpuDevice::moeExperts(RankContext &c, int64_t moe, const F32x2 &in,
                           const I64x2 &ids, const F32x2 &weights,
                           const F32x2 &out) {
  const MoeSpec &spec = c.manifest().moes.at(moe);
  int64_t hidden = in.size(1), batch = in.size(0);
  std::vector<k::Weights> gate, up, down;
  int64_t first = -1, width = 0;
  for (int64_t e = 0; e < spec.numExperts; ++e) {
    const std::vector<int64_t> &w = spec.experts[e];
    if (!c.weight(w[0]).owned)
      continue;
    if (first < 0)
      first = e;
    // EP groups own contiguous expert ranges; the kernel relies on it.
    if (e != first + static_cast<int64_t>(gate.size()))
      return c.fail("internal error: rank " + std::to_string(c.rank()) +
                    " owns a non-contiguous set of experts");
    width = c.weight(w[0]).shape[0];
    gate.push_back(c.weight(w[0]).values);
    up.push_back(c.weight(w[1]).values);
    down.push_back(c.weight(w[2]).values);
  }
  k::moeExperts(in.data(), ids.data(), weights.data(), batch, hidden,
                ids.size(1), first < 0 ? 0 : first,
                static_cast<int64_t>(gate.size()), width, gate.data(),
                up.data(), down.data(), out.data());
  if (!spec.shared)
    return;
  const std::vector<int64_t> &s = *spec.shared;
  int64_t sharedWidth =
      c.weight(s[0]).shape.empty() ? 0 : c.weight(s[0]).shape[0];
  k::Weights g = weightData(c, s[0], sharedWidth, hidden);
  k::Weights u = weightData(c, s[1], sharedWidth, hidden);
  k::Weights d = weightData(c, s[2], hidden, sharedWidth);
  if (!g.data || !u.data || !d.data)
    return;
  std::vector<float> shared(static_cast<size_t>(batch * hidden));
  k::swiglu(in.data(), g, u, d, batch, hidden, sharedWidth, shared.data());
  k::add(out.data(), shared.data(), batch * hidden, out.data());
}

} // namespace helix_rt
