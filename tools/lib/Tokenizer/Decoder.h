//===- Decoder.h - tokenizer.json "decoder" ---------------------*- C++ -*-===//
#ifndef HELIX_TOOLS_TOKENIZER_DECODER_H
#define HELIX_TOOLS_TOKENIZER_DECODER_H

#include <nlohmann/json_fwd.hpp>

#include <functional>
#include <string>
#include <vector>

namespace helix::tok {

/// Turns token strings into text, step by step as the Hugging Face
/// decode_chain does. Strings hold bytes: ByteLevel yields raw bytes, and
/// the caller makes the joined result valid UTF-8 at the end.
using Decoder = std::function<void(std::vector<std::string> &)>;

struct DecoderInfo {
  /// The chain has ByteFallback: <0xNN> tokens are raw bytes, and a run of
  /// them that is not valid UTF-8 becomes one U+FFFD per byte.
  bool byteFallback = false;
};

/// The decoder `spec` describes (null: tokens joined by spaces). Supported:
/// Sequence, ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip;
/// anything else fails with `error` naming it.
bool makeDecoder(const nlohmann::json &spec, Decoder &out, DecoderInfo &info,
                 std::string &error);

/// Whether `token` is a byte-fallback token "<0xNN>"; its byte in `byte`.
bool isByteToken(const std::string &token, unsigned char &byte);

} // namespace helix::tok

#endif // HELIX_TOOLS_TOKENIZER_DECODER_H
