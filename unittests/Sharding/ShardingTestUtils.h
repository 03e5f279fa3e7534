//===- ShardingTestUtils.h - layouts and printers shared by the tests -----===//
#ifndef HELIX_UNITTESTS_SHARDING_SHARDINGTESTUTILS_H
#define HELIX_UNITTESTS_SHARDING_SHARDINGTESTUTILS_H

#include "helix/Sharding/Layout.h"

#include <ostream>

namespace helix::sharding {

namespace testing {

/// Llama-3.1-405B: 128 query heads, 8 KV heads, F = 53248.
inline ModelShape llama405bShape() {
  return {
      /*numHeads=*/128,        /*numKvHeads=*/8, /*mla=*/false,
      /*denseFfnWidth=*/53248, /*numExperts=*/0, /*expertWidth=*/0,
      /*sharedExpertWidth=*/0};
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
  return {/*numHeads=*/128,
          /*numKvHeads=*/128,
          /*mla=*/true,
          /*denseFfnWidth=*/18432,
          /*numExperts=*/256,
          /*expertWidth=*/2048,
          /*sharedExpertWidth=*/2048};
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
inline ModelShape sixHeadsShape() {
  return {
      /*numHeads=*/6,         /*numKvHeads=*/3, /*mla=*/false,
      /*denseFfnWidth=*/12,   /*numExperts=*/0, /*expertWidth=*/0,
      /*sharedExpertWidth=*/0};
}
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
