//===- ConfigShape.cpp - layout-rule sizes of a Hugging Face config -------===//
#include "helix/Sharding/ConfigShape.h"

namespace helix::sharding {

ModelShape modelShapeOf(const ModelConfig &config) {
  ModelShape shape;
  shape.numHeads = config.numHeads;
  shape.numKvHeads = config.mla ? 1 : config.numKvHeads;
  shape.mla = config.mla.has_value();
  bool anyDense = false;
  for (int64_t layer = 0; layer < config.numLayers && !anyDense; ++layer)
    anyDense = !config.isMoeLayer(layer);
  shape.denseFfnWidth = anyDense ? config.intermediateSize : 0;
  if (config.moe) {
    shape.numExperts = config.moe->numRoutedExperts;
    shape.expertWidth = config.moe->intermediateSize;
    shape.sharedExpertWidth =
        config.moe->intermediateSize * config.moe->numSharedExperts;
  }
  return shape;
}

} // namespace helix::sharding
