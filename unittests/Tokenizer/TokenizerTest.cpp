//===- TokenizerTest.cpp - UTF-8 repair, held bytes, byte-level map --------===//
#include "Tokenizer/ByteLevel.h"
#include "Tokenizer/Utf8.h"

#include <gtest/gtest.h>

using namespace helix::tok;

namespace {

const std::string kFFFD = "\xEF\xBF\xBD";

TEST(Utf8, ValidTextIsUnchanged) {
  std::string text = "a\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80";
  EXPECT_EQ(toValidUtf8(text), text);
}

TEST(Utf8, MaximalSubpartsBecomeOneReplacementEach) {
  // A truncated 3-byte sequence is one subpart; lone bytes are one each.
  EXPECT_EQ(toValidUtf8("x\xE4\xBDy"), "x" + kFFFD + "y");
  EXPECT_EQ(toValidUtf8("\xFF\xFE"), kFFFD + kFFFD);
  EXPECT_EQ(toValidUtf8("\xC0\xAF"), kFFFD + kFFFD);         // overlong
  EXPECT_EQ(toValidUtf8("\xED\xA0\x80"), kFFFD + kFFFD + kFFFD); // surrogate
  EXPECT_EQ(toValidUtf8("\xF0\x9F\x98"), kFFFD);
}

TEST(Utf8, IncompleteTailIsWhatMoreBytesCouldComplete) {
  EXPECT_EQ(incompleteTail("ab"), 0u);
  EXPECT_EQ(incompleteTail("a\xF0\x9F\x98"), 3u);
  EXPECT_EQ(incompleteTail("a\xE4"), 1u);
  EXPECT_EQ(incompleteTail("a\xF0\x9F\x98\x80"), 0u);
  EXPECT_EQ(incompleteTail("a\xFF"), 0u);     // never completes
  EXPECT_EQ(incompleteTail("a\xE0\x80"), 0u); // already ill-formed
}

TEST(ByteLevel, EveryByteRoundTrips) {
  for (int b = 0; b < 256; ++b) {
    std::string symbol = bytesToSymbols(std::string(1, char(b)));
    size_t length = validSequenceLength(symbol, 0);
    ASSERT_EQ(length, symbol.size());
    auto back = symbolToByte(decodeSequence(symbol, 0, length));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, b);
  }
  EXPECT_EQ(bytesToSymbols(" "), "\xC4\xA0"); // the familiar Ġ
}

} // namespace
