//===- AttentionCommon.cuh - What the attention kernels share -*- CUDA -*-===//
//
// The arguments of a split-KV attention launch and the end every kernel
// shares: a block publishes its split's partial (max, sum, unnormalized
// output per head) to the workspace, and a second launch
// (AttentionCombine.cu) combines every split's partials into [B, heads,
// dv + 1] with the natural-log LSE, one block per query head.
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
  float *out;        // [peers, B, heads / peers, dv + 1]
  int32_t batch, headsPerPeer;
};

/// Publishes the block's partial: accS [G, dv] holds the block's output,
/// mS and lS [kWarps, G] its warps' maxima and sums (log2 domain), all in
/// shared memory. The combine runs as its own launch: one block combining
/// a (sequence, group)'s 64-128 splits, as the last block to arrive, was
/// bound by L2 latency and cost as much as the attention (docs/gpu.md).
template <int G>
__device__ void publishSplit(const AttnArgs &a, const float *accS,
                             const float *mS, const float *lS, int split,
                             int g, int b) {
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
}

/// Combines the splits' partials of a launch whose blocks published records
/// of g padded heads (AttentionCombine.cu).
helix_status launchCombine(const AttnArgs &args, int g, int64_t batch,
                           cudaStream_t stream, const char *what);

/// Launches the tensor-core GQA kernel (AttentionMma.cu) for head size d
/// (64 or 128) and g padded heads per block (4, 8 or 16).
helix_status launchGqaMma(const AttnArgs &args, int64_t d, int g,
                          int64_t batch, cudaStream_t stream, const char *what);

} // namespace helix_rt::cuda::attention

#endif // HELIX_RT_CUDA_ATTENTIONCOMMON_CUH
