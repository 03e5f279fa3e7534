//===- Tokenizer.h - a model directory's tokenizer.json ---------*- C++ -*-===//
//
// Text to token ids and back, as the Hugging Face `tokenizers` library does
// for the BPE tokenizers that Llama 3 and DeepSeek V3/R1 (byte-level BPE with
// Split regexes) and Llama 2-era models (SentencePiece-style BPE: Metaspace
// or Prepend/Replace, byte fallback) ship. No MLIR, no runtime: a library of
// its own that helix-run, helix-run-module and helix-tokenize link.
// docs/tokenizer.md says how it works and what it refuses.
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_TOOLS_TOKENIZER_TOKENIZER_H
#define HELIX_TOOLS_TOKENIZER_TOKENIZER_H

#include "Tokenizer/AddedTokens.h"
#include "Tokenizer/Bpe.h"
#include "Tokenizer/Decoder.h"
#include "Tokenizer/Normalizer.h"
#include "Tokenizer/PreTokenizer.h"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace helix::tok {

class Tokenizer {
public:
  /// Loads `path`: a tokenizer.json, or a directory holding one. nullptr
  /// with a one-line `error` for a missing, malformed or unsupported file
  /// (the error names the unsupported kind).
  static std::unique_ptr<Tokenizer> load(const std::string &path,
                                         std::string &error);

  /// The ids of `text` (bytes; ill-formed UTF-8 is read as U+FFFD, as
  /// Python's errors="replace" does). `addSpecial`: the post-processor's
  /// template (e.g. Llama 3's <|begin_of_text|>) is applied.
  std::vector<int64_t> encode(std::string_view text, bool addSpecial) const;

  /// The text of `ids`, valid UTF-8. `skipSpecial` leaves special tokens
  /// out; ids that name no token are skipped.
  std::string decode(const std::vector<int64_t> &ids, bool skipSpecial) const;

  /// decode() before the final UTF-8 repair: raw bytes, possibly ending in
  /// an incomplete sequence (what a streaming decoder holds back).
  std::string decodeBytes(const std::vector<int64_t> &ids,
                          bool skipSpecial) const;

  /// One past the largest id of the vocabulary and the added tokens.
  int64_t size() const;
  /// The id of a token spelled `text` (added tokens first).
  std::optional<int64_t> idOf(const std::string &text) const;
  bool isSpecial(int64_t id) const;
  /// A "<0xNN>" token that the decoder turns into a raw byte.
  bool isByteToken(int64_t id) const;

private:
  Tokenizer() = default;
  bool loadJson(const nlohmann::json &doc, std::string &error);
  void encodeText(const Span &span, bool atStart,
                  std::vector<int64_t> &ids) const;
  const std::string *tokenOf(int64_t id) const;

  std::unique_ptr<Bpe> model;
  AddedTokens added;
  Normalizer normalizer;
  PreTokenizer preTokenizer;
  Decoder decoder;
  DecoderInfo decoderInfo;
  /// The post-processor's single-sequence template: ids before and after.
  std::vector<int64_t> prefix, suffix;
};

/// Decodes ids as they arrive: push() returns the text that is now final
/// (a character whose bytes are not all there yet, or a run of byte
/// tokens, is held back); finish() returns the rest. The pieces joined are
/// exactly decode() of all the ids.
class StreamDecoder {
public:
  StreamDecoder(const Tokenizer &tokenizer, bool skipSpecial)
      : tokenizer(tokenizer), skipSpecial(skipSpecial) {}
  std::string push(int64_t id);
  std::string finish();

private:
  std::string emitFrom(const std::string &text);

  const Tokenizer &tokenizer;
  bool skipSpecial;
  std::vector<int64_t> ids;
  size_t emitted = 0; // bytes of text already returned
};

} // namespace helix::tok

#endif // HELIX_TOOLS_TOKENIZER_TOKENIZER_H
