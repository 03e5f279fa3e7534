//===- Text.cpp - text in, text out: flags, tokenizer, stop ids -----------===//
#include "RunCore/Text.h"
#include "RunCore/Parse.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace helix::run {
namespace {

bool exists(const std::string &path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0;
}

/// eos_token_id of one JSON file (absent file or key: nothing).
bool readStopIds(const std::string &path, std::vector<int64_t> &ids,
                 std::string &error) {
  if (!exists(path))
    return true;
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  auto doc = nlohmann::json::parse(text.str(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    error = path + ": not a JSON object";
    return false;
  }
  auto it = doc.find("eos_token_id");
  if (it == doc.end() || it->is_null())
    return true;
  auto add = [&](const nlohmann::json &id) {
    if (!id.is_number_integer())
      return false;
    if (std::find(ids.begin(), ids.end(), id.get<int64_t>()) == ids.end())
      ids.push_back(id.get<int64_t>());
    return true;
  };
  bool ok = it->is_array() ? std::all_of(it->begin(), it->end(), add) : add(*it);
  if (!ok)
    error = path + ": eos_token_id must be an integer or a list of integers, got " +
            it->dump();
  return ok;
}

} // namespace

bool takeTextFlag(int argc, char **argv, int &i, TextOptions &o, bool &taken,
                  std::string &error) {
  std::string arg = argv[i];
  taken = true;
  if (arg == "--tokenize-only") {
    o.tokenizeOnly = true;
    return true;
  }
  if (arg == "--ignore-eos") {
    o.ignoreEos = true;
    return true;
  }
  bool real = arg == "--temperature" || arg == "--top-p";
  bool integer = arg == "--top-k" || arg == "--seed";
  if (!real && !integer && arg != "--prompt") {
    taken = false;
    return true;
  }
  if (i + 1 >= argc) {
    error = "option " + arg + " needs a value";
    return false;
  }
  std::string value = argv[++i];
  if (arg == "--prompt") {
    o.prompts.push_back(value);
    return true;
  }
  int64_t whole = 0;
  double number = 0;
  if ((real && !parseReal(value, number)) ||
      (integer && !parseInteger(value, whole))) {
    error = "option " + arg + " expects " + (real ? "a number" : "an integer") +
            ", got '" + value + "'";
    return false;
  }
  if (arg == "--temperature")
    o.sampling.temperature = number;
  else if (arg == "--top-p")
    o.sampling.topP = number;
  else if (arg == "--top-k")
    o.sampling.topK = whole;
  else
    o.sampling.seed = static_cast<uint64_t>(whole);
  return true;
}

std::string checkTextOptions(const TextOptions &o, const std::string &promptsPath) {
  if (!o.prompts.empty() && !promptsPath.empty())
    return "give --prompts FILE or --prompt TEXT, not both";
  if (o.prompts.empty() && promptsPath.empty())
    return "missing required option --prompts (or --prompt TEXT)";
  return checkSampling(o.sampling);
}

bool loadModelText(const std::string &dir, int64_t vocab, ModelText &out,
                   std::string &error) {
  std::string file = dir + "/tokenizer.json";
  if (exists(file)) {
    out.tokenizer = tok::Tokenizer::load(file, error);
    if (!out.tokenizer)
      return false;
    if (out.tokenizer->size() > vocab) {
      error = file + " has token ids up to " +
              std::to_string(out.tokenizer->size() - 1) +
              " but config.json's vocab_size is " + std::to_string(vocab);
      return false;
    }
  }
  for (const char *name : {"config.json", "generation_config.json"})
    if (!readStopIds(dir + "/" + name, out.stopIds, error))
      return false;
  return true;
}

std::optional<Prompts> gatherPrompts(const TextOptions &options,
                                     const std::string &promptsPath,
                                     int64_t vocab, int64_t maxContext,
                                     const ModelText &text, std::string &error) {
  std::optional<Prompts> prompts;
  if (options.prompts.empty()) {
    prompts = loadPrompts(promptsPath, vocab, error, text.tokenizer.get());
  } else {
    prompts.emplace();
    for (size_t s = 0; s < options.prompts.size(); ++s) {
      auto ids = encodePrompt(options.prompts[s], text.tokenizer.get(),
                              "--prompt " + std::to_string(s), error);
      if (!ids)
        return std::nullopt;
      prompts->push_back(std::move(*ids));
    }
  }
  if (!prompts)
    return std::nullopt;
  for (size_t s = 0; s < prompts->size() && maxContext > 0; ++s)
    if (static_cast<int64_t>((*prompts)[s].size()) > maxContext) {
      error = "prompt " + std::to_string(s) + " is " +
              std::to_string((*prompts)[s].size()) +
              " tokens, more than --max-context " + std::to_string(maxContext);
      return std::nullopt;
    }
  return prompts;
}

bool writePromptTokens(const std::string &output, const Prompts &prompts,
                       std::string &error) {
  if (output.empty()) {
    error = "--tokenize-only needs --output out.json";
    return false;
  }
  std::string tmp = output + ".tmp";
  {
    std::ofstream out(tmp);
    out << nlohmann::json{{"prompt_tokens", prompts}}.dump(1) << "\n";
    if (!out) {
      std::remove(tmp.c_str());
      error = "cannot write " + output;
      return false;
    }
  }
  if (std::rename(tmp.c_str(), output.c_str()) != 0) {
    std::remove(tmp.c_str());
    error = "cannot write " + output;
    return false;
  }
  return true;
}

TextPrinter::TextPrinter(const tok::Tokenizer &tokenizer, int64_t batch)
    : tokenizer(tokenizer), pending(batch) {
  for (int64_t s = 0; s < batch; ++s)
    streams.emplace_back(tokenizer, /*skipSpecial=*/true);
}

void TextPrinter::onToken(int64_t s, int64_t token, bool last) {
  std::string piece = streams[s].push(token);
  if (last)
    piece += streams[s].finish();
  if (streams.size() == 1) {
    std::fputs(piece.c_str(), stdout);
    if (last)
      std::fputs("\n", stdout);
    std::fflush(stdout);
    return;
  }
  // Several sequences stream too, one tagged line per piece as it arrives
  // ("[N] piece"), then each whole text when its sequence ends.
  if (!piece.empty()) {
    std::printf("[%lld] %s\n", static_cast<long long>(s), piece.c_str());
    std::fflush(stdout);
  }
  pending[s] += piece;
  if (last) {
    std::printf("text %lld: %s\n", static_cast<long long>(s), pending[s].c_str());
    std::fflush(stdout);
  }
}

std::vector<std::string> TextPrinter::texts(const DecodeResult &result) const {
  std::vector<std::string> out;
  for (const std::vector<int64_t> &ids : result.tokens)
    out.push_back(tokenizer.decode(ids, /*skipSpecial=*/true));
  return out;
}

DecodeControl decodeControl(const TextOptions &options, const ModelText &text,
                            TextPrinter *printer) {
  DecodeControl control;
  control.sampling = options.sampling;
  if (!options.ignoreEos)
    control.stopIds = text.stopIds;
  if (printer)
    control.onToken = [printer](int64_t s, int64_t token, bool last) {
      printer->onToken(s, token, last);
    };
  return control;
}

} // namespace helix::run
