//===- Parse.h - command-line numbers of the run tools ----------*- C++ -*-===//
#ifndef HELIX_TOOLS_RUNCORE_PARSE_H
#define HELIX_TOOLS_RUNCORE_PARSE_H

#include <cstdint>
#include <string>

namespace helix::run {

/// The whole of `text` as a base-10 integer; false (out untouched) if it
/// is empty, out of range or has anything else in it.
bool parseInteger(const std::string &text, int64_t &out);

/// The whole of `text` as a number (strtod's syntax), likewise.
bool parseReal(const std::string &text, double &out);

} // namespace helix::run

#endif // HELIX_TOOLS_RUNCORE_PARSE_H
