//===- Dtype.h - Storage formats the planner models ------------*- C++ -*-===//
#ifndef HELIX_PLANNER_DTYPE_H
#define HELIX_PLANNER_DTYPE_H

#include <optional>
#include <string>

namespace helix::planner {

/// The format of weights and KV cache. Activations and collective payloads
/// stay bf16 whatever the storage format (as in NVFP4/FP8 inference stacks).
// FP32: weights, KV cache and activations all fp32, as the CPU backend runs
// an fp32 checkpoint (what helix-calibrate's measurements are checked on).
enum class Dtype { FP4, FP8, BF16, FP32 };

std::optional<Dtype> parseDtype(const std::string &name);
const char *dtypeName(Dtype dtype);

/// Bytes per stored element, scale factors included. NVFP4 packs 16 E2M1
/// values with one E4M3 block scale: 4.5 bits (NVIDIA Blackwell NVFP4 format
/// description); FP8 E4M3 uses per-tensor/per-channel scales, negligible.
double storageBytes(Dtype dtype);

/// Bytes of one activation element in collectives and workspace (bf16).
/// Bytes of one activation and collective payload element: bf16 on GPUs
/// whatever the storage format, fp32 for an fp32 run.
double activationBytes(Dtype dtype);

} // namespace helix::planner

#endif // HELIX_PLANNER_DTYPE_H
