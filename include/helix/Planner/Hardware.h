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
  // Hosts whose ranks share one memory system and a few cores (the CPU
  // backend's threads); a GPU preset leaves them at "every rank has its
  // own device".
  double flopsFp32 = 0;           // fp32 GEMM/GEMV FLOP/s (0: flopsBf16 / 2)
  int64_t parallelRanks = 0;      // ranks that run at once (cores); 0: all
  double aggregateBandwidth = 0;  // bytes/s of all running ranks; 0: none
  double memoryComputeOverlap = 1; // 1: roofline max(); 0: memory + math

  /// FLOP/s for GEMMs whose weights are stored as `dtype` (activations are
  /// quantized to the same format: W4A4, W8A8, bf16).
  double gemmFlops(Dtype dtype) const;
  /// FLOP/s for attention: QK^T and PV keep >= 8-bit operands, so an FP4
  /// cache runs at the FP8 rate.
  double attentionFlops(Dtype dtype) const;
  double usableHbmBytes() const { return hbmBytes * usableHbmFraction; }
  /// What each of `ranks` ranks gets when they run together: with more
  /// ranks than parallelRanks they time-share (every rate scaled by the
  /// share, each launch stretched), and the running ranks split
  /// aggregateBandwidth. The identity for a GPU preset.
  Hardware sharedBy(int64_t ranks) const;
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
/// The JSON text of `hw` in the file format parseHardwareJson reads (no
/// `base`: every field written), e.g. helix-calibrate's output.
std::string hardwareJson(const Hardware &hw);

} // namespace helix::planner

#endif // HELIX_PLANNER_HARDWARE_H
