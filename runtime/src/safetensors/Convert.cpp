//===- Convert.cpp - Safetensors dtypes and their conversion to float -----===//
#include "Convert.h"

#include <cstring>

namespace helix::rt {

namespace {

float floatFromBits(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

// Safetensors data is little-endian; assembling bytes keeps the reader
// correct on any host and compiles to plain loads on little-endian ones.
uint16_t load16(const uint8_t *src) {
  return static_cast<uint16_t>(src[0] | (src[1] << 8));
}

uint32_t load32(const uint8_t *src) {
  return uint32_t(src[0]) | (uint32_t(src[1]) << 8) | (uint32_t(src[2]) << 16) |
         (uint32_t(src[3]) << 24);
}

} // namespace

std::optional<helix_dtype> parseDtype(std::string_view name) {
  if (name == "F32")
    return HELIX_DTYPE_F32;
  if (name == "BF16")
    return HELIX_DTYPE_BF16;
  if (name == "F16")
    return HELIX_DTYPE_F16;
  return std::nullopt;
}

const char *dtypeName(helix_dtype dtype) {
  switch (dtype) {
  case HELIX_DTYPE_F32:
    return "F32";
  case HELIX_DTYPE_BF16:
    return "BF16";
  case HELIX_DTYPE_F16:
    return "F16";
  }
  return "?";
}

size_t dtypeSize(helix_dtype dtype) { return dtype == HELIX_DTYPE_F32 ? 4 : 2; }

float bfloat16ToFloat(uint16_t bits) {
  return floatFromBits(uint32_t(bits) << 16);
}

float halfToFloat(uint16_t bits) {
  uint32_t sign = uint32_t(bits >> 15) << 31;
  uint32_t exponent = (bits >> 10) & 0x1f;
  uint32_t mantissa = bits & 0x3ff;
  if (exponent == 0x1f) // Infinity or NaN; the payload keeps its quiet bit.
    return floatFromBits(sign | 0x7f800000u | (mantissa << 13));
  if (exponent != 0) // Normal: rebias the exponent from 15 to 127.
    return floatFromBits(sign | ((exponent + 112) << 23) | (mantissa << 13));
  if (mantissa == 0)
    return floatFromBits(sign);
  // Subnormal half (mantissa * 2^-24): every one is a normal float. Shift
  // the leading one into the implicit bit, lowering the exponent each step.
  uint32_t floatExponent = 113;
  while (!(mantissa & 0x400)) {
    mantissa <<= 1;
    --floatExponent;
  }
  mantissa &= 0x3ff;
  return floatFromBits(sign | (floatExponent << 23) | (mantissa << 13));
}

void convertToFloat(helix_dtype dtype, const uint8_t *src, size_t count,
                    float *dst) {
  switch (dtype) {
  case HELIX_DTYPE_F32:
    for (size_t i = 0; i < count; ++i)
      dst[i] = floatFromBits(load32(src + 4 * i));
    return;
  case HELIX_DTYPE_BF16:
    for (size_t i = 0; i < count; ++i)
      dst[i] = bfloat16ToFloat(load16(src + 2 * i));
    return;
  case HELIX_DTYPE_F16:
    for (size_t i = 0; i < count; ++i)
      dst[i] = halfToFloat(load16(src + 2 * i));
    return;
  }
}

void convertBlock(helix_dtype from, const uint8_t *src, size_t count,
                  helix_dtype to, uint8_t *dst) {
  if (count == 0) // an empty block may come with null pointers
    return;
  if (from == to) {
    std::memcpy(dst, src, count * dtypeSize(from));
    return;
  }
  // Only float is a wider target; the caller checked.
  if (reinterpret_cast<uintptr_t>(dst) % alignof(float) == 0) {
    convertToFloat(from, src, count, reinterpret_cast<float *>(dst));
    return;
  }
  float value;
  for (size_t i = 0; i < count; ++i) {
    convertToFloat(from, src + i * dtypeSize(from), 1, &value);
    std::memcpy(dst + 4 * i, &value, sizeof(value));
  }
}

} // namespace helix::rt
