//===- layout.h - the Helix layout: one value type, one text form -*- C++ -*-===//
//
// The layout a module is sharded for, as the compiler's passes, the planner,
// the driver, the manifest and the runtime all see it. One Helix layout uses
// the same N ranks twice per layer, with two grids:
//
//   attention grid  N = kvp x tpa   rank r = kvpIndex * tpa + tpaIndex
//   FFN grid        N = ep  x tpf   rank r = epIndex  * tpf + tpfIndex
//
// Its text form, printed by str() and read by parseLayout, is what
// `helix-run --layout` takes: "kvp=8,tpa=8,tpf=64,ep=1,microbatches=2,
// kv-block=16" (keys in any order, missing ones at their defaults). Whether a
// layout can run a model is helix::sharding::validateLayout (the compiler's
// rules); the runtime needs only the world size. Header-only, no
// dependencies.
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_RT_LAYOUT_H
#define HELIX_RT_LAYOUT_H

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace helix_rt {

struct Layout {
  int64_t kvp = 1;          // KV-cache (sequence) parallelism in attention
  int64_t tpa = 1;          // head (tensor) parallelism in attention
  int64_t tpf = 1;          // tensor parallelism inside one expert group
  int64_t ep = 1;           // expert parallelism (number of expert groups)
  int64_t microbatches = 1; // HOP-B micro-batches
  int64_t kvBlock = 16;     // tokens appended to one KVP rank in a row

  /// N, the number of ranks: kvp * tpa (equal to tpf * ep when valid).
  int64_t worldSize() const { return kvp * tpa; }

  /// "kvp=K,tpa=T,tpf=F,ep=E,microbatches=M,kv-block=B".
  std::string str() const {
    return "kvp=" + std::to_string(kvp) + ",tpa=" + std::to_string(tpa) +
           ",tpf=" + std::to_string(tpf) + ",ep=" + std::to_string(ep) +
           ",microbatches=" + std::to_string(microbatches) +
           ",kv-block=" + std::to_string(kvBlock);
  }

  bool operator==(const Layout &o) const {
    return kvp == o.kvp && tpa == o.tpa && tpf == o.tpf && ep == o.ep &&
           microbatches == o.microbatches && kvBlock == o.kvBlock;
  }
  bool operator!=(const Layout &o) const { return !(*this == o); }
};

/// Which keys a parsed text named (the others kept their defaults).
struct LayoutKeys {
  bool kvp = false, tpa = false, tpf = false, ep = false;
  bool microbatches = false, kvBlock = false;
};

/// Reads the text form into `out` (starting from its current values). False
/// with a one-line `error` for an empty text, an empty item, an unknown or
/// repeated key, or a value that is not an integer in [1, 2^31).
inline bool parseLayout(const std::string &text, Layout &out,
                        std::string &error, LayoutKeys *named = nullptr) {
  LayoutKeys seen;
  if (text.empty()) {
    error = "the layout is empty (expected kvp=K,tpa=T,tpf=F,ep=E)";
    return false;
  }
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos)
      end = text.size();
    std::string item = text.substr(start, end - start);
    size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      error = "layout item '" + item + "' is not key=value (in '" + text + "')";
      return false;
    }
    std::string key = item.substr(0, eq), value = item.substr(eq + 1);
    struct Field {
      const char *key;
      int64_t *value;
      bool *seen;
    } fields[] = {{"kvp", &out.kvp, &seen.kvp},
                  {"tpa", &out.tpa, &seen.tpa},
                  {"tpf", &out.tpf, &seen.tpf},
                  {"ep", &out.ep, &seen.ep},
                  {"microbatches", &out.microbatches, &seen.microbatches},
                  {"kv-block", &out.kvBlock, &seen.kvBlock}};
    Field *field = nullptr;
    for (Field &f : fields)
      if (key == f.key)
        field = &f;
    if (!field) {
      error = "layout has unknown key '" + key +
              "' (use kvp, tpa, tpf, ep, microbatches, kv-block)";
      return false;
    }
    if (*field->seen) {
      error = "layout names '" + key + "' twice (in '" + text + "')";
      return false;
    }
    char *rest = nullptr;
    errno = 0;
    long long v = value.empty() ? 0 : std::strtoll(value.c_str(), &rest, 10);
    if (value.empty() || errno != 0 || *rest != '\0' || v < 1 ||
        v >= (1LL << 31)) {
      error = "layout " + key + " must be an integer from 1 to 2^31-1, got '" +
              value + "'";
      return false;
    }
    *field->value = v;
    *field->seen = true;
    start = end + 1;
  }
  if (named)
    *named = seen;
  return true;
}

} // namespace helix_rt

#endif // HELIX_RT_LAYOUT_H
