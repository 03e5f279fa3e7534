//===- ReadBlockTest.cpp - Blocks of tensors, converted to float ----------===//
#include "SafetensorsTestUtil.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <unistd.h>

using namespace helix::rt::test;

namespace {

/// IEEE binary16 from first principles: sign x (subnormal m x 2^-24 or
/// normal (1024 + m) x 2^(e - 25)), infinities and NaNs.
float referenceHalf(uint16_t bits) {
  int exponent = (bits >> 10) & 0x1f, mantissa = bits & 0x3ff;
  float magnitude;
  if (exponent == 0x1f)
    magnitude = mantissa ? std::numeric_limits<float>::quiet_NaN()
                         : std::numeric_limits<float>::infinity();
  else if (exponent == 0)
    magnitude = std::ldexp(float(mantissa), -24);
  else
    magnitude = std::ldexp(float(mantissa + 1024), exponent - 25);
  return (bits & 0x8000) ? -magnitude : magnitude;
}

class SafetensorsReadBlock : public ::testing::Test {
protected:
  /// Opens model.safetensors made of `tensors` (data shifted by `padding`).
  const helix_checkpoint *open(const std::vector<TensorSpec> &tensors,
                               size_t padding = 0) {
    opened = openSingleFile(dir, safetensorsFile(tensors, padding));
    EXPECT_EQ(opened.status, HELIX_OK) << opened.error;
    return opened.checkpoint.get();
  }

  /// Reads a block, expecting success.
  std::vector<float> read(const char *name, int32_t dim, int64_t begin,
                          int64_t size, size_t count) {
    std::vector<float> values(count, -12345.0f);
    char error[512];
    EXPECT_EQ(helix_checkpoint_read_block(opened.checkpoint.get(), name, dim,
                                          begin, size, values.data(), error,
                                          sizeof(error)),
              HELIX_OK)
        << error;
    return values;
  }

  /// Reads a block, expecting `status` and a message containing `message`.
  void expectReadFails(const char *name, int32_t dim, int64_t begin,
                       int64_t size, helix_status status,
                       const std::string &message) {
    std::vector<float> values(64);
    char error[512];
    EXPECT_EQ(helix_checkpoint_read_block(opened.checkpoint.get(), name, dim,
                                          begin, size, values.data(), error,
                                          sizeof(error)),
              status);
    EXPECT_NE(std::string(error).find(message), std::string::npos)
        << "message: " << error << "\nexpected: " << message;
  }

  TempDir dir;
  Opened opened;
};

TEST_F(SafetensorsReadBlock, F32IsCopiedExactly) {
  std::vector<float> values = {1.5f, -0.0f, 3.4028235e38f, 1e-45f,
                               std::numeric_limits<float>::infinity()};
  // An odd header length leaves the data unaligned.
  open({{"w", "F32", {5}, f32Bytes(values)}}, /*padding=*/3);
  std::vector<float> got = read("w", 0, 0, 5, 5);
  for (size_t i = 0; i < values.size(); ++i)
    EXPECT_EQ(bitsOf(got[i]), bitsOf(values[i])) << i;
}

TEST_F(SafetensorsReadBlock, Bf16IsTheTopHalfOfF32) {
  std::vector<uint16_t> all(65536);
  for (uint32_t i = 0; i < 65536; ++i)
    all[i] = uint16_t(i);
  open({{"w", "BF16", {65536}, u16Bytes(all)}}, /*padding=*/1);
  std::vector<float> got = read("w", 0, 0, 65536, 65536);
  for (uint32_t i = 0; i < 65536; ++i)
    ASSERT_EQ(bitsOf(got[i]), i << 16) << i;
  EXPECT_EQ(got[0x3f80], 1.0f);
  EXPECT_EQ(got[0xc040], -3.0f);
  EXPECT_EQ(got[0x0001], std::ldexp(1.0f, -133)); // smallest subnormal
  EXPECT_EQ(got[0x7f80], std::numeric_limits<float>::infinity());
  EXPECT_EQ(got[0xff80], -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(got[0x7fc0]));
}

TEST_F(SafetensorsReadBlock, F16MatchesIeeeHalfForEveryBitPattern) {
  std::vector<uint16_t> all(65536);
  for (uint32_t i = 0; i < 65536; ++i)
    all[i] = uint16_t(i);
  open({{"w", "F16", {256, 256}, u16Bytes(all)}});
  std::vector<float> got = read("w", 0, 0, 256, 65536);
  for (uint32_t i = 0; i < 65536; ++i) {
    float expected = referenceHalf(uint16_t(i));
    if (std::isnan(expected)) {
      // NaNs keep sign and payload, shifted into the float mantissa.
      uint32_t bits = ((i & 0x8000) << 16) | 0x7f800000u | ((i & 0x3ff) << 13);
      ASSERT_EQ(bitsOf(got[i]), bits) << i;
    } else {
      ASSERT_EQ(bitsOf(got[i]), bitsOf(expected)) << i;
    }
  }
  EXPECT_EQ(got[0x3c00], 1.0f);
  EXPECT_EQ(got[0xc000], -2.0f);
  EXPECT_EQ(got[0x7bff], 65504.0f);                 // largest normal
  EXPECT_EQ(got[0x0400], std::ldexp(1.0f, -14));    // smallest normal
  EXPECT_EQ(got[0x0001], std::ldexp(1.0f, -24));    // smallest subnormal
  EXPECT_EQ(got[0x03ff], std::ldexp(1023.0f, -24)); // largest subnormal
  EXPECT_EQ(got[0x8001], -std::ldexp(1.0f, -24));
  EXPECT_EQ(bitsOf(got[0x8000]), 0x80000000u); // -0
  EXPECT_EQ(got[0x7c00], std::numeric_limits<float>::infinity());
  EXPECT_EQ(got[0xfc00], -std::numeric_limits<float>::infinity());
  EXPECT_EQ(bitsOf(got[0x7e00]), 0x7fc00000u); // quiet NaN
  EXPECT_EQ(bitsOf(got[0x7c01]), 0x7f802000u); // signalling NaN
}

// A [4, 3] tensor holding 0..11, in each dtype (all exact in 16 bits).
std::vector<TensorSpec> matrices() {
  std::vector<float> values;
  std::vector<uint16_t> bf16;
  for (int i = 0; i < 12; ++i) {
    values.push_back(float(i));
    bf16.push_back(uint16_t(bitsOf(float(i)) >> 16));
  }
  std::vector<uint16_t> f16 = {0x0000, 0x3c00, 0x4000, 0x4200, 0x4400, 0x4500,
                               0x4600, 0x4700, 0x4800, 0x4880, 0x4900, 0x4980};
  return {{"f32", "F32", {4, 3}, f32Bytes(values)},
          {"bf16", "BF16", {4, 3}, u16Bytes(bf16)},
          {"f16", "F16", {4, 3}, u16Bytes(f16)},
          {"vec", "F32", {5}, f32Bytes({10, 11, 12, 13, 14})},
          {"cube", "F32", {1, 1, 2}, f32Bytes({1, 2})}};
}

TEST_F(SafetensorsReadBlock, BlockAlongDim0ReadsWholeRows) {
  open(matrices(), /*padding=*/1);
  for (const char *name : {"f32", "bf16", "f16"}) {
    SCOPED_TRACE(name);
    EXPECT_EQ(read(name, 0, 1, 2, 6), (std::vector<float>{3, 4, 5, 6, 7, 8}));
    EXPECT_EQ(read(name, 0, 3, 1, 3), (std::vector<float>{9, 10, 11}));
    EXPECT_EQ(read(name, 0, 0, 4, 12)[11], 11);
  }
}

TEST_F(SafetensorsReadBlock, BlockAlongDim1IsRowMajorContiguous) {
  open(matrices());
  for (const char *name : {"f32", "bf16", "f16"}) {
    SCOPED_TRACE(name);
    EXPECT_EQ(read(name, 1, 1, 2, 8),
              (std::vector<float>{1, 2, 4, 5, 7, 8, 10, 11}));
    EXPECT_EQ(read(name, 1, 0, 1, 4), (std::vector<float>{0, 3, 6, 9}));
    EXPECT_EQ(read(name, 1, 2, 1, 4), (std::vector<float>{2, 5, 8, 11}));
  }
}

TEST_F(SafetensorsReadBlock, BlockOfVector) {
  open(matrices());
  EXPECT_EQ(read("vec", 0, 1, 3, 3), (std::vector<float>{11, 12, 13}));
  EXPECT_EQ(read("vec", 0, 0, 5, 5), (std::vector<float>{10, 11, 12, 13, 14}));
}

TEST_F(SafetensorsReadBlock, EmptyBlockWritesNothing) {
  open(matrices());
  EXPECT_EQ(read("f32", 0, 4, 0, 1), (std::vector<float>{-12345.0f}));
  EXPECT_EQ(read("f32", 1, 3, 0, 1), (std::vector<float>{-12345.0f}));
  char error[128];
  EXPECT_EQ(helix_checkpoint_read_block(opened.checkpoint.get(), "vec", 0, 2, 0,
                                        nullptr, error, sizeof(error)),
            HELIX_OK);
}

TEST_F(SafetensorsReadBlock, RejectsBlocksOutsideTheTensor) {
  open(matrices());
  std::string where =
      dir.file("model.safetensors") + ": tensor \"f32\" of shape [4, 3]: ";
  expectReadFails("f32", 0, 3, 2, HELIX_ERROR_OUT_OF_RANGE,
                  where + "block at 3 of size 2 is outside dimension 0 "
                          "(extent 4)");
  expectReadFails("f32", 1, -1, 1, HELIX_ERROR_OUT_OF_RANGE,
                  where + "block at -1 of size 1 is outside dimension 1 "
                          "(extent 3)");
  expectReadFails("f32", 1, 0, -1, HELIX_ERROR_OUT_OF_RANGE,
                  "block at 0 of size -1 is outside dimension 1");
  expectReadFails("f32", 0, INT64_MAX, INT64_MAX, HELIX_ERROR_OUT_OF_RANGE,
                  "is outside dimension 0 (extent 4)");
  expectReadFails("vec", 0, 5, 1, HELIX_ERROR_OUT_OF_RANGE,
                  "block at 5 of size 1 is outside dimension 0 (extent 5)");
}

TEST_F(SafetensorsReadBlock, RejectsBadDimensionRankOrName) {
  open(matrices());
  std::string file = dir.file("model.safetensors");
  expectReadFails("f32", 2, 0, 1, HELIX_ERROR_INVALID_ARGUMENT,
                  file + ": tensor \"f32\" of shape [4, 3] has no dimension 2");
  expectReadFails("vec", 1, 0, 1, HELIX_ERROR_INVALID_ARGUMENT,
                  "tensor \"vec\" of shape [5] has no dimension 1");
  expectReadFails("f32", -1, 0, 1, HELIX_ERROR_INVALID_ARGUMENT,
                  "has no dimension -1");
  expectReadFails("cube", 0, 0, 1, HELIX_ERROR_INVALID_ARGUMENT,
                  file + ": tensor \"cube\" of shape [1, 1, 2] is not 1-D or "
                         "2-D; blocks are read from those only");
  expectReadFails("missing", 0, 0, 1, HELIX_ERROR_INVALID_ARGUMENT,
                  dir.path() + ": no tensor \"missing\" in the checkpoint");
  char error[256];
  EXPECT_EQ(helix_checkpoint_read_block(opened.checkpoint.get(), "f32", 0, 0, 1,
                                        nullptr, error, sizeof(error)),
            HELIX_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(error).find("destination is null"), std::string::npos);
  float value;
  EXPECT_EQ(helix_checkpoint_read_block(nullptr, "f32", 0, 0, 1, &value, error,
                                        sizeof(error)),
            HELIX_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(helix_checkpoint_read_block(opened.checkpoint.get(), nullptr, 0, 0,
                                        1, &value, error, sizeof(error)),
            HELIX_ERROR_INVALID_ARGUMENT);
}

// Rows are whole pages. After open, the file is cut just past row 0, so the
// pages of rows 2 and 3 are gone from the mapping and touching them raises
// SIGBUS: reading row 0 must therefore not touch any other row's bytes.
TEST_F(SafetensorsReadBlock, BlockAlongDim0TouchesOnlyItsRows) {
  auto pageFloats = size_t(::sysconf(_SC_PAGESIZE)) / sizeof(float);
  std::vector<float> values(4 * pageFloats);
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = float(i % 1000);
  Bytes file = safetensorsFile(
      {{"w", "F32", {4, int64_t(pageFloats)}, f32Bytes(values)}});
  open({{"w", "F32", {4, int64_t(pageFloats)}, f32Bytes(values)}});
  size_t rowBytes = pageFloats * sizeof(float);
  size_t dataStart = file.size() - 4 * rowBytes;
  ASSERT_EQ(::truncate(dir.file("model.safetensors").c_str(),
                       off_t(dataStart + rowBytes)),
            0);
  std::vector<float> row = read("w", 0, 0, 1, pageFloats);
  EXPECT_EQ(row,
            std::vector<float>(values.begin(), values.begin() + pageFloats));
  // The cut is real: reading the last row does fault.
  EXPECT_DEATH(read("w", 0, 3, 1, pageFloats), "");
}

// Half-precision blocks kept in their dtype: copied bit for bit, or used in
// place where the block is one aligned run of the file.
std::vector<uint16_t> halfBits(const std::vector<uint8_t> &bytes) {
  std::vector<uint16_t> bits(bytes.size() / 2);
  std::memcpy(bits.data(), bytes.data(), bytes.size());
  return bits;
}

TEST_F(SafetensorsReadBlock, ReadAsOwnDtypeCopiesTheBits) {
  open(matrices(), /*padding=*/1);
  std::vector<TensorSpec> specs = matrices();
  for (int t : {1, 2}) {
    SCOPED_TRACE(specs[t].name);
    helix_dtype dtype = t == 1 ? HELIX_DTYPE_BF16 : HELIX_DTYPE_F16;
    std::vector<uint16_t> all = halfBits(specs[t].data);
    std::vector<uint16_t> got(8, 0xffff);
    char error[256];
    ASSERT_EQ(helix_checkpoint_read_block_as(
                  opened.checkpoint.get(), specs[t].name.c_str(), 1, 1, 2,
                  dtype, got.data(), error, sizeof error),
              HELIX_OK)
        << error;
    EXPECT_EQ(got, (std::vector<uint16_t>{all[1], all[2], all[4], all[5],
                                          all[7], all[8], all[10], all[11]}));
    // As float it is the same as helix_checkpoint_read_block.
    std::vector<float> floats(6);
    ASSERT_EQ(helix_checkpoint_read_block_as(
                  opened.checkpoint.get(), specs[t].name.c_str(), 0, 1, 2,
                  HELIX_DTYPE_F32, floats.data(), error, sizeof error),
              HELIX_OK);
    EXPECT_EQ(floats, (std::vector<float>{3, 4, 5, 6, 7, 8}));
    // Never rounded: F32 is not read as half, nor BF16 as F16.
    EXPECT_EQ(helix_checkpoint_read_block_as(opened.checkpoint.get(), "f32", 0,
                                             0, 1, dtype, got.data(), error,
                                             sizeof error),
              HELIX_ERROR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(error).find("is F32"), std::string::npos) << error;
  }
}

TEST_F(SafetensorsReadBlock, MapBlockPointsIntoTheFileAndOutlivesClose) {
  opened = openSingleFile(dir, alignedSafetensorsFile(matrices()));
  ASSERT_EQ(opened.status, HELIX_OK) << opened.error;
  std::vector<uint16_t> all = halfBits(matrices()[1].data);
  const void *data = nullptr;
  helix_checkpoint_mapping *mapping = nullptr;
  char error[256];
  ASSERT_EQ(helix_checkpoint_map_block(opened.checkpoint.get(), "bf16", 0, 1, 2,
                                       &data, &mapping, error, sizeof error),
            HELIX_OK)
      << error;
  ASSERT_TRUE(data && mapping);
  // A dim-1 block of several columns is not one run: the caller copies.
  const void *strided = &error;
  helix_checkpoint_mapping *none = nullptr;
  ASSERT_EQ(helix_checkpoint_map_block(opened.checkpoint.get(), "bf16", 1, 1, 2,
                                       &strided, &none, error, sizeof error),
            HELIX_OK);
  EXPECT_EQ(strided, nullptr);
  EXPECT_EQ(none, nullptr);
  // ... but one spanning whole rows is.
  ASSERT_EQ(helix_checkpoint_map_block(opened.checkpoint.get(), "f16", 1, 0, 3,
                                       &strided, &none, error, sizeof error),
            HELIX_OK);
  EXPECT_NE(strided, nullptr);
  helix_checkpoint_mapping_release(none);
  // Out-of-range blocks fail as reads do.
  EXPECT_EQ(helix_checkpoint_map_block(opened.checkpoint.get(), "bf16", 0, 3, 2,
                                       &strided, &none, error, sizeof error),
            HELIX_ERROR_OUT_OF_RANGE);
  opened.checkpoint.reset(); // closes the checkpoint; the mapping stays
  std::vector<uint16_t> got(6);
  std::memcpy(got.data(), data, 12);
  EXPECT_EQ(got, std::vector<uint16_t>(all.begin() + 3, all.begin() + 9));
  helix_checkpoint_mapping_release(mapping);
}

TEST_F(SafetensorsReadBlock, MapBlockRefusesMisalignedData) {
  open(matrices(), /*padding=*/1); // odd data start: halves misaligned
  const void *data = &data;
  helix_checkpoint_mapping *mapping = nullptr;
  char error[256];
  ASSERT_EQ(helix_checkpoint_map_block(opened.checkpoint.get(), "bf16", 0, 0, 4,
                                       &data, &mapping, error, sizeof error),
            HELIX_OK);
  EXPECT_EQ(data, nullptr);
  EXPECT_EQ(mapping, nullptr);
}

} // namespace
