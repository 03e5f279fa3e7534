//===- Spec.h - reading tokenizer.json's component objects ------*- C++ -*-===//
#ifndef HELIX_TOOLS_TOKENIZER_SPEC_H
#define HELIX_TOOLS_TOKENIZER_SPEC_H

#include <nlohmann/json.hpp>

#include <string>

namespace helix::tok {

/// A component's "type" ("" when it has none).
std::string typeOf(const nlohmann::json &spec);

/// "unsupported <what> '<type>'": the one-line refusal of a kind.
std::string unsupported(const std::string &what, const std::string &type);

/// A {"String": s} pattern's text; false with `error` for a {"Regex": ..}
/// where only strings are supported (`where` names the component).
bool stringPattern(const nlohmann::json &pattern, std::string &out,
                   const std::string &where, std::string &error);

/// A boolean field that may be absent (then `fallback`).
bool flag(const nlohmann::json &spec, const char *key, bool fallback);

} // namespace helix::tok

#endif // HELIX_TOOLS_TOKENIZER_SPEC_H
