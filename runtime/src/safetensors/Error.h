//===- Error.h - One-line messages of the safetensors reader ----*- C++ -*-===//
//
// Messages name the file (and tensor) and the problem on a single line, so
// that a caller can print them after "error: " without reformatting. Names
// come from untrusted headers, hence the escaping.
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_RT_SAFETENSORS_ERROR_H
#define HELIX_RT_SAFETENSORS_ERROR_H

#include "helix_rt/status.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace helix::rt {

/// A failed step: its status and its one-line message. Default is success.
struct Failure {
  helix_status status = HELIX_OK;
  std::string message;

  explicit operator bool() const { return status != HELIX_OK; }
};

/// `text` in double quotes, with quotes, backslashes and control bytes escaped.
std::string quote(std::string_view text);

/// A shape as "[2, 3]".
std::string shapeString(const std::vector<int64_t> &shape);

/// Copies `message` into the caller's buffer (if any), truncated and
/// NUL-terminated, with any line break replaced so it stays one line.
void copyError(const std::string &message, char *buffer, size_t bufferSize);

} // namespace helix::rt

#endif // HELIX_RT_SAFETENSORS_ERROR_H
