//===- ShardingTestUtils.h - layouts and printers shared by the tests -----===//
#ifndef HELIX_UNITTESTS_SHARDING_SHARDINGTESTUTILS_H
#define HELIX_UNITTESTS_SHARDING_SHARDINGTESTUTILS_H

#include "helix/Sharding/Layout.h"

#include <ostream>

namespace helix::sharding {

namespace testing {

/// The sizes the layout rules read; one layer of each kind present.
inline ModelShape rulesShape(int64_t heads, int64_t kvHeads, bool mla,
                             int64_t denseFfn, int64_t experts,
                             int64_t expertFfn, int64_t sharedFfn) {
  ModelShape shape;
  shape.queryHeads = heads;
  shape.kvHeads = kvHeads;
  shape.mla = mla;
  shape.denseFfn = denseFfn;
  shape.experts = experts;
  shape.expertFfn = expertFfn;
  shape.sharedFfn = sharedFfn;
  shape.moeLayers = experts > 0 ? 1 : 0;
  shape.layers = shape.moeLayers + (denseFfn > 0 ? 1 : 0);
  return shape;
}

/// Llama-3.1-405B: 128 query heads, 8 KV heads, F = 53248.
inline ModelShape llama405bShape() {
  return rulesShape(128, 8, false, 53248, 0, 0, 0);
}
inline Layout llama405bLayout() {
  Layout layout;
  layout.kvp = 8;
  layout.tpa = 8;
  layout.tpf = 64;
  layout.ep = 1;
  return layout;
}

/// DeepSeek-R1: MLA, 128 heads, 256 experts of width 2048, one shared expert
/// of width 2048, dense layers of width 18432.
inline ModelShape deepseekR1Shape() {
  return rulesShape(128, 1, true, 18432, 256, 2048, 2048);
}
inline Layout deepseekR1Layout() {
  Layout layout;
  layout.kvp = 64;
  layout.tpa = 1;
  layout.tpf = 1;
  layout.ep = 64;
  return layout;
}

/// 6 query heads over 3 KV heads, kvp=2 x tpa=3, dense FFN of width 12.
inline ModelShape sixHeadsShape() { return rulesShape(6, 3, false, 12, 0, 0, 0); }
inline Layout sixHeadsLayout() {
  Layout layout;
  layout.kvp = 2;
  layout.tpa = 3;
  layout.tpf = 6;
  layout.ep = 1;
  return layout;
}

} // namespace testing
} // namespace helix::sharding

#endif // HELIX_UNITTESTS_SHARDING_SHARDINGTESTUTILS_H
