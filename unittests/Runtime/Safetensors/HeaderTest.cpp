//===- HeaderTest.cpp - Checks on every safetensors file header -----------===//
#include "SafetensorsTestUtil.h"

#include <gtest/gtest.h>

using namespace helix::rt::test;

namespace {

class SafetensorsHeader : public ::testing::Test {
protected:
  /// Writes `bytes` as model.safetensors and expects open to fail with
  /// `status` and a one-line message "<file>: <problem>...".
  void expectRejected(const Bytes &bytes, helix_status status,
                      const std::string &problem) {
    Opened opened = openSingleFile(dir, bytes);
    EXPECT_EQ(opened.status, status) << opened.error;
    EXPECT_EQ(opened.checkpoint.get(), nullptr);
    std::string expected = dir.file("model.safetensors") + ": " + problem;
    EXPECT_NE(opened.error.find(expected), std::string::npos)
        << "message: " << opened.error << "\nexpected: " << expected;
    EXPECT_EQ(opened.error.find('\n'), std::string::npos) << opened.error;
  }

  /// A file holding tensor "w" with the given JSON entry and data.
  static Bytes oneEntry(const std::string &entry, const Bytes &data = {}) {
    return rawFile("{\"w\":" + entry + "}", data);
  }

  TempDir dir;
};

TEST_F(SafetensorsHeader, AcceptsWellFormedFile) {
  Opened opened = openSingleFile(
      dir, safetensorsFile({{"b", "F32", {2}, f32Bytes({1, 2})},
                            {"a", "BF16", {1, 2}, u16Bytes({0x3f80, 0})},
                            {"scalar", "F16", {}, u16Bytes({0x3c00})},
                            {"empty", "F32", {0, 3}, {}}}));
  ASSERT_EQ(opened.status, HELIX_OK) << opened.error;
  EXPECT_EQ(opened.error, "");
  EXPECT_EQ(helix_checkpoint_size(opened.checkpoint.get()), 4);
}

TEST_F(SafetensorsHeader, RejectsFileShorterThanLengthPrefix) {
  expectRejected({1, 2, 3}, HELIX_ERROR_IO,
                 "file is 3 bytes, shorter than the 8-byte header length");
  expectRejected({}, HELIX_ERROR_IO,
                 "file is 0 bytes, shorter than the 8-byte header length");
}

TEST_F(SafetensorsHeader, RejectsHeaderLengthPastEndOfFile) {
  expectRejected(rawFile(123456, "{}"), HELIX_ERROR_IO,
                 "header length 123456 runs past the end of the file "
                 "(10 bytes)");
  expectRejected(rawFile(UINT64_MAX, "{}"), HELIX_ERROR_IO,
                 "header length 18446744073709551615 runs past the end of "
                 "the file (10 bytes)");
  expectRejected(rawFile(3, "{}"), HELIX_ERROR_IO,
                 "header length 3 runs past the end of the file (10 bytes)");
}

TEST_F(SafetensorsHeader, RejectsHeaderThatIsNotJson) {
  expectRejected(rawFile("{\"w\": "), HELIX_ERROR_FORMAT,
                 "header is not valid JSON");
  expectRejected(rawFile(""), HELIX_ERROR_FORMAT, "header is not valid JSON");
  // The length prefix cuts a valid header short.
  expectRejected(rawFile(1, "{}"), HELIX_ERROR_FORMAT,
                 "header is not valid JSON");
}

TEST_F(SafetensorsHeader, RejectsHeaderThatIsNotAnObject) {
  expectRejected(rawFile("[1, 2]"), HELIX_ERROR_FORMAT,
                 "header is not a JSON object");
  expectRejected(rawFile("\"w\""), HELIX_ERROR_FORMAT,
                 "header is not a JSON object");
}

TEST_F(SafetensorsHeader, RejectsEntryThatIsNotAnObject) {
  expectRejected(oneEntry("3"), HELIX_ERROR_FORMAT,
                 "tensor \"w\" is not a JSON object");
}

TEST_F(SafetensorsHeader, RejectsEntryMissingAField) {
  expectRejected(
      oneEntry(R"({"shape":[1],"data_offsets":[0,4]})", f32Bytes({1})),
      HELIX_ERROR_FORMAT, "tensor \"w\" has no \"dtype\"");
  expectRejected(
      oneEntry(R"({"dtype":"F32","data_offsets":[0,4]})", f32Bytes({1})),
      HELIX_ERROR_FORMAT, "tensor \"w\" has no \"shape\"");
  expectRejected(oneEntry(R"({"dtype":"F32","shape":[1]})", f32Bytes({1})),
                 HELIX_ERROR_FORMAT, "tensor \"w\" has no \"data_offsets\"");
}

TEST_F(SafetensorsHeader, RejectsFieldsOfWrongJsonType) {
  Bytes data = f32Bytes({1});
  expectRejected(
      oneEntry(R"({"dtype":5,"shape":[1],"data_offsets":[0,4]})", data),
      HELIX_ERROR_FORMAT, "tensor \"w\": \"dtype\" is not a string");
  const char *badShapes[] = {R"("1")", "[1.5]", "[true]",
                             "[[1]]",  "{}",    "[18446744073709551615]"};
  for (const char *shape : badShapes)
    expectRejected(oneEntry(std::string(R"({"dtype":"F32","shape":)") + shape +
                                R"(,"data_offsets":[0,4]})",
                            data),
                   HELIX_ERROR_FORMAT,
                   "tensor \"w\": \"shape\" is not an array of integers");
  const char *badOffsets[] = {R"("0,4")", "[0]",      "[0,4,8]", "[-1,4]",
                              "[0,4.0]",  "[null,4]", "4"};
  for (const char *offsets : badOffsets)
    expectRejected(
        oneEntry(std::string(R"({"dtype":"F32","shape":[1],"data_offsets":)") +
                     offsets + "}",
                 data),
        HELIX_ERROR_FORMAT,
        "tensor \"w\": \"data_offsets\" is not [begin, end] with two "
        "non-negative integers");
}

TEST_F(SafetensorsHeader, RejectsUnknownDtypeByName) {
  expectRejected(
      oneEntry(R"({"dtype":"I64","shape":[1],"data_offsets":[0,8]})", Bytes(8)),
      HELIX_ERROR_FORMAT,
      "tensor \"w\" has unsupported dtype \"I64\" (only F32, BF16 "
      "and F16 are read)");
  expectRejected(
      oneEntry(R"({"dtype":"f32","shape":[1],"data_offsets":[0,4]})", Bytes(4)),
      HELIX_ERROR_FORMAT, "tensor \"w\" has unsupported dtype \"f32\"");
  expectRejected(
      oneEntry(R"({"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]})",
               Bytes(1)),
      HELIX_ERROR_FORMAT, "tensor \"w\" has unsupported dtype \"F8_E4M3\"");
}

TEST_F(SafetensorsHeader, RejectsOffsetsWithBeginAfterEnd) {
  expectRejected(
      oneEntry(R"({"dtype":"F32","shape":[1],"data_offsets":[8,4]})", Bytes(8)),
      HELIX_ERROR_FORMAT,
      "tensor \"w\": \"data_offsets\" [8, 4] have begin > end");
}

TEST_F(SafetensorsHeader, RejectsOffsetsPastTheDataSection) {
  expectRejected(
      oneEntry(R"({"dtype":"F32","shape":[4],"data_offsets":[0,16]})",
               Bytes(8)),
      HELIX_ERROR_FORMAT,
      "tensor \"w\": \"data_offsets\" [0, 16] run past the end of the data "
      "section (8 bytes)");
  expectRejected(
      oneEntry(R"({"dtype":"F32","shape":[0],"data_offsets":[9,9]})", Bytes(8)),
      HELIX_ERROR_FORMAT,
      "tensor \"w\": \"data_offsets\" [9, 9] run past the end of the data "
      "section (8 bytes)");
}

TEST_F(SafetensorsHeader, RejectsSizeThatDisagreesWithShape) {
  expectRejected(
      oneEntry(R"({"dtype":"BF16","shape":[2,3],"data_offsets":[0,10]})",
               Bytes(12)),
      HELIX_ERROR_FORMAT,
      "tensor \"w\": \"data_offsets\" [0, 10] hold 10 bytes but shape [2, 3] "
      "of BF16 needs 12");
  expectRejected(
      oneEntry(R"({"dtype":"F32","shape":[2],"data_offsets":[0,4]})", Bytes(4)),
      HELIX_ERROR_FORMAT,
      "tensor \"w\": \"data_offsets\" [0, 4] hold 4 bytes but shape [2] of "
      "F32 needs 8");
  expectRejected(
      oneEntry(R"({"dtype":"F32","shape":[4611686018427387904,4],)"
               R"("data_offsets":[0,4]})",
               Bytes(4)),
      HELIX_ERROR_FORMAT,
      "tensor \"w\": shape [4611686018427387904, 4] has more bytes than fit "
      "in 64 bits");
}

TEST_F(SafetensorsHeader, RejectsOverlappingTensors) {
  expectRejected(
      rawFile(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
              R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
              Bytes(12)),
      HELIX_ERROR_FORMAT, "tensors \"a\" [0, 8] and \"b\" [4, 12] overlap");
  // A tensor inside another one's bytes, listed first by name.
  expectRejected(
      rawFile(R"({"a":{"dtype":"F16","shape":[1],"data_offsets":[4,6]},)"
              R"("b":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}})",
              Bytes(12)),
      HELIX_ERROR_FORMAT, "tensors \"b\" [0, 12] and \"a\" [4, 6] overlap");
}

TEST_F(SafetensorsHeader, AcceptsEmptyTensorInsideAnother) {
  Opened opened = openSingleFile(
      dir, rawFile(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                   R"("b":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}})",
                   Bytes(8)));
  EXPECT_EQ(opened.status, HELIX_OK) << opened.error;
}

TEST_F(SafetensorsHeader, RejectsNegativeDimensions) {
  expectRejected(
      oneEntry(R"({"dtype":"F32","shape":[2,-3],"data_offsets":[0,0]})"),
      HELIX_ERROR_FORMAT,
      "tensor \"w\" has negative dimension -3 in shape [2, -3]");
}

TEST_F(SafetensorsHeader, RejectsRankAboveTheCApiLimit) {
  expectRejected(
      oneEntry(
          R"({"dtype":"F32","shape":[1,1,1,1,1,1,1,1,1],"data_offsets":[0,4]})",
          Bytes(4)),
      HELIX_ERROR_FORMAT,
      "tensor \"w\" has rank 9; at most 8 dimensions are supported");
}

TEST_F(SafetensorsHeader, IgnoresMetadataEntry) {
  Opened opened = openSingleFile(
      dir, rawFile(R"({"__metadata__":{"format":"pt","odd":[1,2]},)"
                   R"("w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
                   f32Bytes({7})));
  ASSERT_EQ(opened.status, HELIX_OK) << opened.error;
  ASSERT_EQ(helix_checkpoint_size(opened.checkpoint.get()), 1);
  EXPECT_STREQ(helix_checkpoint_name(opened.checkpoint.get(), 0), "w");
  helix_tensor_info info;
  EXPECT_EQ(helix_checkpoint_info(opened.checkpoint.get(), "__metadata__",
                                  &info, nullptr, 0),
            HELIX_ERROR_INVALID_ARGUMENT);
}

TEST_F(SafetensorsHeader, EscapesControlCharactersInNames) {
  expectRejected(rawFile(R"({"a\nb\"c":3})"), HELIX_ERROR_FORMAT,
                 "tensor \"a\\x0ab\\\"c\" is not a JSON object");
}

} // namespace
