//===- helix-tokenize.cpp - a model directory's tokenizer from the shell --===//
//
//   helix-tokenize MODEL [--no-special] TEXT...   ids of each TEXT, one line each
//   helix-tokenize MODEL --decode ID...           the text of the ids
//   helix-tokenize MODEL --batch IN.json --output OUT.json
//
// MODEL is a model directory or its tokenizer.json. The batch mode reads
// {"texts": [hex of bytes...], "ids": [[id...]...]} and writes, for every
// text, its ids with and without the special template, and for every id
// list its text with special tokens kept and skipped, and the streamed
// text's pieces (test/tokenizer/check_tokenizer.py compares them with the
// Hugging Face library).
//
//===----------------------------------------------------------------------===//
#include "Tokenizer/Tokenizer.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

using namespace helix::tok;

namespace {

const char *kUsage =
    "usage: helix-tokenize MODEL [--no-special] TEXT...\n"
    "       helix-tokenize MODEL --decode ID...\n"
    "       helix-tokenize MODEL --batch IN.json --output OUT.json\n";

int fail(const std::string &message) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
  return 1;
}

std::string fromHex(const std::string &hex) {
  std::string bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return bytes;
}

int batch(const Tokenizer &tokenizer, const std::string &input,
          const std::string &output) {
  std::ifstream in(input);
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json doc = nlohmann::json::parse(text.str(), nullptr, false);
  if (!in || doc.is_discarded())
    return fail("cannot read " + input);
  nlohmann::json out;
  out["encode"] = nlohmann::json::array();
  out["encode_special"] = nlohmann::json::array();
  for (const auto &hex : doc.value("texts", nlohmann::json::array())) {
    std::string bytes = fromHex(hex.get<std::string>());
    out["encode"].push_back(tokenizer.encode(bytes, false));
    out["encode_special"].push_back(tokenizer.encode(bytes, true));
  }
  out["decode"] = nlohmann::json::array();
  out["decode_skip"] = nlohmann::json::array();
  out["stream"] = nlohmann::json::array();
  for (const auto &list : doc.value("ids", nlohmann::json::array())) {
    std::vector<int64_t> ids = list.get<std::vector<int64_t>>();
    out["decode"].push_back(tokenizer.decode(ids, false));
    out["decode_skip"].push_back(tokenizer.decode(ids, true));
    StreamDecoder stream(tokenizer, false);
    nlohmann::json pieces = nlohmann::json::array();
    for (int64_t id : ids)
      pieces.push_back(stream.push(id));
    pieces.push_back(stream.finish());
    out["stream"].push_back(pieces);
  }
  std::ofstream file(output);
  file << out.dump(1) << "\n";
  return file ? 0 : fail("cannot write " + output);
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2 || std::string(argv[1]) == "-h" ||
      std::string(argv[1]) == "--help") {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  std::string error;
  std::unique_ptr<Tokenizer> tokenizer = Tokenizer::load(argv[1], error);
  if (!tokenizer)
    return fail(error);
  std::string mode = argc > 2 ? argv[2] : "";
  if (mode == "--batch") {
    if (argc != 6 || std::string(argv[4]) != "--output")
      return fail("--batch needs IN.json --output OUT.json");
    return batch(*tokenizer, argv[3], argv[5]);
  }
  if (mode == "--decode") {
    std::vector<int64_t> ids;
    for (int i = 3; i < argc; ++i) {
      char *end = nullptr;
      errno = 0;
      long long id = std::strtoll(argv[i], &end, 10);
      if (errno || *end || end == argv[i])
        return fail(std::string("not a token id: '") + argv[i] + "'");
      ids.push_back(id);
    }
    std::printf("%s\n", tokenizer->decode(ids, false).c_str());
    return 0;
  }
  bool special = true;
  int first = 2;
  if (mode == "--no-special") {
    special = false;
    ++first;
  }
  for (int i = first; i < argc; ++i) {
    std::vector<int64_t> ids = tokenizer->encode(argv[i], special);
    for (size_t k = 0; k < ids.size(); ++k)
      std::printf("%s%lld", k ? " " : "", static_cast<long long>(ids[k]));
    std::printf("\n");
  }
  return 0;
}
