//===- ConfigShape.h - layout-rule sizes of a Hugging Face config -*- C++ -*-===//
#ifndef HELIX_SHARDING_CONFIGSHAPE_H
#define HELIX_SHARDING_CONFIGSHAPE_H

#include "helix/Model/ModelConfig.h"
#include "helix/Sharding/Layout.h"

namespace helix::sharding {

/// The sizes validateLayout checks, read from a parsed config.json.
ModelShape modelShapeOf(const ModelConfig &config);

} // namespace helix::sharding

#endif // HELIX_SHARDING_CONFIGSHAPE_H
