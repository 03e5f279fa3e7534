//===- PromptsFuzz.cpp - prompts.json as helix-run reads it ---------------===//
#include "FuzzInput.h"
#include "RunCore/Prompts.h"

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string path = helix::fuzz::writeInput("prompts.json", data, size);
  std::string error;
  if (auto prompts = helix::run::loadPrompts(path, 1000, error))
    (void)helix::run::stepsNeeded(*prompts, 16);
  return 0;
}
