//===- EntryPointsTest.cpp - the runtime defines every ABI entry point ----===//
//
// The compiler declares only what HELIX_RT_ENTRY_POINTS lists; a module that
// calls one the runtime does not export would fail at dlopen on a user's
// machine. Resolve each from the linked libhelix_rt instead.
//
//===----------------------------------------------------------------------===//
#include "helix_rt/abi.h"
#include "helix_rt/helix_rt.h"

#include <gtest/gtest.h>

#include <dlfcn.h>

#include <set>
#include <string>

using namespace helix_rt::abi;

namespace {

const Entry kAll[] = {
#define HELIX_RT_ENTRY_LIST(name) Entry::name,
    HELIX_RT_ENTRY_POINTS(HELIX_RT_ENTRY_LIST)
#undef HELIX_RT_ENTRY_LIST
};

TEST(EntryPoints, EveryOneIsDefinedByTheRuntime) {
  // Keep libhelix_rt linked (it is, through helix_rt.h's API).
  ASSERT_NE(reinterpret_cast<void *>(&helix_module_open), nullptr);
  for (Entry entry : kAll) {
    std::string name = std::string("_mlir_ciface_") + symbol(entry);
    EXPECT_NE(dlsym(RTLD_DEFAULT, name.c_str()), nullptr)
        << name << " is in the ABI table but not exported by libhelix_rt";
  }
}

TEST(EntryPoints, SymbolsAreDistinctAndPrefixed) {
  std::set<std::string> seen;
  for (Entry entry : kAll) {
    std::string name = symbol(entry);
    EXPECT_EQ(name.rfind("helix_rt_", 0), 0u) << name;
    EXPECT_TRUE(seen.insert(name).second) << name << " twice";
  }
  EXPECT_EQ(seen.size(), std::size(kAll));
}

TEST(EntryPoints, CopiesAndCollectivesMapToTheirEntries) {
  Entry e{};
  ASSERT_TRUE(copyEntry(/*integer=*/false, 3, e));
  EXPECT_STREQ(symbol(e), "helix_rt_copy_f32_3d");
  ASSERT_TRUE(copyEntry(/*integer=*/true, 2, e));
  EXPECT_STREQ(symbol(e), "helix_rt_copy_i64_2d");
  EXPECT_FALSE(copyEntry(/*integer=*/true, 3, e));
  EXPECT_FALSE(copyEntry(/*integer=*/false, 0, e));
  EXPECT_FALSE(copyEntry(/*integer=*/false, 5, e));
  EXPECT_STREQ(symbol(blockingEntry(Collective::AllToAll)),
               "helix_rt_all_to_all");
  EXPECT_STREQ(symbol(startEntry(Collective::AllGatherColumns)),
               "helix_rt_start_all_gather_columns");
}

TEST(EntryPoints, GridCodesRoundTrip) {
  EXPECT_EQ(gridCode(gridName(AttentionGrid)), AttentionGrid);
  EXPECT_EQ(gridCode(gridName(FfnGrid)), FfnGrid);
  EXPECT_EQ(gridCode("helix_other"), -1);
  EXPECT_EQ(gridName(2), nullptr);
}

} // namespace
