//===- ConfigFuzz.cpp - config.json into the model config -----------------===//
//
// The input is a config.json: parse it, and for a config that parses, take
// its shape and check a few layouts against it, as helix-run and helix-plan
// do before compiling.
//
//===----------------------------------------------------------------------===//
#include "helix/Model/ModelConfig.h"
#include "helix/Model/ModelShape.h"
#include "helix/Sharding/Layout.h"

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string error;
  std::optional<helix::ModelConfig> config = helix::parseModelConfig(
      std::string(reinterpret_cast<const char *>(data), size), error);
  if (!config)
    return 0;
  helix::ModelShape shape = helix::shapeOf(*config);
  for (int64_t n : {1, 2, 4, 8}) {
    helix::Layout layout;
    layout.kvp = n;
    layout.tpf = n;
    (void)helix::sharding::validateLayout(layout, shape);
  }
  (void)config->attentionScale();
  (void)config->kvBytesPerTokenPerLayer(2);
  return 0;
}
