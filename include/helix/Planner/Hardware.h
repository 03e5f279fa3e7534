//===- Hardware.h - GPU and interconnect facts for the planner -*- C++ -*-===//
//
// Presets cite their sources in Hardware.cpp. A custom machine is a JSON file
// (see docs/planner.md) that may start from a preset with "base".
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_PLANNER_HARDWARE_H
#define HELIX_PLANNER_HARDWARE_H

#include "helix/Planner/Dtype.h"

#include <optional>
#include <string>
#include <vector>

namespace helix::planner {

struct Hardware {
  std::string name;
  double hbmBytes = 0;          // capacity per GPU
  double usableHbmFraction = 0; // the rest: CUDA context, NCCL, fragmentation
  double hbmBandwidth = 0;      // bytes/s per GPU
  double flopsBf16 = 0;         // dense tensor-core FLOP/s per GPU
  double flopsFp8 = 0;
  double flopsFp4 = 0;          // = flopsFp8 where FP4 is not native
  int64_t domainSize = 0;       // GPUs in one scale-up (NVLink) domain
  double linkBandwidth = 0;     // achieved bytes/s per GPU per direction
  double collectiveBase = 0;    // seconds, latency of a 2-rank collective
  double collectivePerDoubling = 0; // extra seconds per doubling of ranks
  double scaleOutBandwidth = 0; // bytes/s per GPU across domains
  double scaleOutLatency = 0;   // extra seconds when a group spans domains
  double kernelOverhead = 0;    // seconds per kernel inside a CUDA graph

  /// FLOP/s for GEMMs whose weights are stored as `dtype` (activations are
  /// quantized to the same format: W4A4, W8A8, bf16).
  double gemmFlops(Dtype dtype) const;
  /// FLOP/s for attention: QK^T and PV keep >= 8-bit operands, so an FP4
  /// cache runs at the FP8 rate.
  double attentionFlops(Dtype dtype) const;
  double usableHbmBytes() const { return hbmBytes * usableHbmFraction; }
};

/// Names of the built-in presets.
std::vector<std::string> hardwarePresetNames();
std::optional<Hardware> hardwarePreset(const std::string &name);

/// `nameOrPath` is a preset name or a path to a JSON file. On failure returns
/// nullopt and sets `error` to one line.
std::optional<Hardware> loadHardware(const std::string &nameOrPath,
                                     std::string &error);
std::optional<Hardware> parseHardwareJson(const std::string &text,
                                          std::string &error);

} // namespace helix::planner

#endif // HELIX_PLANNER_HARDWARE_H
