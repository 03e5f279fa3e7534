//===- Attention.cu - Flash-decoding partial attention (GQA and MLA) ------===//
//
// The CUDA-core kernel: MLA's, and GQA's when asked for (AttentionMma.cu is
// GQA's default). A block takes one sequence, one group of query heads that
// share a K/V stream (a GQA group, or up to 8 MLA heads over the
// latent cache) and one contiguous chunk of that sequence's tokens (the
// split). Its four warps walk 32-token tiles: for the scores a lane owns a
// token and reads its key row once for every head of the group (queries sit
// in shared memory, pre-scaled by scale * log2 e); for the values a lane
// owns CV channels and every head's weights are broadcast from shared
// memory. Softmax is online per warp, the warps are folded in shared memory
// in a fixed order, and the block writes one partial (max, sum, unnormalized
// output) to the workspace; AttentionCombine.cu's launch then combines the
// splits into [B, heads, dv + 1] with the natural-log LSE.
//
//===----------------------------------------------------------------------===//
#include "AttentionCommon.cuh"
#include "CudaStatus.h"
#include "DeviceUtil.cuh"
#include "helix_rt/cuda_kernels.h"

#include <cublas_v2.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <string>

namespace helix_rt::cuda {

namespace {

using namespace attention;
using detail::load8;
using detail::loadN;
using detail::warpMax;
using detail::warpSum;

/// CV: value channels per lane (dv <= 32 * CV); G: heads per block, padded
/// (queries of padded heads are 0 and their outputs are not written).
template <int CV, int G>
__global__ void __launch_bounds__(kThreads, 1) attendSplitKernel(AttnArgs a) {
  extern __shared__ float4 smemRaw[]; // float4: 16-byte aligned query rows
  float *qs = reinterpret_cast<float *>(smemRaw); // [G, dk]
  float *ps = qs + G * a.dk;                      // [kWarps, G, kTile]
  float *accS = ps + kWarps * G * kTile;          // [G, dv]
  float *mS = accS + G * a.dv;                    // [kWarps, G]
  float *lS = mS + kWarps * G;                    // [kWarps, G]

  const int split = blockIdx.x, g = blockIdx.y, b = blockIdx.z;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int h0 = g * a.groupHeads;
  const int nh = min(a.groupHeads, a.heads - h0);
  const int64_t len = a.length[b];
  const int64_t begin = int64_t(split) * a.chunk;
  const int64_t end = min(len, begin + a.chunk);

  for (int i = threadIdx.x; i < G * a.dk; i += kThreads) {
    const int h = i / a.dk, c = i % a.dk;
    float v = 0.0f;
    if (h < nh) {
      const int64_t row = int64_t(b) * a.heads + h0 + h;
      v = c < a.fWidth
              ? a.qF[row * a.ldqF + c]
              : __bfloat162float(a.qH[row * a.ldqH + a.qHOffset + c - a.fWidth]);
    }
    qs[i] = v * a.scaleLog2;
  }
  __syncthreads();

  float acc[G][CV], m[G], l[G]; // l: this lane's share of the sum
#pragma unroll
  for (int h = 0; h < G; ++h) {
    m[h] = -INFINITY;
    l[h] = 0.0f;
#pragma unroll
    for (int c = 0; c < CV; ++c)
      acc[h][c] = 0.0f;
  }

  // An empty slice may come with null pointers: read them only if needed.
  const bf16 *kBase = nullptr, *vBase = nullptr;
  if (begin < end) {
    kBase = a.keys[b] + g * a.groupStride;
    vBase = a.values[b] + g * a.groupStride + lane * CV;
  }
  float *pw = ps + warp * G * kTile;
  const bool ownsValues = lane * CV < a.dv;
  for (int64_t t0 = begin + warp * kTile; t0 < end; t0 += kWarps * kTile) {
    const int n = int(min(int64_t(kTile), end - t0));
    float s[G];
#pragma unroll
    for (int h = 0; h < G; ++h)
      s[h] = 0.0f;
    if (lane < n) {
      const bf16 *krow = kBase + (t0 + lane) * a.ldkv;
      for (int c = 0; c < a.dk; c += 8) {
        float kv[8];
        load8(krow + c, kv);
#pragma unroll
        for (int h = 0; h < G; ++h) {
          const float4 x = *reinterpret_cast<const float4 *>(qs + h * a.dk + c);
          const float4 y =
              *reinterpret_cast<const float4 *>(qs + h * a.dk + c + 4);
          s[h] += x.x * kv[0] + x.y * kv[1] + x.z * kv[2] + x.w * kv[3] +
                  y.x * kv[4] + y.y * kv[5] + y.z * kv[6] + y.w * kv[7];
        }
      }
    }
#pragma unroll
    for (int h = 0; h < G; ++h) {
      const float sv = lane < n ? s[h] : -INFINITY;
      const float mNew = fmaxf(m[h], warpMax(sv)); // finite: n >= 1
      const float factor = exp2f(m[h] - mNew);     // 0 on the first tile
      const float p = lane < n ? exp2f(sv - mNew) : 0.0f;
      l[h] = l[h] * factor + p;
#pragma unroll
      for (int c = 0; c < CV; ++c)
        acc[h][c] *= factor;
      m[h] = mNew;
      pw[h * kTile + lane] = p;
    }
    __syncwarp();
    if (ownsValues) {
      const bf16 *vrow = vBase + t0 * a.ldkv;
#pragma unroll 4
      for (int t = 0; t < n; ++t) {
        float v[CV];
        loadN<CV>(vrow + t * a.ldkv, v);
#pragma unroll
        for (int h = 0; h < G; ++h) {
          const float p = pw[h * kTile + t];
#pragma unroll
          for (int c = 0; c < CV; ++c)
            acc[h][c] += p * v[c];
        }
      }
    }
    __syncwarp(); // pw is rewritten by the next tile
  }

  // Fold the warps: block max per head, then each warp's output rescaled
  // and added in warp order (deterministic).
#pragma unroll
  for (int h = 0; h < G; ++h) {
    l[h] = warpSum(l[h]);
    if (lane == 0) {
      mS[warp * G + h] = m[h];
      lS[warp * G + h] = l[h];
    }
  }
  __syncthreads();
  float f[G];
#pragma unroll
  for (int h = 0; h < G; ++h) {
    float blockM = -INFINITY;
    for (int w = 0; w < kWarps; ++w)
      blockM = fmaxf(blockM, mS[w * G + h]);
    f[h] = m[h] == -INFINITY ? 0.0f : exp2f(m[h] - blockM);
  }
  for (int w = 0; w < kWarps; ++w) {
    if (warp == w && ownsValues) {
#pragma unroll
      for (int h = 0; h < G; ++h)
#pragma unroll
        for (int c = 0; c < CV; ++c) {
          float &dst = accS[h * a.dv + lane * CV + c];
          const float v = acc[h][c] * f[h];
          dst = w == 0 ? v : dst + v;
        }
    }
    __syncthreads();
  }

  publishSplit<G>(a, accS, mS, lS, split, g, b);
}

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

constexpr int64_t kMinSplitTokens = 512;

/// The kernel choice: HELIX_CUDA_GQA_KERNEL=simt picks the CUDA-core one
/// at start, setGqaKernel afterwards.
std::atomic<int> &gqaKernelChoice() {
  static std::atomic<int> choice([] {
    const char *v = std::getenv("HELIX_CUDA_GQA_KERNEL");
    return int(v && std::string(v) == "simt" ? GqaKernel::CudaCores
                                             : GqaKernel::TensorCores);
  }());
  return choice;
}

/// Heads per block for a GQA group: the smallest instantiated size.
int paddedGroup(int64_t group) { return group <= 4 ? 4 : group <= 8 ? 8 : 16; }

/// Value channels per lane for dv: the smallest instantiated width.
int channelsPerLane(int64_t dv) { return dv <= 64 ? 2 : dv <= 128 ? 4 : 16; }

size_t partialBytes(int64_t batch, int64_t groups, int64_t paddedHeads,
                    int64_t dv, int32_t maxSplits) {
  return size_t(batch * groups * maxSplits * paddedHeads * (dv + 2)) *
         sizeof(float);
}

size_t sharedBytes(int g, int64_t dk, int64_t dv) {
  return size_t(g * dk + kWarps * g * kTile + g * dv + 2 * kWarps * g) *
         sizeof(float);
}

/// Splits per sequence: about four blocks per SM over the whole grid, but
/// at least kMinSplitTokens per block (so the combine stays a small part:
/// with 128-token splits it was most of the time up to 64K tokens) and no
/// more than maxSplits.
int64_t splitsForGrid(int64_t batch, int64_t groups) {
  const int64_t sms = detail::multiprocessorCount();
  return ceilDiv(4 * sms, std::max<int64_t>(1, batch * groups));
}

void chooseSplits(int64_t maxLength, int64_t batch, int64_t groups,
                  int32_t maxSplits, int32_t *splits, int64_t *chunk) {
  int64_t n = splitsForGrid(batch, groups);
  n = std::min<int64_t>(n, ceilDiv(std::max<int64_t>(maxLength, 1),
                                   kMinSplitTokens));
  n = std::clamp<int64_t>(n, 1, maxSplits);
  *splits = int32_t(n);
  *chunk = std::max<int64_t>(
      kTile, ceilDiv(ceilDiv(std::max<int64_t>(maxLength, 1), n), kTile) *
                 kTile);
}

template <int CV, int G>
helix_status launch(const AttnArgs &args, int64_t batch, cudaStream_t stream,
                    const char *what) {
  const size_t smem = sharedBytes(G, args.dk, args.dv);
  if (smem > 48 * 1024)
    if (helix_status s = detail::check(
            cudaFuncSetAttribute(attendSplitKernel<CV, G>,
                                 cudaFuncAttributeMaxDynamicSharedMemorySize,
                                 int(smem)),
            what))
      return s;
  const dim3 grid(unsigned(args.splits), unsigned(args.groups),
                  unsigned(batch));
  attendSplitKernel<CV, G><<<grid, kThreads, smem, stream>>>(args);
  if (helix_status s = detail::checkLaunch(what))
    return s;
  return launchCombine(args, G, batch, stream, what);
}

helix_status dispatch(const AttnArgs &args, int cv, int g, int64_t batch,
                      cudaStream_t stream, const char *what) {
  if (cv == 2 && g == 4)
    return launch<2, 4>(args, batch, stream, what);
  if (cv == 2 && g == 8)
    return launch<2, 8>(args, batch, stream, what);
  if (cv == 2 && g == 16)
    return launch<2, 16>(args, batch, stream, what);
  if (cv == 4 && g == 4)
    return launch<4, 4>(args, batch, stream, what);
  if (cv == 4 && g == 8)
    return launch<4, 8>(args, batch, stream, what);
  if (cv == 4 && g == 16)
    return launch<4, 16>(args, batch, stream, what);
  if (cv == 16 && g == 8)
    return launch<16, 8>(args, batch, stream, what);
  return detail::invalid(what, "no kernel for this head size and group");
}

helix_status checkCommon(const char *what, int64_t batch, int64_t heads,
                         int64_t peers, int64_t maxLength, int32_t maxSplits,
                         const void *out, const void *length,
                         const void *workspace) {
  if (peers < 1 || heads % peers != 0)
    return detail::invalid(what, "peers must divide the heads");
  if (batch < 0 || maxLength < 0)
    return detail::invalid(what, "negative batch or length");
  if (maxSplits < 1 || maxSplits > kMaxAttentionSplits)
    return detail::invalid(what, "maxSplits " + std::to_string(maxSplits) +
                                     " is outside [1, " +
                                     std::to_string(kMaxAttentionSplits) +
                                     "]");
  if (batch > 65535)
    return detail::invalid(what, "batch above 65535 (grid z)");
  if (batch > 0 && (!out || !length || !workspace))
    return detail::invalid(what, "null buffer");
  return HELIX_OK;
}

} // namespace

void setGqaKernel(GqaKernel kernel) { gqaKernelChoice().store(int(kernel)); }
GqaKernel gqaKernel() { return GqaKernel(gqaKernelChoice().load()); }

int32_t gqaAttentionSplits(int64_t batch, int64_t kvHeads) {
  return int32_t(
      std::clamp<int64_t>(splitsForGrid(batch, kvHeads), 1, kMaxAttentionSplits));
}

int32_t mlaAttentionSplits(int64_t batch, int64_t heads) {
  return int32_t(std::clamp<int64_t>(
      splitsForGrid(batch, ceilDiv(std::max<int64_t>(heads, 1), kMlaHeads)), 1,
      kMaxAttentionSplits));
}

size_t gqaWorkspaceBytes(int64_t batch, int64_t heads, int64_t kvHeads,
                         int64_t headDim, int32_t maxSplits) {
  if (batch <= 0 || heads <= 0 || kvHeads <= 0 || maxSplits <= 0)
    return 0;
  const int g = paddedGroup(heads / kvHeads);
  return partialBytes(batch, kvHeads, g, headDim, maxSplits);
}

size_t mlaWorkspaceBytes(int64_t batch, int64_t heads, int64_t rank,
                         int32_t maxSplits) {
  if (batch <= 0 || heads <= 0 || maxSplits <= 0)
    return 0;
  const int64_t groups = ceilDiv(heads, kMlaHeads);
  return partialBytes(batch, groups, kMlaHeads, rank, maxSplits) +
         size_t(batch * heads * rank) * sizeof(float);
}

helix_status gqaPartialAttention(const bf16 *q, const bf16 *const *keys,
                                 const bf16 *const *values,
                                 const int64_t *length, int64_t maxLength,
                                 int64_t batch, int64_t heads, int64_t kvHeads,
                                 int64_t headDim, float scale, float *out,
                                 void *workspace, int32_t maxSplits,
                                 cudaStream_t stream, int64_t peers) {
  const char *what = "cuda::gqaPartialAttention";
  if (helix_status s = checkCommon(what, batch, heads, peers, maxLength,
                                   maxSplits, out, length, workspace))
    return s;
  if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0)
    return detail::invalid(what, "heads must be a positive multiple of "
                                 "kvHeads");
  if (heads / kvHeads > 16)
    return detail::invalid(what, "more than 16 query heads per KV head");
  if (headDim != 64 && headDim != 128)
    return detail::invalid(what, "headDim " + std::to_string(headDim) +
                                     " is not 64 or 128");
  if (kvHeads > 65535)
    return detail::invalid(what, "kvHeads above 65535 (grid y)");
  if (batch == 0)
    return HELIX_OK;
  if (!q || !keys || !values)
    return detail::invalid(what, "null buffer");

  AttnArgs args{};
  args.qH = q;
  args.ldqH = headDim;
  args.keys = keys;
  args.values = values;
  args.length = length;
  args.ldkv = kvHeads * headDim;
  args.groupStride = headDim;
  args.heads = int32_t(heads);
  args.groupHeads = int32_t(heads / kvHeads);
  args.groups = int32_t(kvHeads);
  args.dk = args.dv = int32_t(headDim);
  args.scaleLog2 = scale * kLog2e;
  chooseSplits(maxLength, batch, kvHeads, maxSplits, &args.splits,
               &args.chunk);
  const int g = paddedGroup(args.groupHeads);
  args.partial = static_cast<float *>(workspace);
  args.out = out;
  args.batch = int32_t(batch);
  args.headsPerPeer = int32_t(heads / peers);
  if (gqaKernel() == GqaKernel::TensorCores)
    return launchGqaMma(args, headDim, g, batch, stream, what);
  return dispatch(args, channelsPerLane(headDim), g, batch, stream, what);
}

helix_status mlaPartialAttention(cublasHandle_t cublas, const bf16 *q,
                                 const bf16 *const *latent,
                                 const int64_t *length, int64_t maxLength,
                                 const bf16 *kvB, int64_t batch, int64_t heads,
                                 int64_t nope, int64_t ropeDim, int64_t vDim,
                                 int64_t rank, float scale, float *out,
                                 void *workspace, int32_t maxSplits,
                                 cudaStream_t stream, int64_t peers) {
  const char *what = "cuda::mlaPartialAttention";
  if (helix_status s = checkCommon(what, batch, heads, peers, maxLength,
                                   maxSplits, out, length, workspace))
    return s;
  if (heads <= 0 || nope <= 0 || ropeDim < 0 || vDim <= 0)
    return detail::invalid(what, "non-positive head sizes");
  if (rank <= 0 || rank > 512 || rank % 8 != 0 || ropeDim % 8 != 0)
    return detail::invalid(what, "rank must be a multiple of 8 up to 512 and "
                                 "ropeDim a multiple of 8");
  const int cv = channelsPerLane(rank);
  if (rank % cv != 0)
    return detail::invalid(what, "rank above 128 must be a multiple of 16");
  const int64_t groups = ceilDiv(heads, kMlaHeads);
  if (groups > 65535)
    return detail::invalid(what, "too many heads");
  if (batch == 0)
    return HELIX_OK;
  if (!cublas || !q || !latent || !kvB)
    return detail::invalid(what, "null buffer or handle");

  char *ws = static_cast<char *>(workspace);
  float *absorbed = reinterpret_cast<float *>(
      ws + partialBytes(batch, groups, kMlaHeads, rank, maxSplits));
  // q_latent[b, h] = W_UK,h^T q_nope[b, h] for every head at once. Column-
  // major view per head h: C_h [rank, B] = W_UK,h [rank, nope] x Q_h [nope,
  // B], with W_UK,h the rows h*(nope+vDim) .. +nope of kvB.
  const int64_t qWidth = nope + ropeDim;
  const float alpha = 1.0f, beta = 0.0f;
  if (cublasSetStream(cublas, stream) != CUBLAS_STATUS_SUCCESS)
    return detail::fail(HELIX_ERROR_INTERNAL, std::string(what) +
                                                  ": cublasSetStream failed");
  cublasStatus_t status = cublasGemmStridedBatchedEx(
      cublas, CUBLAS_OP_N, CUBLAS_OP_N, int(rank), int(batch), int(nope),
      &alpha, kvB, CUDA_R_16BF, int(rank), (nope + vDim) * rank, q,
      CUDA_R_16BF, int(heads * qWidth), qWidth, &beta, absorbed, CUDA_R_32F,
      int(heads * rank), rank, int(heads), CUBLAS_COMPUTE_32F,
      CUBLAS_GEMM_DEFAULT);
  if (status != CUBLAS_STATUS_SUCCESS)
    return detail::fail(HELIX_ERROR_INTERNAL,
                        std::string(what) + ": W_UK absorption GEMM: " +
                            cublasGetStatusString(status));

  AttnArgs args{};
  args.qF = absorbed;
  args.ldqF = rank;
  args.fWidth = int32_t(rank);
  args.qH = q;
  args.ldqH = qWidth;
  args.qHOffset = nope;
  args.keys = latent;
  args.values = latent;
  args.length = length;
  args.ldkv = rank + ropeDim;
  args.groupStride = 0; // every head group reads the same latent rows
  args.heads = int32_t(heads);
  args.groupHeads = kMlaHeads;
  args.groups = int32_t(groups);
  args.dk = int32_t(rank + ropeDim);
  args.dv = int32_t(rank);
  args.scaleLog2 = scale * kLog2e;
  chooseSplits(maxLength, batch, groups, maxSplits, &args.splits, &args.chunk);
  args.partial = reinterpret_cast<float *>(ws);
  args.out = out;
  args.batch = int32_t(batch);
  args.headsPerPeer = int32_t(heads / peers);
  return dispatch(args, cv, kMlaHeads, batch, stream, what);
}

} // namespace helix_rt::cuda
