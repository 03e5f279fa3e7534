//===- helix-calibrate.cpp - Measure this host, write a hardware file -----===//
//
// Measures what helix-plan's model needs of this machine when its ranks are
// the CPU backend's threads (Measure.h) and prints a hardware file (the
// format helix::planner::parseHardwareJson reads; docs/planner.md) on
// stdout, the measurements with their units on stderr:
//
//   helix-calibrate [--cores N] [--stream-mib MIB] > build/host.json
//   helix-plan --model config.json --hardware build/host.json --dtype fp32 ...
//
// Failures are one `error: ...` line and exit status 1.
//
//===----------------------------------------------------------------------===//
#include "Measure.h"

#include "helix/Planner/Hardware.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <unistd.h>

using namespace helix;

namespace {

const char *kUsage =
    "usage: helix-calibrate [--cores N] [--stream-mib MIB] > host.json\n"
    "  --cores       ranks that run at once (default: this machine's CPUs)\n"
    "  --stream-mib  weights streamed per bandwidth measurement, all threads\n"
    "                together (default 2048: past any L3)\n";

int fail(const std::string &message) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
  return 1;
}

bool positive(const char *text, long &out) {
  char *end = nullptr;
  out = std::strtol(text, &end, 10);
  return end != text && *end == '\0' && out >= 1 && out <= 4096;
}

} // namespace

int main(int argc, char **argv) {
  long cores = static_cast<long>(std::thread::hardware_concurrency());
  long streamMib = 2048;
  for (int i = 1; i < argc; i += 2) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    long *target = arg == "--cores"        ? &cores
                   : arg == "--stream-mib" ? &streamMib
                                           : nullptr;
    if (!target)
      return fail("unknown option '" + arg + "' (see --help)");
    if (i + 1 >= argc || !positive(argv[i + 1], *target))
      return fail(arg + " needs an integer from 1 to 4096");
  }
  if (cores < 1)
    cores = 1;
  const int c = static_cast<int>(cores);
  const double stream = double(streamMib) * (1 << 20);

  planner::Hardware hw;
  hw.name = "measured-cpu-" + std::to_string(c) + "-cores";
  hw.hbmBytes = double(sysconf(_SC_PHYS_PAGES)) * double(sysconf(_SC_PAGESIZE));
  hw.usableHbmFraction = 0.9;
  hw.parallelRanks = c;
  // One process: every rank of a threads world is in one "domain".
  hw.domainSize = 64;

  for (int64_t batch : {1, 4, 8})
    std::fprintf(stderr,
                 "compute: fp32 GEMV batch %lld from L2, %d thread(s) at "
                 "once: %.1f GFLOP/s each\n",
                 static_cast<long long>(batch), c,
                 calibrate::gemvFlops(c, batch, false) / 1e9);
  // Batch 8, the largest decode batch the comparison runs, on all cores;
  // fp32 is refined from the streamed GEMV below.
  double l2Fp32 = calibrate::gemvFlops(c, 8, false);
  hw.flopsBf16 = calibrate::gemvFlops(c, 8, true);
  hw.flopsFp8 = hw.flopsFp4 = hw.flopsBf16; // no narrower kernels on the CPU
  std::fprintf(stderr, "compute: bf16-weight GEMV batch 8: %.1f GFLOP/s each\n",
               hw.flopsBf16 / 1e9);

  // Bandwidth and overlap, fitted to the model's phase time from the same
  // GEMV streamed at batch 1 and 8: one rank alone, then all cores at once.
  for (int threads : {1, c}) {
    calibrate::Stream one = calibrate::streamedGemv(threads, stream, 1);
    calibrate::Stream eight = calibrate::streamedGemv(threads, stream, 8);
    double flops =
        threads == c ? l2Fp32 : calibrate::gemvFlops(threads, 8, false);
    calibrate::StreamFit fit = calibrate::fitStream(one, eight, flops);
    std::fprintf(stderr,
                 "memory: %d thread(s) at once stream %.0f MB each: batch 1 "
                 "%.1f ms, batch 8 %.1f ms -> %.2f GB/s each, overlap %.2f, "
                 "decode GEMV %.1f GFLOP/s\n",
                 threads, one.bytesPerThread / 1e6, one.seconds * 1e3,
                 eight.seconds * 1e3, fit.bandwidth / 1e9, fit.overlap,
                 fit.flops / 1e9);
    if (threads == 1)
      hw.hbmBandwidth = fit.bandwidth;
    if (threads == c) {
      hw.aggregateBandwidth = fit.bandwidth * c;
      hw.memoryComputeOverlap = fit.overlap;
      hw.flopsFp32 = fit.flops;
    }
  }

  double two = calibrate::collectiveSeconds(2, 64);
  double four = calibrate::collectiveSeconds(4, 64);
  if (two < 0 || four < 0)
    return fail("cannot create a threads communicator");
  hw.collectiveBase = two;
  hw.collectivePerDoubling = std::max(0.0, four - two);
  std::fprintf(stderr,
               "collectives: %.1f us at 2 ranks, %.1f us at 4 (threads, "
               "64 floats, mean of all-reduce/all-to-all/all-gather)\n",
               two * 1e6, four * 1e6);
  hw.linkBandwidth = calibrate::allReduceBandwidth(two);
  if (hw.linkBandwidth <= 0)
    return fail("the 4 MiB all-reduce took no longer than its latency");
  hw.scaleOutBandwidth = hw.linkBandwidth; // no scale-out: one process
  hw.scaleOutLatency = 0;
  std::fprintf(stderr,
               "collectives: %.2f GB/s on the wire (4 MiB all-reduce, "
               "2 ranks)\n",
               hw.linkBandwidth / 1e9);

  hw.kernelOverhead = calibrate::kernelCallSeconds();
  std::fprintf(stderr, "kernels: %.3f us per small kernel call\n",
               hw.kernelOverhead * 1e6);

  // What is written must read back: the format has one definition.
  std::string text = planner::hardwareJson(hw), error;
  if (!planner::parseHardwareJson(text, error))
    return fail("measured hardware does not validate: " + error);
  std::fputs(text.c_str(), stdout);
  return 0;
}
