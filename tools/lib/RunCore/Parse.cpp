//===- Parse.cpp - command-line numbers of the run tools ------------------===//
#include "RunCore/Parse.h"

#include <cerrno>
#include <cstdlib>

namespace helix::run {

bool parseInteger(const std::string &text, int64_t &out) {
  char *end = nullptr;
  errno = 0;
  long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || errno != 0 || *end != '\0')
    return false;
  out = value;
  return true;
}

bool parseReal(const std::string &text, double &out) {
  char *end = nullptr;
  errno = 0;
  double value = std::strtod(text.c_str(), &end);
  if (text.empty() || errno != 0 || *end != '\0')
    return false;
  out = value;
  return true;
}

} // namespace helix::run
