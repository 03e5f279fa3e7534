//===- ModelShape.cpp - the sizes of a model, derived once ----------------===//
#include "helix/Model/ModelShape.h"

#include <cmath>

namespace helix {

ModelShape shapeOf(const ModelConfig &config) {
  ModelShape s;
  s.mla = config.mla.has_value();
  s.hidden = config.hiddenSize;
  s.queryHeads = config.numHeads;
  s.kvHeads = s.mla ? 1 : config.numKvHeads;
  s.headDim = config.headDim;
  s.layers = config.numLayers;
  s.vocab = config.vocabSize;
  s.tiedEmbeddings = config.tieWordEmbeddings;
  s.denseFfn = config.intermediateSize;
  if (config.mla) {
    s.qLoraRank = config.mla->qLoraRank;
    s.kvLoraRank = config.mla->kvLoraRank;
    s.ropeDim = config.mla->qkRopeHeadDim;
    s.nopeDim = config.mla->qkNopeHeadDim;
    s.vHeadDim = config.mla->vHeadDim;
  }
  if (config.moe) {
    s.experts = config.moe->numRoutedExperts;
    s.expertsPerToken = config.moe->expertsPerToken;
    s.sharedFfn = config.moe->numSharedExperts * config.moe->intermediateSize;
    s.expertFfn = config.moe->intermediateSize;
    for (int64_t layer = 0; layer < config.numLayers; ++layer)
      s.moeLayers += config.isMoeLayer(layer) ? 1 : 0;
  }
  return s;
}

double ModelShape::kvElementsPerToken(int64_t kvHeadsLocal) const {
  if (mla)
    return double(kvLoraRank + ropeDim);
  return 2.0 * kvHeadsLocal * headDim;
}

double ModelShape::attentionFlopsPerToken() const {
  if (mla) // q.c over latent+rope, then p.c over the latent
    return 2.0 * (kvLoraRank + ropeDim) + 2.0 * kvLoraRank;
  return 4.0 * headDim; // q.k and p.v
}

int64_t ModelShape::mergeWidth(bool latentMerge) const {
  if (!mla)
    return headDim;
  return latentMerge ? kvLoraRank : vHeadDim;
}

double ModelShape::sharedInputProjection() const {
  if (!mla)
    return 0;
  double qA = qLoraRank > 0 ? double(hidden) * qLoraRank : 0;
  return qA + double(hidden) * (kvLoraRank + ropeDim);
}

double ModelShape::queryProjection() const {
  if (!mla)
    return double(hidden) * queryHeads * headDim;
  double qIn = qLoraRank > 0 ? qLoraRank : hidden;
  double qB = qIn * queryHeads * (nopeDim + ropeDim);
  double wUK = double(kvLoraRank) * queryHeads * nopeDim;
  return qB + wUK;
}

double ModelShape::kvProjection() const {
  return mla ? 0 : 2.0 * hidden * kvHeads * headDim;
}

double ModelShape::valueUpProjection() const {
  return mla ? double(kvLoraRank) * queryHeads * vHeadDim : 0;
}

double ModelShape::outputProjection() const {
  int64_t width = mla ? vHeadDim : headDim;
  return double(queryHeads) * width * hidden;
}

double ModelShape::distinctExperts(double tokens) const {
  if (experts == 0 || tokens <= 0)
    return 0;
  double k = double(expertsPerToken) / double(experts);
  return experts * (1.0 - std::pow(1.0 - k, tokens));
}

} // namespace helix
