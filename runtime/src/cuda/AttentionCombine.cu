//===- AttentionCombine.cu - Combine split-KV attention partials ----------===//
//
// The second launch of every attention call: one block per (query head,
// head group, sequence) reads that head's record of every split (max, sum,
// unnormalized output, log2 domain), weighs each split by exp2(max - M) / L
// and writes the head's output and natural-log LSE where the all-to-all
// sends it. Spread over heads x groups x sequences blocks, with independent
// loads per thread, the combine is a few microseconds; one block per
// (sequence, group) doing it was latency-bound (docs/gpu.md).
//
//===----------------------------------------------------------------------===//
#include "AttentionCommon.cuh"
#include "CudaStatus.h"
#include "DeviceUtil.cuh"

namespace helix_rt::cuda::attention {

namespace {

constexpr int kCombineThreads = 128;
constexpr int kInFlight = 8; // independent partial sums per thread

__global__ void __launch_bounds__(kCombineThreads)
    combineSplitsKernel(AttnArgs a, int paddedHeads) {
  __shared__ float weight[kMaxAttentionSplits];
  __shared__ float scratch[32];
  const int h = blockIdx.x, g = blockIdx.y, b = blockIdx.z;
  const int global = g * a.groupHeads + h;
  if (global >= a.heads) // the last group may be partial (MLA)
    return;
  const int record = paddedHeads * (a.dv + 2);
  const float *head = a.partial +
                      (int64_t(b) * a.groups + g) * a.splits * record +
                      h * (a.dv + 2);
  // One split per thread (splits <= kMaxAttentionSplits <= 128).
  const int sp = threadIdx.x;
  const float ms = sp < a.splits ? head[sp * record] : -INFINITY;
  const float M = detail::blockMax(ms, scratch);
  const float w = ms == -INFINITY ? 0.0f : exp2f(ms - M);
  const float L =
      detail::blockSum(sp < a.splits ? w * head[sp * record + 1] : 0.0f,
                       scratch);
  if (sp < a.splits)
    weight[sp] = L > 0.0f ? w / L : 0.0f;
  __syncthreads();

  // Head `global` goes to peer global / headsPerPeer's send block.
  const int peer = global / a.headsPerPeer, local = global % a.headsPerPeer;
  float *out = a.out + ((int64_t(peer) * a.batch + b) * a.headsPerPeer + local) *
                           (a.dv + 1);
  for (int c = threadIdx.x; c < a.dv; c += kCombineThreads) {
    const float *x = head + 2 + c;
    float o[kInFlight] = {};
    int s = 0;
    for (; s + kInFlight <= a.splits; s += kInFlight)
#pragma unroll
      for (int k = 0; k < kInFlight; ++k) {
        const float ws = weight[s + k];
        const float v = x[(s + k) * record];
        o[k] += ws != 0.0f ? ws * v : 0.0f; // empty splits' outputs unused
      }
    for (; s < a.splits; ++s) {
      const float ws = weight[s];
      const float v = x[s * record];
      o[0] += ws != 0.0f ? ws * v : 0.0f;
    }
    float sum = 0.0f;
#pragma unroll
    for (int k = 0; k < kInFlight; ++k)
      sum += o[k];
    out[c] = sum;
  }
  if (threadIdx.x == 0) {
    float lse = L > 0.0f ? M * kLn2 + logf(L) : -INFINITY;
    // Tokens past splits * chunk were never read: make that visible.
    if (a.length[b] > int64_t(a.splits) * a.chunk)
      lse = NAN;
    out[a.dv] = lse;
  }
}

} // namespace

helix_status launchCombine(const AttnArgs &args, int g, int64_t batch,
                           cudaStream_t stream, const char *what) {
  const dim3 grid(unsigned(args.groupHeads), unsigned(args.groups),
                  unsigned(batch));
  combineSplitsKernel<<<grid, kCombineThreads, 0, stream>>>(args, g);
  return detail::checkLaunch(what);
}

} // namespace helix_rt::cuda::attention
