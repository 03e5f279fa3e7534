//===- Mla.cpp - Absorbed multi-head latent attention ---------------------===//
//
// DeepSeek-V3 MLA in the absorbed form: W_UK is folded into the query
// (q_latent = W_UK,h^T q_nope), all heads attend the shared latent cache
// [c ; k_rope] with the query [q_latent ; q_rope], the output stays in
// latent space until the merge, and W_UV is applied afterwards.
//
//===----------------------------------------------------------------------===//
#include "KernelUtil.h"
#include "helix_rt/kernels.h"

#include <vector>

namespace helix_rt::kernels {

void mlaPartialAttention(const float *q, KvRows latent, const int64_t *length,
                         Weights kvB, int64_t batch, int64_t heads,
                         int64_t nope, int64_t ropeDim, int64_t vDim,
                         int64_t rank, float scale, float *out) {
  const int64_t qWidth = nope + ropeDim;
  const int64_t keyWidth = rank + ropeDim;
  const int64_t headRows = nope + vDim;
  // Absorbed queries [B, heads, rank + ropeDim] = [q_latent ; q_rope].
  std::vector<float> absorbed(static_cast<size_t>(batch * heads * keyWidth),
                              0.0f);
  // A half-precision W_UK row is widened once into L1 scratch.
  std::vector<float> widened(kvB.isF32() ? 0 : static_cast<size_t>(rank));
  for (int64_t h = 0; h < heads; ++h) {
    // q_latent[b, h] = sum_n q_nope[b, h, n] * kvB[h * headRows + n, :]:
    // each W_UK row is loaded once for every sequence of the batch.
    for (int64_t n = 0; n < nope; ++n) {
      Weights w = kvB.at((h * headRows + n) * rank);
      const float *row = w.f32();
      if (!w.isF32()) {
        toFloat(w, rank, widened.data());
        row = widened.data();
      }
      for (int64_t b = 0; b < batch; ++b)
        detail::axpy(q[(b * heads + h) * qWidth + n], row,
                     absorbed.data() + (b * heads + h) * keyWidth, rank);
    }
    for (int64_t b = 0; b < batch; ++b) {
      const float *qRope = q + (b * heads + h) * qWidth + nope;
      float *dst = absorbed.data() + (b * heads + h) * keyWidth + rank;
      for (int64_t i = 0; i < ropeDim; ++i)
        dst[i] = qRope[i];
    }
  }
  // Keys are the whole cached row [c ; k_rope], values its first `rank`
  // channels; every head shares them.
  std::vector<const float *> qs;
  std::vector<float *> outs;
  std::vector<int64_t> lengths;
  detail::forEachSequenceRun(latent, batch, [&](int64_t first, int64_t end) {
    qs.clear();
    outs.clear();
    lengths.clear();
    for (int64_t b = first; b < end; ++b)
      for (int64_t h = 0; h < heads; ++h) {
        qs.push_back(absorbed.data() + (b * heads + h) * keyWidth);
        outs.push_back(out + (b * heads + h) * (rank + 1));
        lengths.push_back(length[b]);
      }
    detail::attendShared(qs.data(), outs.data(), lengths.data(),
                         static_cast<int64_t>(qs.size()), latent.at(first),
                         latent.at(first), keyWidth, keyWidth, rank, scale);
  });
}

void mlaValueProjection(const float *in, Weights kvB, int64_t batch,
                        int64_t heads, int64_t nope, int64_t vDim, int64_t rank,
                        float *out) {
  // out[b, h, :] = W_UV,h in[b, h, :], W_UV,h the last vDim rows of head h.
  // An empty HOP-B micro-batch (a prefill step's last rows) comes with null
  // buffers, which must not be offset.
  if (batch == 0)
    return;
  for (int64_t h = 0; h < heads; ++h)
    detail::linearRows(in + h * rank, heads * rank,
                       kvB.at((h * (nope + vDim) + nope) * rank), batch, rank,
                       vDim, out + h * vDim, heads * vDim);
}

} // namespace helix_rt::kernels
