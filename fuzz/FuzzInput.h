//===- FuzzInput.h - fuzz input as a file, for path-based readers -*- C++ -*-===//
//
// The readers under test take paths (the tools read files people
// download), so an input is written to a per-process scratch file and the
// real path is exercised, mapping and all.
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_FUZZ_FUZZINPUT_H
#define HELIX_FUZZ_FUZZINPUT_H

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace helix::fuzz {

/// A directory of this process's own under /tmp (created once).
inline const std::string &scratchDir() {
  static const std::string dir = [] {
    std::string d = "/tmp/helix-fuzz-" + std::to_string(getpid());
    mkdir(d.c_str(), 0700);
    return d;
  }();
  return dir;
}

/// Writes `size` bytes to scratchDir()/name and returns its path.
inline std::string writeInput(const std::string &name, const uint8_t *data,
                              size_t size) {
  std::string path = scratchDir() + "/" + name;
  if (FILE *f = std::fopen(path.c_str(), "wb")) {
    if (size)
      std::fwrite(data, 1, size, f);
    std::fclose(f);
  }
  return path;
}

} // namespace helix::fuzz

#endif // HELIX_FUZZ_FUZZINPUT_H
