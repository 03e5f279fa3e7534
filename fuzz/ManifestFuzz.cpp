//===- ManifestFuzz.cpp - a compiled module's manifest --------------------===//
//
// The runtime trusts nothing a module says about itself: the manifest JSON
// every module carries is parsed and checked (manifest_json.h) before a rank
// is created from it.
//
//===----------------------------------------------------------------------===//
#include "helix_rt/manifest_json.h"

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  helix_rt::Manifest manifest;
  std::string error;
  if (helix_rt::parseManifest(
          std::string(reinterpret_cast<const char *>(data), size), manifest,
          error))
    (void)helix_rt::writeManifest(manifest); // and back
  return 0;
}
