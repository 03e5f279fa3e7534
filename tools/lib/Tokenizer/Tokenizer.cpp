//===- Tokenizer.cpp - a model directory's tokenizer.json -----------------===//
#include "Tokenizer/Tokenizer.h"
#include "Tokenizer/Spec.h"
#include "Tokenizer/Utf8.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace helix::tok {
namespace {

bool isDirectory(const std::string &path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

/// The ids a post-processor puts before and after a single sequence.
/// Supported: TemplateProcessing, ByteLevel (ids unchanged), Bert and
/// Roberta processing, Sequence of these.
bool postProcessor(const nlohmann::json &spec, std::vector<int64_t> &prefix,
                   std::vector<int64_t> &suffix, std::string &error) {
  if (spec.is_null())
    return true;
  std::string type = typeOf(spec);
  if (type == "Sequence") {
    for (const auto &step : spec.at("processors"))
      if (!postProcessor(step, prefix, suffix, error))
        return false;
    return true;
  }
  if (type == "ByteLevel")
    return true;
  if (type == "BertProcessing" || type == "RobertaProcessing") {
    prefix.push_back(integer(spec.at("cls").at(1)));
    suffix.insert(suffix.begin(), integer(spec.at("sep").at(1)));
    return true;
  }
  if (type != "TemplateProcessing") {
    error = unsupported("post-processor", type);
    return false;
  }
  std::vector<int64_t> before, after;
  bool seenSequence = false;
  for (const auto &piece : spec.at("single")) {
    if (piece.contains("Sequence")) {
      seenSequence = true;
      continue;
    }
    std::string name = piece.at("SpecialToken").at("id").get<std::string>();
    const auto &special = spec.at("special_tokens");
    if (!special.contains(name)) {
      error = "post_processor: special token '" + name + "' is not defined";
      return false;
    }
    for (const auto &id : special.at(name).at("ids"))
      (seenSequence ? after : before).push_back(integer(id));
  }
  prefix.insert(prefix.end(), before.begin(), before.end());
  suffix.insert(suffix.begin(), after.begin(), after.end());
  return true;
}

} // namespace

std::unique_ptr<Tokenizer> Tokenizer::load(const std::string &path,
                                           std::string &error) {
  std::string file = isDirectory(path) ? path + "/tokenizer.json" : path;
  std::ifstream in(file);
  if (!in) {
    error = "cannot read tokenizer '" + file + "'";
    return nullptr;
  }
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json doc = nlohmann::json::parse(text.str(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    error = file + ": not a JSON object";
    return nullptr;
  }
  std::unique_ptr<Tokenizer> tokenizer(new Tokenizer());
  bool ok = false;
  try {
    ok = tokenizer->loadJson(doc, error);
  } catch (const nlohmann::json::exception &e) {
    error = std::string("malformed: ") + e.what();
  }
  if (!ok) {
    error = file + ": " + error;
    return nullptr;
  }
  return tokenizer;
}

bool Tokenizer::loadJson(const nlohmann::json &doc, std::string &error) {
  const nlohmann::json &spec = doc.at("model");
  std::string type = typeOf(spec);
  if (type.empty() && spec.contains("merges"))
    type = "BPE"; // older files leave the type out
  if (type != "BPE") {
    error = unsupported("tokenizer model", type);
    return false;
  }
  if (doc.contains("truncation") && !doc["truncation"].is_null()) {
    error = "unsupported option 'truncation'";
    return false;
  }
  model = Bpe::load(spec, error);
  if (!model || !added.load(doc.value("added_tokens", nlohmann::json()), error))
    return false;
  return makeNormalizer(doc.value("normalizer", nlohmann::json()), normalizer,
                        error) &&
         makePreTokenizer(doc.value("pre_tokenizer", nlohmann::json()),
                          preTokenizer, error) &&
         makeDecoder(doc.value("decoder", nlohmann::json()), decoder,
                     decoderInfo, error) &&
         postProcessor(doc.value("post_processor", nlohmann::json()), prefix,
                       suffix, error);
}

void Tokenizer::encodeText(const Span &span, bool atStart,
                           std::vector<int64_t> &ids) const {
  std::string text = span.text;
  normalizer(text);
  // Added tokens that match normalized text are cut out after normalizing.
  for (const Span &part : added.split(text, /*normalized=*/true)) {
    if (part.id >= 0) {
      ids.push_back(part.id);
      continue;
    }
    std::vector<Piece> pieces{{part.text, atStart && part.offset == 0}};
    preTokenizer(pieces);
    for (const Piece &piece : pieces)
      model->encode(piece.text, ids);
  }
}

std::vector<int64_t> Tokenizer::encode(std::string_view text,
                                       bool addSpecial) const {
  std::string valid = toValidUtf8(text);
  std::vector<int64_t> ids;
  if (addSpecial)
    ids = prefix;
  for (const Span &span : added.split(valid, /*normalized=*/false)) {
    if (span.id >= 0)
      ids.push_back(span.id);
    else
      encodeText(span, span.offset == 0, ids);
  }
  if (addSpecial)
    ids.insert(ids.end(), suffix.begin(), suffix.end());
  return ids;
}

const std::string *Tokenizer::tokenOf(int64_t id) const {
  if (const AddedToken *token = added.byId(id))
    return &token->content;
  return model->tokenOf(id);
}

std::string Tokenizer::decodeBytes(const std::vector<int64_t> &ids,
                                   bool skipSpecial) const {
  std::vector<std::string> tokens;
  for (int64_t id : ids)
    if (const std::string *token = tokenOf(id))
      if (!skipSpecial || !isSpecial(id))
        tokens.push_back(*token);
  decoder(tokens);
  std::string out;
  for (const std::string &token : tokens)
    out += token;
  return out;
}

std::string Tokenizer::decode(const std::vector<int64_t> &ids,
                              bool skipSpecial) const {
  return toValidUtf8(decodeBytes(ids, skipSpecial));
}

int64_t Tokenizer::size() const {
  int64_t n = model->size();
  for (const AddedToken &token : added.all())
    n = std::max(n, token.id + 1);
  return n;
}

std::optional<int64_t> Tokenizer::idOf(const std::string &text) const {
  for (const AddedToken &token : added.all())
    if (token.content == text)
      return token.id;
  return model->idOf(text);
}

bool Tokenizer::isSpecial(int64_t id) const {
  const AddedToken *token = added.byId(id);
  return token && token->special;
}

bool Tokenizer::isByteToken(int64_t id) const {
  unsigned char byte;
  const std::string *token = tokenOf(id);
  return decoderInfo.byteFallback && token && !added.byId(id) &&
         tok::isByteToken(*token, byte);
}

std::string StreamDecoder::emitFrom(const std::string &text) {
  // Text only grows at its end for the supported decoders; if it ever did
  // not, nothing is emitted until finish().
  if (text.size() < emitted)
    return "";
  std::string piece = text.substr(emitted);
  emitted = text.size();
  return piece;
}

std::string StreamDecoder::push(int64_t id) {
  ids.push_back(id);
  // A trailing run of byte tokens may still grow into valid UTF-8 (or turn
  // out not to, which changes how the whole run decodes): hold it.
  size_t stable = ids.size();
  while (stable > 0 && tokenizer.isByteToken(ids[stable - 1]))
    --stable;
  std::string bytes = tokenizer.decodeBytes(
      std::vector<int64_t>(ids.begin(), ids.begin() + stable), skipSpecial);
  bytes.resize(bytes.size() - incompleteTail(bytes));
  return emitFrom(toValidUtf8(bytes));
}

std::string StreamDecoder::finish() {
  return emitFrom(tokenizer.decode(ids, skipSpecial));
}

} // namespace helix::tok
