//===- Hardware.cpp - Hardware presets and custom hardware files ----------===//
//
// Every constant carries its source. "Anchors" are published measurements
// (NCCL, vLLM and SGLang reports, vendor datasheets), tabulated with their
// sources in docs/planner.md ("Constants").
//
//===----------------------------------------------------------------------===//
#include "helix/Planner/Hardware.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace helix::planner {

namespace {

constexpr double kGB = 1e9;
constexpr double kTB = 1e12;
constexpr double kUs = 1e-6;

// vLLM's default gpu_memory_utilization is 0.9: the remaining 10% holds the
// CUDA context, NCCL buffers, graph pools and allocator fragmentation.
constexpr double kUsableHbm = 0.9;

// Small collectives on NVLink with tuned NCCL and CUDA graphs take about
// 2-6 us (anchors, several NCCL/vLLM/SGLang threads). NCCL's tree/NVLS
// algorithms add a hop per doubling of ranks, so: 2.5 us for 2 ranks plus
// 0.5 us per doubling (5.0 us at 64 ranks: 2.5 + 0.5 x 5 doublings), inside the measured range and
// fixed before any comparison with the paper (see docs/planner.md for the
// sensitivity to this choice).
constexpr double kCollectiveBase = 2.5 * kUs;
constexpr double kCollectivePerDoubling = 0.5 * kUs;

// NCCL reaches ~370 GB/s bus bandwidth per direction on NVLink4 (450 GB/s
// raw): 82% of the raw link (anchors). The same efficiency is applied to
// NVLink5's 900 GB/s per direction.
constexpr double kLinkEfficiency = 370.0 / 450.0;

// Llama-3.1-8B decode on H100 SXM with CUDA graphs takes 5.1 ms/step against
// a 4.8 ms weight-read floor (16 GB / 3.35 TB/s) across ~260 kernels:
// about 1 us per kernel of launch gap and ramp-up (cloudai.pt CUDA graphs
// measurement; consistent with the anchors' "graphs remove most launch cost").
constexpr double kKernelOverhead = 1.0 * kUs;

// Scale-out (beyond one NVLink domain): one 400 Gb/s ConnectX-7 NIC per GPU
// (DGX H100 / GB200 NVL72 compute trays) = 50 GB/s; InfiniBand adds a few us
// of switch and NIC latency per collective (estimate, not measured here).
constexpr double kScaleOutBandwidth = 50 * kGB;
constexpr double kScaleOutLatency = 8 * kUs;

Hardware gb200() {
  Hardware hw;
  hw.name = "gb200-nvl72";
  hw.hbmBytes = 186 * kGB;          // GB200 NVL72 datasheet: 13.4 TB / 72 GPUs
  hw.usableHbmFraction = kUsableHbm;
  hw.hbmBandwidth = 8 * kTB;        // Helix paper and datasheet: 8 TB/s
  // GB200 NVL72 datasheet, dense = sparse figures halved, per GPU:
  // 360/720/1440 PFLOPS (bf16/fp8/fp4, sparse) over 72 GPUs.
  hw.flopsBf16 = 2.5e15;
  hw.flopsFp8 = 5.0e15;
  hw.flopsFp4 = 10.0e15;
  hw.domainSize = 72;               // NVL72: one NVLink domain
  hw.linkBandwidth = 900 * kGB * kLinkEfficiency; // NVLink5 1.8 TB/s bidir
  hw.collectiveBase = kCollectiveBase;
  hw.collectivePerDoubling = kCollectivePerDoubling;
  hw.scaleOutBandwidth = kScaleOutBandwidth;
  hw.scaleOutLatency = kScaleOutLatency;
  hw.kernelOverhead = kKernelOverhead;
  return hw;
}

Hardware hopper(const std::string &name, double hbm, double bandwidth) {
  Hardware hw;
  hw.name = name;
  hw.hbmBytes = hbm;
  hw.usableHbmFraction = kUsableHbm;
  hw.hbmBandwidth = bandwidth;
  hw.flopsBf16 = 989e12;  // H100/H200 SXM datasheet, dense
  hw.flopsFp8 = 1979e12;  // dense
  hw.flopsFp4 = 1979e12;  // no FP4 tensor cores: W4A8 runs at the FP8 rate
  hw.domainSize = 8;      // HGX 8-GPU NVLink4 node
  hw.linkBandwidth = 370 * kGB; // NCCL busbw on NVLink4 per direction
  hw.collectiveBase = kCollectiveBase;
  hw.collectivePerDoubling = kCollectivePerDoubling;
  hw.scaleOutBandwidth = kScaleOutBandwidth;
  hw.scaleOutLatency = kScaleOutLatency;
  hw.kernelOverhead = kKernelOverhead;
  return hw;
}

/// The file's numeric fields: key, unit (the file's number times `scale` is
/// the member's SI value) and member. One list for reading and writing.
struct NumberField {
  const char *key;
  double scale;
  double Hardware::*member;
};
constexpr NumberField kNumberFields[] = {
    {"hbm_gb", kGB, &Hardware::hbmBytes},
    {"usable_hbm_fraction", 1, &Hardware::usableHbmFraction},
    {"hbm_bandwidth_tb_s", kTB, &Hardware::hbmBandwidth},
    {"bf16_tflops", 1e12, &Hardware::flopsBf16},
    {"fp8_tflops", 1e12, &Hardware::flopsFp8},
    {"fp4_tflops", 1e12, &Hardware::flopsFp4},
    {"fp32_tflops", 1e12, &Hardware::flopsFp32},
    {"link_bandwidth_gb_s", kGB, &Hardware::linkBandwidth},
    {"collective_latency_us", kUs, &Hardware::collectiveBase},
    {"collective_latency_per_doubling_us", kUs,
     &Hardware::collectivePerDoubling},
    {"scale_out_bandwidth_gb_s", kGB, &Hardware::scaleOutBandwidth},
    {"scale_out_latency_us", kUs, &Hardware::scaleOutLatency},
    {"kernel_overhead_us", kUs, &Hardware::kernelOverhead},
    {"aggregate_bandwidth_tb_s", kTB, &Hardware::aggregateBandwidth},
    {"memory_compute_overlap", 1, &Hardware::memoryComputeOverlap},
};
struct CountField {
  const char *key;
  int64_t Hardware::*member;
};
constexpr CountField kCountFields[] = {
    {"domain_size", &Hardware::domainSize},
    {"parallel_ranks", &Hardware::parallelRanks},
};

bool readNumber(const nlohmann::json &j, const char *key, double scale,
                double &out, std::string &error) {
  auto it = j.find(key);
  if (it == j.end())
    return true;
  if (!it->is_number() || it->get<double>() < 0) {
    error = std::string("hardware field '") + key +
            "' must be a non-negative number";
    return false;
  }
  out = it->get<double>() * scale;
  return true;
}

bool readFields(const nlohmann::json &j, Hardware &hw, std::string &error) {
  for (const NumberField &f : kNumberFields)
    if (!readNumber(j, f.key, f.scale, hw.*f.member, error))
      return false;
  for (const CountField &f : kCountFields) {
    double value = static_cast<double>(hw.*f.member);
    if (!readNumber(j, f.key, 1, value, error))
      return false;
    if (value != static_cast<double>(static_cast<int64_t>(value))) {
      error = std::string("hardware field '") + f.key +
              "' must be a whole number";
      return false;
    }
    hw.*f.member = static_cast<int64_t>(value);
  }
  return true;
}

/// Every key a hardware file may hold: a typo is an error, not a default.
bool knownKey(const std::string &key) {
  if (key == "base" || key == "name")
    return true;
  for (const NumberField &f : kNumberFields)
    if (key == f.key)
      return true;
  for (const CountField &f : kCountFields)
    if (key == f.key)
      return true;
  return false;
}

} // namespace

double Hardware::gemmFlops(Dtype dtype) const {
  switch (dtype) {
  case Dtype::FP4:
    return flopsFp4;
  case Dtype::FP8:
    return flopsFp8;
  case Dtype::BF16:
    return flopsBf16;
  case Dtype::FP32:
    // Hopper and Blackwell run dense TF32 at half the bf16 rate
    // (datasheets); a measured host file gives its own.
    return flopsFp32 > 0 ? flopsFp32 : flopsBf16 / 2;
  }
  return flopsBf16;
}

double Hardware::attentionFlops(Dtype dtype) const {
  if (dtype == Dtype::FP32 || dtype == Dtype::BF16)
    return gemmFlops(dtype);
  return flopsFp8;
}

Hardware Hardware::sharedBy(int64_t ranks) const {
  Hardware hw = *this;
  int64_t running = parallelRanks > 0 ? std::min(ranks, parallelRanks) : ranks;
  if (running < 1)
    return hw;
  if (aggregateBandwidth > 0)
    hw.hbmBandwidth = std::min(hbmBandwidth, aggregateBandwidth / running);
  double share = double(running) / double(ranks); // time slice of each rank
  hw.hbmBandwidth *= share;
  hw.flopsBf16 *= share;
  hw.flopsFp8 *= share;
  hw.flopsFp4 *= share;
  hw.flopsFp32 = gemmFlops(Dtype::FP32) * share;
  hw.kernelOverhead /= share;
  return hw;
}

std::vector<std::string> hardwarePresetNames() {
  return {"gb200-nvl72", "h100-sxm-8", "h200-sxm-8"};
}

std::optional<Hardware> hardwarePreset(const std::string &name) {
  if (name == "gb200-nvl72")
    return gb200();
  if (name == "h100-sxm-8") // 80 GB HBM3, 3.35 TB/s (anchors)
    return hopper(name, 80 * kGB, 3.35 * kTB);
  if (name == "h200-sxm-8") // 141 GB HBM3e, 4.8 TB/s (anchors)
    return hopper(name, 141 * kGB, 4.8 * kTB);
  return std::nullopt;
}

std::optional<Hardware> parseHardwareJson(const std::string &text,
                                          std::string &error) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    error = "hardware file is not a JSON object";
    return std::nullopt;
  }
  Hardware hw;
  hw.usableHbmFraction = kUsableHbm;
  hw.kernelOverhead = kKernelOverhead;
  hw.scaleOutBandwidth = kScaleOutBandwidth;
  hw.scaleOutLatency = kScaleOutLatency;
  hw.collectiveBase = kCollectiveBase;
  hw.collectivePerDoubling = kCollectivePerDoubling;
  if (auto base = j.find("base"); base != j.end()) {
    std::optional<Hardware> preset =
        base->is_string() ? hardwarePreset(base->get<std::string>())
                          : std::nullopt;
    if (!preset) {
      error = "hardware field 'base' must name a preset (gb200-nvl72, "
              "h100-sxm-8, h200-sxm-8)";
      return std::nullopt;
    }
    hw = *preset;
  }
  if (auto name = j.find("name"); name != j.end() && name->is_string())
    hw.name = name->get<std::string>();
  else if (hw.name.empty())
    hw.name = "custom";
  for (auto it = j.begin(); it != j.end(); ++it)
    if (!knownKey(it.key())) {
      error = "unknown hardware field '" + it.key() + "'";
      return std::nullopt;
    }
  if (!readFields(j, hw, error))
    return std::nullopt;
  const char *missing = nullptr;
  if (hw.hbmBytes <= 0)
    missing = "hbm_gb";
  else if (hw.hbmBandwidth <= 0)
    missing = "hbm_bandwidth_tb_s";
  else if (hw.flopsBf16 <= 0)
    missing = "bf16_tflops";
  else if (hw.domainSize < 1)
    missing = "domain_size";
  else if (hw.linkBandwidth <= 0)
    missing = "link_bandwidth_gb_s";
  else if (hw.scaleOutBandwidth <= 0)
    missing = "scale_out_bandwidth_gb_s";
  if (!missing && (hw.usableHbmFraction <= 0 || hw.usableHbmFraction > 1)) {
    error = "hardware field 'usable_hbm_fraction' must be in (0, 1]";
    return std::nullopt;
  }
  if (!missing && hw.memoryComputeOverlap > 1) {
    error = "hardware field 'memory_compute_overlap' must be in [0, 1]";
    return std::nullopt;
  }
  if (missing) {
    error = std::string("hardware field '") + missing +
            "' is missing or not positive";
    return std::nullopt;
  }
  if (hw.flopsFp8 <= 0)
    hw.flopsFp8 = hw.flopsBf16;
  if (hw.flopsFp4 <= 0)
    hw.flopsFp4 = hw.flopsFp8;
  return hw;
}

std::string hardwareJson(const Hardware &hw) {
  nlohmann::ordered_json j;
  j["name"] = hw.name;
  for (const NumberField &f : kNumberFields)
    j[f.key] = hw.*f.member / f.scale;
  for (const CountField &f : kCountFields)
    j[f.key] = hw.*f.member;
  return j.dump(2) + "\n";
}

std::optional<Hardware> loadHardware(const std::string &nameOrPath,
                                     std::string &error) {
  if (std::optional<Hardware> preset = hardwarePreset(nameOrPath))
    return preset;
  std::ifstream in(nameOrPath);
  if (!in) {
    error = "unknown hardware '" + nameOrPath +
            "': not a preset (gb200-nvl72, h100-sxm-8, h200-sxm-8) nor a "
            "readable JSON file";
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  std::optional<Hardware> hw = parseHardwareJson(text.str(), error);
  if (!hw)
    error = nameOrPath + ": " + error;
  return hw;
}

} // namespace helix::planner
