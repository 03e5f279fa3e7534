//===- TokenizerFuzz.cpp - tokenizer.json, then text through it -----------===//
//
// The input is a tokenizer.json: load it; one that loads encodes and decodes
// a fixed text with special tokens, invalid UTF-8, digits and spaces, and
// streams the ids back.
//
//===----------------------------------------------------------------------===//
#include "FuzzInput.h"
#include "Tokenizer/Tokenizer.h"

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string path = helix::fuzz::writeInput("tokenizer.json", data, size);
  std::string error;
  std::unique_ptr<helix::tok::Tokenizer> tokenizer =
      helix::tok::Tokenizer::load(path, error);
  if (!tokenizer)
    return 0;
  static const std::string text =
      "Hello, wor1d!  12345 <|begin_of_text|> \xe4\xbd\xa0\xe5\xa5\xbd \xff\xfe "
      "\xf0\x9f\x98\x80 e\xcc\x81   \n\tend";
  std::vector<int64_t> ids = tokenizer->encode(text, true);
  (void)tokenizer->decode(ids, false);
  (void)tokenizer->decode(ids, true);
  return 0;
}
