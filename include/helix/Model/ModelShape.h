//===- ModelShape.h - the sizes of a model, derived once --------*- C++ -*-===//
//
// The one shape type: the planner's cost model reads it, and the layout
// rules (helix::sharding::validateLayout) check layouts against it.
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_MODEL_MODELSHAPE_H
#define HELIX_MODEL_MODELSHAPE_H

#include "helix/Model/ModelConfig.h"

#include <cstdint>

namespace helix {

/// Element counts per layer, derived once from a ModelConfig. Weight names
/// follow Hugging Face; MLA uses the absorbed formulation (W_UK folded into
/// the query, attention over the latent cache).
struct ModelShape {
  bool mla = false;
  int64_t hidden = 0;     // H
  int64_t queryHeads = 0; // Q
  int64_t kvHeads = 0;    // K; MLA: 1 (one latent shared by all heads)
  int64_t headDim = 0;    // Hsz (GQA)
  int64_t layers = 0;
  int64_t moeLayers = 0;
  int64_t vocab = 0;
  bool tiedEmbeddings = false;

  // MLA sizes.
  int64_t qLoraRank = 0;
  int64_t kvLoraRank = 0;
  int64_t ropeDim = 0;
  int64_t nopeDim = 0;
  int64_t vHeadDim = 0;

  int64_t denseFfn = 0; // F of dense layers
  int64_t experts = 0;  // routed experts
  int64_t expertsPerToken = 0;
  int64_t sharedFfn = 0; // width of all shared experts together (one MLP)
  int64_t expertFfn = 0; // width of one expert

  int64_t denseLayers() const { return layers - moeLayers; }
  /// Width of the dense FFN the layout must split (0 without dense layers).
  int64_t denseFfnWidth() const { return denseLayers() > 0 ? denseFfn : 0; }

  /// Cached elements per token per layer for `kvHeadsLocal` KV heads (MLA:
  /// the whole latent plus the RoPE key, whatever the head count).
  double kvElementsPerToken(int64_t kvHeadsLocal) const;
  /// FLOPs per cached token per query head of one decode query.
  double attentionFlopsPerToken() const;
  /// Width of the attention output per head that the KVP merge exchanges
  /// (GQA: Hsz; MLA: v_head_dim, or kv_lora_rank when merging in latent space).
  int64_t mergeWidth(bool latentMerge) const;

  // Attention weights, elements per layer.
  /// Projections whose input is the hidden state and that are not split by
  /// heads (MLA q_a / kv_a); replicated on every rank.
  double sharedInputProjection() const;
  /// Per-query-head projections before attention (W_Q, or MLA q_b + W_UK).
  double queryProjection() const;
  /// K and V projections of all KV heads (GQA only).
  double kvProjection() const;
  /// MLA W_UV (latent -> per-head value); 0 for GQA.
  double valueUpProjection() const;
  /// W_O.
  double outputProjection() const;

  double denseFfnWeights() const { return 3.0 * hidden * denseFfn; }
  double expertWeights() const { return 3.0 * hidden * expertFfn; }
  double sharedExpertWeights() const { return 3.0 * hidden * sharedFfn; }
  double routerWeights() const { return double(hidden) * experts; }
  double embeddingWeights() const { return double(vocab) * hidden; }
  /// Expected distinct routed experts hit by `tokens` tokens under balanced
  /// (uniform) routing: E * (1 - (1 - k/E)^tokens).
  double distinctExperts(double tokens) const;
};

ModelShape shapeOf(const ModelConfig &config);

} // namespace helix

#endif // HELIX_MODEL_MODELSHAPE_H
