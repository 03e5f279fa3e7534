//===- LayoutTest.cpp - the layout's one text form, read and printed ------===//
#include "helix_rt/layout.h"

#include <gtest/gtest.h>

using namespace helix_rt;

namespace {

TEST(Layout, PrintsAndReadsBack) {
  Layout layout{8, 8, 64, 1, 2, 32};
  EXPECT_EQ(layout.str(), "kvp=8,tpa=8,tpf=64,ep=1,microbatches=2,kv-block=32");
  Layout back;
  std::string error;
  ASSERT_TRUE(parseLayout(layout.str(), back, error)) << error;
  EXPECT_EQ(back, layout);
  EXPECT_EQ(back.worldSize(), 64);
}

TEST(Layout, MissingKeysKeepTheirValuesAndNamedOnesAreReported) {
  Layout layout;
  LayoutKeys named;
  std::string error;
  ASSERT_TRUE(parseLayout("tpf=2,kvp=2", layout, error, &named)) << error;
  EXPECT_EQ(layout, (Layout{2, 1, 2, 1, 1, 16}));
  EXPECT_TRUE(named.kvp && named.tpf);
  EXPECT_FALSE(named.tpa || named.ep || named.microbatches || named.kvBlock);
}

// helix-run parses --layout over what --layout auto or the flags set: keys
// the text does not name keep their values, and a failed parse names what
// it refused.
TEST(Layout, ParsesOverTheCurrentValues) {
  Layout layout{4, 2, 8, 1, 3, 4};
  std::string error;
  ASSERT_TRUE(parseLayout("microbatches=2", layout, error)) << error;
  EXPECT_EQ(layout, (Layout{4, 2, 8, 1, 2, 4}));
  EXPECT_FALSE(parseLayout("kv-block=0", layout, error));
  EXPECT_NE(error.find("kv-block"), std::string::npos) << error;
}

std::string errorOf(const std::string &text) {
  Layout layout;
  std::string error;
  EXPECT_FALSE(parseLayout(text, layout, error)) << text;
  return error;
}

TEST(Layout, RefusesMalformedText) {
  EXPECT_EQ(errorOf(""), "the layout is empty (expected kvp=K,tpa=T,tpf=F,ep=E)");
  EXPECT_EQ(errorOf("kvp=2,kvp=4"), "layout names 'kvp' twice (in 'kvp=2,kvp=4')");
  EXPECT_EQ(errorOf("kvp=2,bogus=3"),
            "layout has unknown key 'bogus' (use kvp, tpa, tpf, ep, "
            "microbatches, kv-block)");
  EXPECT_EQ(errorOf("kvp=2,"), "layout item '' is not key=value (in 'kvp=2,')");
  EXPECT_EQ(errorOf("kvp"), "layout item 'kvp' is not key=value (in 'kvp')");
  EXPECT_EQ(errorOf("=2"), "layout item '=2' is not key=value (in '=2')");
  for (const char *bad : {"kvp=0", "kvp=-1", "kvp=2x", "kvp=", "kvp=2147483648",
                          "kvp=99999999999999999999"})
    EXPECT_NE(errorOf(bad).find("must be an integer from 1 to 2^31-1"),
              std::string::npos)
        << bad;
}

} // namespace
