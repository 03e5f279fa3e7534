//===- AttentionMma.cu - GQA split-KV attention on tensor cores -----------===//
//
// The GQA decode kernel for head sizes 64 and 128. A block takes one
// sequence, one KV head (its group of up to 16 query heads, the 16 rows of
// an m16n8k16 bf16 MMA) and one split; each of its four warps walks
// 16-token steps. Scores S = Q K^T and the output O += P V are MMAs with
// fp32 accumulation, so a token's key and value rows are multiplied by all
// the group's heads at tensor-core rate instead of 2 x 16 x d CUDA-core
// FMAs: the CUDA-core kernel (Attention.cu) is issue-bound at 16 heads
// (docs/gpu.md).
//
// K and V go straight from global memory into MMA fragments, 16 bytes per
// load, with no shared-memory staging: a dot product does not depend on the
// order of its terms, so the head dimension is permuted to make one 16-byte
// load of a key row feed two MMAs (the query fragments use the same order),
// and the output channels are permuted to make one 16-byte load of a value
// row feed eight MMAs (undone when the output is written). Each warp step
// issues all of its loads before its first MMA.
//
// Precision: Q and K are bf16 already; P is rounded to bf16 for the PV MMA
// (as FlashAttention does); scores, softmax and accumulation are fp32.
//
//===----------------------------------------------------------------------===//
#include "AttentionCommon.cuh"
#include "CudaStatus.h"
#include "DeviceUtil.cuh"

#include <cuda_bf16.h>

namespace helix_rt::cuda::attention {

namespace {

constexpr int kStep = 16; // tokens per warp step: one k16 MMA of P V

/// D = C + A B for one m16n8k16 tile (A row-major bf16, B column-major
/// bf16, fp32 C/D), fragments as the PTX ISA lays them out.
__device__ __forceinline__ void mma(float (&c)[4], const uint32_t (&a)[4],
                                    uint32_t b0, uint32_t b1) {
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
               "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
               : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0),
                 "r"(b1));
}

__device__ __forceinline__ uint4 load16(const bf16 *p) {
  return __ldg(reinterpret_cast<const uint4 *>(p));
}

__device__ __forceinline__ uint32_t packBf16(float lo, float hi) {
  const __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
  return *reinterpret_cast<const uint32_t *>(&v);
}

/// Element m (0..7) of row x's 8 bf16 beside element m of row y's: the
/// (k, k + 1) pair of one output channel in a B fragment.
__device__ __forceinline__ uint32_t pairOf(const uint4 &x, const uint4 &y,
                                           int m) {
  const uint32_t wx = m < 2 ? x.x : m < 4 ? x.y : m < 6 ? x.z : x.w;
  const uint32_t wy = m < 2 ? y.x : m < 4 ? y.y : m < 6 ? y.z : y.w;
  return __byte_perm(wx, wy, (m & 1) ? 0x7632 : 0x5410);
}

/// D: head size (64 or 128); G: padded heads of the workspace record.
/// Lane (i, j) = (lane / 4, lane % 4) in the MMA fragment layout: i picks
/// the row (head i and i + 8) and the token / channel group, j the pair.
template <int D, int G>
__global__ void __launch_bounds__(kThreads, 1) gqaMmaKernel(AttnArgs a) {
  constexpr int kChunks = D / 32;   // 16-byte key loads per row and lane
  constexpr int kHalves = D / 64;   // 64-channel halves of the output
  __shared__ float accS[G * D];
  __shared__ float mS[kWarps * G], lS[kWarps * G];

  const int split = blockIdx.x, g = blockIdx.y, b = blockIdx.z;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int i = lane / 4, j = lane % 4;
  const int h0 = g * a.groupHeads;
  const int nh = min(a.groupHeads, a.heads - h0);
  const int64_t len = a.length[b];
  const int64_t begin = int64_t(split) * a.chunk;
  const int64_t end = min(len, begin + a.chunk);

  // Query fragments, head dimension permuted: key chunk c (32 channels)
  // feeds MMA 2c with channels 8j+{0,1} (k = 2j) and 8j+{2,3} (k = 2j+8),
  // MMA 2c+1 with 8j+{4,5} and 8j+{6,7}.
  uint32_t qa[2 * kChunks][4];
  {
    const bf16 *rowLo = a.qH + (int64_t(b) * a.heads + h0 + i) * a.ldqH;
    const bf16 *rowHi = rowLo + 8 * a.ldqH;
#pragma unroll
    for (int c = 0; c < kChunks; ++c) {
      const uint4 zero = make_uint4(0, 0, 0, 0);
      const uint4 lo = i < nh ? load16(rowLo + 32 * c + 8 * j) : zero;
      const uint4 hi = i + 8 < nh ? load16(rowHi + 32 * c + 8 * j) : zero;
      qa[2 * c][0] = lo.x, qa[2 * c][1] = hi.x;
      qa[2 * c][2] = lo.y, qa[2 * c][3] = hi.y;
      qa[2 * c + 1][0] = lo.z, qa[2 * c + 1][1] = hi.z;
      qa[2 * c + 1][2] = lo.w, qa[2 * c + 1][3] = hi.w;
    }
  }

  // Output fragments: half h, MMA m: columns 2j, 2j+1 are channels
  // 64h + 8(2j) + m and 64h + 8(2j+1) + m; rows i and i + 8.
  float o[kHalves][8][4];
#pragma unroll
  for (int h = 0; h < kHalves; ++h)
#pragma unroll
    for (int m = 0; m < 8; ++m)
#pragma unroll
      for (int e = 0; e < 4; ++e)
        o[h][m][e] = 0.0f;
  float mLo = -INFINITY, mHi = -INFINITY, lLo = 0.0f, lHi = 0.0f;

  const bf16 *kBase = nullptr, *vBase = nullptr;
  if (begin < end) { // an empty slice may come with null pointers
    kBase = a.keys[b] + g * a.groupStride;
    vBase = a.values[b] + g * a.groupStride;
  }
  const uint4 zero = make_uint4(0, 0, 0, 0);
  for (int64_t t0 = begin + warp * kStep; t0 < end;
       t0 += kWarps * kStep) {
    // Keys: tile n (8 tokens), token t0 + 8n + i, channels 32c + 8j...
    uint4 kr[2][kChunks];
#pragma unroll
    for (int n = 0; n < 2; ++n) {
      const int64_t t = t0 + 8 * n + i;
#pragma unroll
      for (int c = 0; c < kChunks; ++c)
        kr[n][c] = t < end ? load16(kBase + t * a.ldkv + 32 * c + 8 * j)
                           : zero;
    }
    // Values: tokens t0 + {2j, 2j+1, 2j+8, 2j+9} (the k of the PV MMA),
    // channels 64h + 8i ... 8i + 7.
    uint4 vr[kHalves][4];
#pragma unroll
    for (int r = 0; r < 4; ++r) {
      const int64_t t = t0 + 2 * j + (r & 1) + 8 * (r >> 1);
#pragma unroll
      for (int h = 0; h < kHalves; ++h)
        vr[h][r] = t < end ? load16(vBase + t * a.ldkv + 64 * h + 8 * i)
                           : zero;
    }

    float s[2][4];
#pragma unroll
    for (int n = 0; n < 2; ++n) {
#pragma unroll
      for (int e = 0; e < 4; ++e)
        s[n][e] = 0.0f;
#pragma unroll
      for (int c = 0; c < kChunks; ++c) {
        mma(s[n], qa[2 * c], kr[n][c].x, kr[n][c].y);
        mma(s[n], qa[2 * c + 1], kr[n][c].z, kr[n][c].w);
      }
    }
    // Online softmax in the log2 domain over this step's 16 tokens; the
    // four lanes of a row hold its columns 2j, 2j+1 of both tiles.
    float rowLo = -INFINITY, rowHi = -INFINITY;
#pragma unroll
    for (int n = 0; n < 2; ++n)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int64_t t = t0 + 8 * n + 2 * j + (e & 1);
        s[n][e] = t < end ? s[n][e] * a.scaleLog2 : -INFINITY;
        if (e < 2)
          rowLo = fmaxf(rowLo, s[n][e]);
        else
          rowHi = fmaxf(rowHi, s[n][e]);
      }
#pragma unroll
    for (int offset = 1; offset < 4; offset *= 2) {
      rowLo = fmaxf(rowLo, __shfl_xor_sync(detail::kFullMask, rowLo, offset));
      rowHi = fmaxf(rowHi, __shfl_xor_sync(detail::kFullMask, rowHi, offset));
    }
    // Finite: token t0 < end is in every row's step.
    const float newLo = fmaxf(mLo, rowLo), newHi = fmaxf(mHi, rowHi);
    const float fLo = exp2f(mLo - newLo), fHi = exp2f(mHi - newHi);
    mLo = newLo, mHi = newHi;
    float p[2][4];
#pragma unroll
    for (int n = 0; n < 2; ++n)
#pragma unroll
      for (int e = 0; e < 4; ++e)
        p[n][e] = exp2f(s[n][e] - (e < 2 ? newLo : newHi));
    lLo = lLo * fLo + p[0][0] + p[0][1] + p[1][0] + p[1][1];
    lHi = lHi * fHi + p[0][2] + p[0][3] + p[1][2] + p[1][3];
    // The score tiles are the A fragment of P V as they are.
    const uint32_t pa[4] = {packBf16(p[0][0], p[0][1]),
                            packBf16(p[0][2], p[0][3]),
                            packBf16(p[1][0], p[1][1]),
                            packBf16(p[1][2], p[1][3])};
#pragma unroll
    for (int h = 0; h < kHalves; ++h)
#pragma unroll
      for (int m = 0; m < 8; ++m) {
        o[h][m][0] *= fLo, o[h][m][1] *= fLo;
        o[h][m][2] *= fHi, o[h][m][3] *= fHi;
        mma(o[h][m], pa, pairOf(vr[h][0], vr[h][1], m),
            pairOf(vr[h][2], vr[h][3], m));
      }
  }

  // Warp results: row sums over the four lanes, then fold the warps as the
  // CUDA-core kernel does (block max, outputs rescaled, added in warp
  // order so the result is deterministic).
#pragma unroll
  for (int offset = 1; offset < 4; offset *= 2) {
    lLo += __shfl_xor_sync(detail::kFullMask, lLo, offset);
    lHi += __shfl_xor_sync(detail::kFullMask, lHi, offset);
  }
  if (j == 0) {
    if (i < G)
      mS[warp * G + i] = mLo, lS[warp * G + i] = lLo;
    if (i + 8 < G)
      mS[warp * G + i + 8] = mHi, lS[warp * G + i + 8] = lHi;
  }
  __syncthreads();
  float blockLo = -INFINITY, blockHi = -INFINITY;
  for (int w = 0; w < kWarps; ++w) {
    if (i < G)
      blockLo = fmaxf(blockLo, mS[w * G + i]);
    if (i + 8 < G)
      blockHi = fmaxf(blockHi, mS[w * G + i + 8]);
  }
  const float scaleLo = mLo == -INFINITY ? 0.0f : exp2f(mLo - blockLo);
  const float scaleHi = mHi == -INFINITY ? 0.0f : exp2f(mHi - blockHi);
  for (int w = 0; w < kWarps; ++w) {
    if (warp == w) {
#pragma unroll
      for (int h = 0; h < kHalves; ++h)
#pragma unroll
        for (int m = 0; m < 8; ++m)
#pragma unroll
          for (int e = 0; e < 4; ++e) {
            const int row = i + 8 * (e >> 1);
            if (row >= G)
              continue;
            const int channel = 64 * h + 8 * (2 * j + (e & 1)) + m;
            float &dst = accS[row * D + channel];
            const float v = o[h][m][e] * (e < 2 ? scaleLo : scaleHi);
            dst = w == 0 ? v : dst + v;
          }
    }
    __syncthreads();
  }
  publishSplit<G>(a, accS, mS, lS, split, g, b);
}

template <int D, int G>
helix_status launchMma(const AttnArgs &args, int64_t batch,
                       cudaStream_t stream, const char *what) {
  const dim3 grid(unsigned(args.splits), unsigned(args.groups),
                  unsigned(batch));
  gqaMmaKernel<D, G><<<grid, kThreads, 0, stream>>>(args);
  if (helix_status s = detail::checkLaunch(what))
    return s;
  return launchCombine(args, G, batch, stream, what);
}

} // namespace

helix_status launchGqaMma(const AttnArgs &args, int64_t d, int g,
                          int64_t batch, cudaStream_t stream,
                          const char *what) {
  if (d == 64 && g == 4)
    return launchMma<64, 4>(args, batch, stream, what);
  if (d == 64 && g == 8)
    return launchMma<64, 8>(args, batch, stream, what);
  if (d == 64 && g == 16)
    return launchMma<64, 16>(args, batch, stream, what);
  if (d == 128 && g == 4)
    return launchMma<128, 4>(args, batch, stream, what);
  if (d == 128 && g == 8)
    return launchMma<128, 8>(args, batch, stream, what);
  if (d == 128 && g == 16)
    return launchMma<128, 16>(args, batch, stream, what);
  return detail::invalid(what, "no tensor-core kernel for this head size "
                               "and group");
}

} // namespace helix_rt::cuda::attention
