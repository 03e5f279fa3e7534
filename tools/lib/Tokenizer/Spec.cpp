//===- Spec.cpp - reading tokenizer.json's component objects --------------===//
#include "Tokenizer/Spec.h"

namespace helix::tok {

std::string typeOf(const nlohmann::json &spec) {
  auto it = spec.find("type");
  return it != spec.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string unsupported(const std::string &what, const std::string &type) {
  return "unsupported " + what + " '" + type + "'";
}

bool stringPattern(const nlohmann::json &pattern, std::string &out,
                   const std::string &where, std::string &error) {
  if (pattern.contains("String")) {
    out = pattern.at("String").get<std::string>();
    return true;
  }
  error = where + ": only string patterns are supported, got " + pattern.dump();
  return false;
}

int64_t integer(const nlohmann::json &value) {
  if (!value.is_number_integer())
    throw nlohmann::json::type_error::create(
        302, std::string("expected an integer, got ") + value.dump(), &value);
  return value.get<int64_t>();
}

size_t nonNegative(const nlohmann::json &value) {
  int64_t n = integer(value);
  if (n < 0)
    throw nlohmann::json::type_error::create(
        302, "expected a count, got " + std::to_string(n), &value);
  return size_t(n);
}

bool flag(const nlohmann::json &spec, const char *key, bool fallback) {
  auto it = spec.find(key);
  return it != spec.end() && it->is_boolean() ? it->get<bool>() : fallback;
}

bool metaspaceSpec(const nlohmann::json &spec, MetaspaceSpec &out,
                   std::string &error) {
  out.replacement = spec.value("replacement", std::string("\u2581"));
  if (spec.contains("prepend_scheme"))
    out.scheme = spec.at("prepend_scheme").get<std::string>();
  else
    out.scheme = flag(spec, "add_prefix_space", true) ? "always" : "never";
  if (out.scheme == "always" || out.scheme == "first" || out.scheme == "never")
    return true;
  error = unsupported("Metaspace prepend_scheme", out.scheme);
  return false;
}

} // namespace helix::tok
