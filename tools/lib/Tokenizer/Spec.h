//===- Spec.h - reading tokenizer.json's component objects ------*- C++ -*-===//
#ifndef HELIX_TOOLS_TOKENIZER_SPEC_H
#define HELIX_TOOLS_TOKENIZER_SPEC_H

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace helix::tok {

/// A component's "type" ("" when it has none).
std::string typeOf(const nlohmann::json &spec);

/// "unsupported <what> '<type>'": the one-line refusal of a kind.
std::string unsupported(const std::string &what, const std::string &type);

/// A {"String": s} pattern's text; false with `error` for a {"Regex": ..}
/// where only strings are supported (`where` names the component).
bool stringPattern(const nlohmann::json &pattern, std::string &out,
                   const std::string &where, std::string &error);

/// `value` as an integer (an id, a count); a float such as 2e98 or another
/// type throws nlohmann's type error, which the loader reports: nlohmann
/// converts a float to an integer with undefined behaviour (found by
/// fuzz/TokenizerFuzz.cpp).
int64_t integer(const nlohmann::json &value);
/// The same, and not negative.
size_t nonNegative(const nlohmann::json &value);

/// A boolean field that may be absent (then `fallback`).
bool flag(const nlohmann::json &spec, const char *key, bool fallback);

/// Metaspace's settings, shared by the pre-tokenizer and the decoder:
/// the replacement of ' ' and prepend_scheme (always/first/never; older
/// files say add_prefix_space instead). False with `error` for another
/// scheme.
struct MetaspaceSpec {
  std::string replacement;
  std::string scheme;
};
bool metaspaceSpec(const nlohmann::json &spec, MetaspaceSpec &out,
                   std::string &error);

/// A Sequence's steps: `make(spec, step, error)` for every entry of `list`.
template <typename Step, typename Make>
bool makeSteps(const nlohmann::json &list, Make make, std::vector<Step> &steps,
               std::string &error) {
  for (const auto &spec : list) {
    steps.emplace_back();
    if (!make(spec, steps.back(), error))
      return false;
  }
  return true;
}

} // namespace helix::tok

#endif // HELIX_TOOLS_TOKENIZER_SPEC_H
