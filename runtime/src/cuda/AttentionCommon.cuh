//===- AttentionCommon.cuh - What the attention kernels share -*- CUDA -*-===//
//
// The arguments of a split-KV attention launch and the end every kernel
// shares: a block publishes its split's partial (max, sum, unnormalized
// output per head) to the workspace, and the last block of a (sequence,
// head group) to arrive, counted with an atomic, combines every split's
// partial and writes [B, heads, dv + 1] with the natural-log LSE, then
// zeroes the counter for the next step.
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_RT_CUDA_ATTENTIONCOMMON_CUH
#define HELIX_RT_CUDA_ATTENTIONCOMMON_CUH

#include "DeviceUtil.cuh"
#include "helix_rt/cuda_kernels.h"

#include <cuda_runtime_api.h>

#include <cstdint>

namespace helix_rt::cuda::attention {

constexpr int kWarps = 4;
constexpr int kThreads = kWarps * 32;
constexpr int kTile = 32;   // tokens per warp step: one per lane
constexpr int kMlaHeads = 8; // MLA query heads per block
constexpr float kLn2 = 0.693147180559945309f;
constexpr float kLog2e = 1.442695040888963407f;

struct AttnArgs {
  // Channel c of query head (b, h): c < fWidth from qF[row * ldqF + c],
  // else qH[row * ldqH + qHOffset + c - fWidth], row = b * heads + h.
  const float *qF;
  int64_t ldqF;
  int32_t fWidth;
  const bf16 *qH;
  int64_t ldqH;
  int64_t qHOffset;
  const bf16 *const *keys;
  const bf16 *const *values;
  const int64_t *length;
  int64_t ldkv;        // elements from one token's row to the next
  int64_t groupStride; // elements from one head group's K/V to the next
  int32_t heads, groupHeads, groups, dk, dv;
  float scaleLog2;
  int32_t splits;
  int64_t chunk;     // tokens per split, a multiple of kTile
  float *partial;    // [B, groups, splits, G, dv + 2]: max, sum, output
  unsigned *counters; // [B, groups]
  float *out;        // [peers, B, heads / peers, dv + 1]
  int32_t batch, headsPerPeer;
};

/// Publishes the block's partial and, in the last block of its (sequence,
/// group), combines all splits. accS [G, dv] holds the block's output, mS and
/// lS [kWarps, G] its warps' maxima and sums (log2 domain), weight has room
/// for splits * G floats; all in shared memory.
template <int G>
__device__ void finishSplit(const AttnArgs &a, const float *accS, float *mS,
                            float *lS, float *weight, int split, int g, int b,
                            int h0, int nh, int64_t len) {
  __shared__ bool isLast;
  const int record = G * (a.dv + 2);
  const int64_t seqGroup = int64_t(b) * a.groups + g;
  float *mine = a.partial + (seqGroup * a.splits + split) * record;
  for (int i = threadIdx.x; i < G * a.dv; i += kThreads)
    mine[(i / a.dv) * (a.dv + 2) + 2 + i % a.dv] = accS[i];
  if (threadIdx.x < G) {
    const int h = threadIdx.x;
    float blockM = -INFINITY, blockL = 0.0f;
    for (int w = 0; w < kWarps; ++w)
      blockM = fmaxf(blockM, mS[w * G + h]);
    for (int w = 0; w < kWarps; ++w)
      if (mS[w * G + h] != -INFINITY)
        blockL += lS[w * G + h] * exp2f(mS[w * G + h] - blockM);
    mine[h * (a.dv + 2)] = blockM;
    mine[h * (a.dv + 2) + 1] = blockL;
  }
  // Publish the partial, then count this block in (threadFenceReduction).
  __threadfence();
  __syncthreads();
  if (threadIdx.x == 0)
    isLast = atomicAdd(&a.counters[seqGroup], 1u) == unsigned(a.splits - 1);
  __syncthreads();
  if (!isLast)
    return;
  __threadfence();

  // Combine every split's partial; __ldcg reads L2, past a stale L1. One
  // block does this for its (sequence, group), so it is spread over the
  // whole block and its loads are independent: a serial loop over 128
  // splits cost as much as the attention itself below ~64K tokens.
  const float *recs = a.partial + seqGroup * a.splits * record;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  for (int h = warp; h < G; h += kWarps) { // a warp per head
    const float *head = recs + h * (a.dv + 2);
    float M = -INFINITY, L = 0.0f;
    for (int sp = lane; sp < a.splits; sp += 32)
      M = fmaxf(M, __ldcg(head + sp * record));
    M = detail::warpMax(M);
    for (int sp = lane; sp < a.splits; sp += 32) {
      const float ms = __ldcg(head + sp * record);
      const float w = ms == -INFINITY ? 0.0f : exp2f(ms - M);
      weight[sp * G + h] = w;
      L += w * __ldcg(head + sp * record + 1);
    }
    L = detail::warpSum(L);
    for (int sp = lane; sp < a.splits; sp += 32)
      weight[sp * G + h] = L > 0.0f ? weight[sp * G + h] / L : 0.0f;
    if (lane == 0)
      mS[h] = M, lS[h] = L;
  }
  __syncthreads();
  // Head h goes to peer h / headsPerPeer's block of the send buffer.
  auto outRow = [&](int h) {
    const int global = h0 + h;
    const int peer = global / a.headsPerPeer, local = global % a.headsPerPeer;
    return a.out + ((int64_t(peer) * a.batch + b) * a.headsPerPeer + local) *
                       (a.dv + 1);
  };
  constexpr int kLanes = 8; // independent partial sums (loads in flight)
  for (int i = threadIdx.x; i < nh * a.dv; i += kThreads) {
    const int h = i / a.dv, c = i % a.dv;
    const float *x = recs + h * (a.dv + 2) + 2 + c;
    float o[kLanes] = {};
    int sp = 0;
    for (; sp + kLanes <= a.splits; sp += kLanes)
#pragma unroll
      for (int k = 0; k < kLanes; ++k) {
        const float w = weight[(sp + k) * G + h];
        const float v = __ldcg(x + (sp + k) * record);
        o[k] += w != 0.0f ? w * v : 0.0f; // empty splits' outputs unused
      }
    for (; sp < a.splits; ++sp) {
      const float w = weight[sp * G + h];
      const float v = __ldcg(x + sp * record);
      o[0] += w != 0.0f ? w * v : 0.0f;
    }
    float sum = 0.0f;
#pragma unroll
    for (int k = 0; k < kLanes; ++k)
      sum += o[k];
    outRow(h)[c] = sum;
  }
  if (threadIdx.x < nh) {
    const int h = threadIdx.x;
    float lse = lS[h] > 0.0f ? mS[h] * kLn2 + logf(lS[h]) : -INFINITY;
    // Tokens past splits * chunk were never read: make that visible.
    if (len > int64_t(a.splits) * a.chunk)
      lse = NAN;
    outRow(h)[a.dv] = lse;
  }
  if (threadIdx.x == 0)
    a.counters[seqGroup] = 0;
}

/// Launches the tensor-core GQA kernel (AttentionMma.cu) for head size d
/// (64 or 128) and g padded heads per block (4, 8 or 16).
helix_status launchGqaMma(const AttnArgs &args, int64_t d, int g,
                          int64_t batch, cudaStream_t stream, const char *what);

} // namespace helix_rt::cuda::attention

#endif // HELIX_RT_CUDA_ATTENTIONCOMMON_CUH
