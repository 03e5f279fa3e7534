//===- Normalizer.cpp - tokenizer.json "normalizer" -----------------------===//
#include "Tokenizer/Normalizer.h"
#include "Tokenizer/Spec.h"

#include <nlohmann/json.hpp>

#include <vector>

namespace helix::tok {

void replaceAll(std::string &text, const std::string &from,
                const std::string &to) {
  if (from.empty())
    return;
  std::string out;
  size_t at = 0;
  for (size_t hit; (hit = text.find(from, at)) != std::string::npos;
       at = hit + from.size())
    out.append(text, at, hit - at).append(to);
  out.append(text, at, std::string::npos);
  text = std::move(out);
}

bool makeNormalizer(const nlohmann::json &spec, Normalizer &out,
                    std::string &error) {
  if (spec.is_null()) {
    out = [](std::string &) {};
    return true;
  }
  std::string type = typeOf(spec);
  if (type == "Sequence") {
    std::vector<Normalizer> steps;
    if (!makeSteps(spec.at("normalizers"), makeNormalizer, steps, error))
      return false;
    out = [steps](std::string &text) {
      for (const Normalizer &step : steps)
        step(text);
    };
    return true;
  }
  if (type == "Prepend") {
    std::string prefix = spec.at("prepend").get<std::string>();
    out = [prefix](std::string &text) {
      if (!text.empty())
        text.insert(0, prefix);
    };
    return true;
  }
  if (type == "Replace") {
    std::string from, to = spec.at("content").get<std::string>();
    if (!stringPattern(spec.at("pattern"), from, "normalizer Replace", error))
      return false;
    out = [from, to](std::string &text) { replaceAll(text, from, to); };
    return true;
  }
  error = unsupported("normalizer", type);
  return false;
}

} // namespace helix::tok
