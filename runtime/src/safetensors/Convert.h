//===- Convert.h - Safetensors dtypes, conversion to float ------*- C++ -*-===//
#ifndef HELIX_RT_SAFETENSORS_CONVERT_H
#define HELIX_RT_SAFETENSORS_CONVERT_H

#include "helix_rt/safetensors.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace helix::rt {

/// The dtype spelled `name` in a safetensors header, if it is one we read.
std::optional<helix_dtype> parseDtype(std::string_view name);

const char *dtypeName(helix_dtype dtype);
size_t dtypeSize(helix_dtype dtype);

/// bfloat16 is the top half of a float32.
float bfloat16ToFloat(uint16_t bits);

/// IEEE 754 binary16, including subnormals, infinities and NaN payloads.
float halfToFloat(uint16_t bits);

/// Converts `count` little-endian values of `dtype` at `src` (any alignment)
/// to float.
void convertToFloat(helix_dtype dtype, const uint8_t *src, size_t count,
                    float *dst);

/// Converts `count` values of `from` at `src` to `to` at `dst` (any
/// alignment): to float from any dtype, or a plain copy when the two match.
void convertBlock(helix_dtype from, const uint8_t *src, size_t count,
                  helix_dtype to, uint8_t *dst);

} // namespace helix::rt

#endif // HELIX_RT_SAFETENSORS_CONVERT_H
