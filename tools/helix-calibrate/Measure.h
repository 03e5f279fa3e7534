//===- Measure.h - This host's parameters for the planner's model -*- C++
//-*-===//
//
// Each function measures one quantity of helix::planner::Hardware on this
// machine with the runtime's own pieces: the decode GEMV kernel
// (kernels::linear, fp32 and bf16 weights) and the threads communicator.
// Timings are medians of several repetitions, so a short burst of load from
// another process moves them little; a sustained one does (say so when
// quoting them).
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_CALIBRATE_MEASURE_H
#define HELIX_CALIBRATE_MEASURE_H

#include <cstdint>

namespace helix::calibrate {

/// A batch-`batch` fp32 GEMV over weights that fit no cache
/// (`totalBytes` split over `threads` threads running at once): the bytes
/// each thread read and the slowest thread's seconds (median).
struct Stream {
  double bytesPerThread = 0;
  double seconds = 0;
};
Stream streamedGemv(int threads, double totalBytes, int64_t batch);

/// FLOP/s of each of `threads` threads running the decode GEMV at `batch`
/// rows on weights that stay in its L2 (fp32, or bf16 when `bf16`): the
/// compute rate once the weights are not the limit.
double gemvFlops(int threads, int64_t batch, bool bf16);

/// The planner's phase time is memory + math - overlap x min(memory, math)
/// (LayerCost.cpp). Given the same streamed GEMV at batch 1 and batch 8
/// and the math rate `l2Flops` of weights in cache, finds the read
/// bandwidth, the overlap in [0, 1] and the math rate that reproduce both
/// times. Where the math hides behind the reads (overlap > 0) the rate is
/// `l2Flops`; where it does not, each batch row costs what the streamed
/// times say ((t8 - t1) / 7, the decode GEMV rate), which is slower than
/// from cache when streaming also slows the math.
struct StreamFit {
  double bandwidth = 0;
  double overlap = 0;
  double flops = 0;
};
StreamFit fitStream(const Stream &batch1, const Stream &batch8, double l2Flops);

/// Median seconds of one small collective (the mean over all-reduce,
/// all-to-all and all-gather of `floats` floats per rank) between `ranks`
/// threads of one threads communicator.
double collectiveSeconds(int ranks, int64_t floats);

/// Bytes/s of a large all-reduce between 2 threads after its latency
/// `latency` is taken off (the model's wire term).
double allReduceBandwidth(double latency);

/// Seconds of one small kernel call (an RMS norm of one 64-wide row): the
/// per-op cost of a compiled step on the CPU.
double kernelCallSeconds();

} // namespace helix::calibrate

#endif // HELIX_CALIBRATE_MEASURE_H
