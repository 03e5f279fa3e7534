//===- Dtype.cpp - Storage formats the planner models ---------------------===//
#include "helix/Planner/Dtype.h"

namespace helix::planner {

std::optional<Dtype> parseDtype(const std::string &name) {
  if (name == "fp4")
    return Dtype::FP4;
  if (name == "fp8")
    return Dtype::FP8;
  if (name == "bf16")
    return Dtype::BF16;
  if (name == "fp32")
    return Dtype::FP32;
  return std::nullopt;
}

const char *dtypeName(Dtype dtype) {
  switch (dtype) {
  case Dtype::FP4:
    return "fp4";
  case Dtype::FP8:
    return "fp8";
  case Dtype::BF16:
    return "bf16";
  case Dtype::FP32:
    return "fp32";
  }
  return "?";
}

double storageBytes(Dtype dtype) {
  switch (dtype) {
  case Dtype::FP4:
    return 4.5 / 8.0; // E2M1 + one E4M3 scale per 16 values
  case Dtype::FP8:
    return 1.0;
  case Dtype::BF16:
    return 2.0;
  case Dtype::FP32:
    return 4.0;
  }
  return 2.0;
}

double activationBytes(Dtype dtype) {
  return dtype == Dtype::FP32 ? 4.0 : 2.0;
}

} // namespace helix::planner
