//===- Text.h - text in, text out: flags, tokenizer, stop ids ---*- C++ -*-===//
//
// What helix-run and helix-run-module share for text: the flags (--prompt,
// sampling, --tokenize-only, --ignore-eos), the model directory's
// tokenizer.json and eos ids, and the printer that streams new text.
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_TOOLS_RUNCORE_TEXT_H
#define HELIX_TOOLS_RUNCORE_TEXT_H

#include "RunCore/Decode.h"
#include "Tokenizer/Tokenizer.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace helix::run {

struct TextOptions {
  std::vector<std::string> prompts; // --prompt TEXT, in order
  Sampling sampling;
  bool tokenizeOnly = false; // write prompt_tokens and stop
  bool ignoreEos = false;    // always run --max-new-tokens (benchmarks)
};

/// When argv[i] is one of the text flags, consumes it and its value
/// (advancing i) and sets `taken`. False with `error` for a bad value.
bool takeTextFlag(int argc, char **argv, int &i, TextOptions &options,
                  bool &taken, std::string &error);

/// "" when `options` and the prompt sources agree (one of --prompts and
/// --prompt, valid sampling values), else the one-line reason.
std::string checkTextOptions(const TextOptions &options,
                             const std::string &promptsPath);

/// The model directory's text side.
struct ModelText {
  std::unique_ptr<tok::Tokenizer> tokenizer; // null: no tokenizer.json
  std::vector<int64_t> stopIds; // eos_token_id of config.json and
                                // generation_config.json (int or list)
};

/// Reads `dir`'s tokenizer.json (if there is one; its ids must fit in
/// `vocab`) and eos ids. False with a one-line `error`.
bool loadModelText(const std::string &dir, int64_t vocab, ModelText &out,
                   std::string &error);

/// The prompts: the --prompt texts, else prompts.json; each no longer than
/// `maxContext` tokens when that is set. nullopt with `error`.
std::optional<Prompts> gatherPrompts(const TextOptions &options,
                                     const std::string &promptsPath,
                                     int64_t vocab, int64_t maxContext,
                                     const ModelText &text, std::string &error);

/// --tokenize-only: out.json with "prompt_tokens" alone (atomically).
bool writePromptTokens(const std::string &output, const Prompts &prompts,
                       std::string &error);

/// Streams new text to stdout as rank 0 chooses tokens: one sequence's text
/// as it arrives; with several, each piece as it arrives on a line tagged
/// "[N] ", and each sequence's whole text when it ends, as "text N: ...".
/// Special tokens (the eos) are left out.
class TextPrinter {
public:
  TextPrinter(const tok::Tokenizer &tokenizer, int64_t batch);
  void onToken(int64_t s, int64_t token, bool last);
  /// Every sequence's text, for out.json.
  std::vector<std::string> texts(const DecodeResult &result) const;

private:
  const tok::Tokenizer &tokenizer;
  std::vector<tok::StreamDecoder> streams;
  std::vector<std::string> pending; // several sequences: text until it ends
};

/// The decode control of a run: sampling, stop ids (none with
/// --ignore-eos) and, with a tokenizer, `printer`'s token sink.
DecodeControl decodeControl(const TextOptions &options, const ModelText &text,
                            TextPrinter *printer);

} // namespace helix::run

#endif // HELIX_TOOLS_RUNCORE_TEXT_H
