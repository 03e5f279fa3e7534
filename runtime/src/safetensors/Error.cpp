//===- Error.cpp - One-line error messages of the safetensors reader ------===//
#include "Error.h"

#include <cstdio>

namespace helix::rt {

std::string quote(std::string_view text) {
  std::string quoted = "\"";
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      quoted += '\\';
      quoted += c;
    } else if (byte < 0x20 || byte == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\x%02x", byte);
      quoted += escaped;
    } else {
      quoted += c;
    }
  }
  quoted += '"';
  return quoted;
}

std::string shapeString(const std::vector<int64_t> &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

void copyError(const std::string &message, char *buffer, size_t bufferSize) {
  if (!buffer || bufferSize == 0)
    return;
  size_t length =
      message.size() < bufferSize - 1 ? message.size() : bufferSize - 1;
  for (size_t i = 0; i < length; ++i) {
    char c = message[i];
    buffer[i] = (c == '\n' || c == '\r') ? ' ' : c;
  }
  buffer[length] = '\0';
}

} // namespace helix::rt
