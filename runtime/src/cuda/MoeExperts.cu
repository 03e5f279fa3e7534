//===- MoeExperts.cu - MoE experts over routed rows only ------------------===//
//
// The routed MoE path (MoeExperts.h): group the slots by local expert with
// the steps of kernels/MoeGrouping.h, then two grouped GEMVs over a grid of
// (column tiles, local experts) whose blocks read their expert's row range
// from the device and return at once when it is empty, then a per-row sum
// in slot order. An expert's weight tile is read once per kRows of its
// rows, so decode (a few rows per expert) reads each used expert about
// once; prefill passes re-read from L2.
//
//===----------------------------------------------------------------------===//
#include "CudaStatus.h"
#include "DeviceUtil.cuh"
#include "MoeExperts.h"

#include <cuda_bf16.h>

#include <algorithm>

namespace helix_rt::cuda::ops {

namespace {

using moe::kGroupTile;

constexpr int kThreads = 256, kWarps = kThreads / 32;
constexpr int kCols = 2;  // output columns per warp
constexpr int kRows = 8;  // grouped rows per pass over a weight tile
constexpr int kColsPerBlock = kWarps * kCols;

/// The tile's local experts in shared memory (-1 past the end or not
/// local); returns the tile's slot count.
__device__ int32_t loadTile(const int64_t *ids, int64_t slots, int64_t first,
                            int64_t experts, int32_t *tile) {
  const int64_t start = int64_t(blockIdx.x) * kGroupTile;
  const int32_t len =
      slots - start < kGroupTile ? int32_t(slots - start) : kGroupTile;
  const int k = threadIdx.x;
  tile[k] = k < len ? moe::localExpert(ids[start + k], first, experts) : -1;
  __syncthreads();
  return len;
}

__global__ void __launch_bounds__(kGroupTile)
    countTilesKernel(const int64_t *ids, int64_t slots, int64_t first,
                     int64_t experts, int32_t *tileBase) {
  __shared__ int32_t tile[kGroupTile];
  const int32_t len = loadTile(ids, slots, first, experts, tile);
  for (int64_t e = threadIdx.x; e < experts; e += kGroupTile)
    tileBase[int64_t(blockIdx.x) * experts + e] =
        moe::countInTile(tile, len, int32_t(e));
}

/// One block: tile counts -> first positions, expert totals -> offsets.
__global__ void __launch_bounds__(kGroupTile)
    scanTilesKernel(int32_t *tileBase, int64_t tiles, int64_t experts,
                    int32_t *offsets) {
  for (int64_t e = threadIdx.x; e < experts; e += kGroupTile)
    offsets[e] = moe::scanTiles(tileBase, tiles, experts, e);
  __syncthreads();
  if (threadIdx.x == 0)
    moe::scanExperts(offsets, experts);
  __syncthreads();
  for (int64_t e = threadIdx.x; e < experts; e += kGroupTile)
    moe::addExpertBase(tileBase, tiles, experts, e, offsets[e]);
}

__global__ void __launch_bounds__(kGroupTile)
    placeSlotsKernel(const int64_t *ids, const float *weights, int64_t slots,
                     int64_t topK, int64_t first, int64_t experts,
                     moe::RoutedGroups g) {
  __shared__ int32_t tile[kGroupTile];
  const int32_t len = loadTile(ids, slots, first, experts, tile);
  if (int32_t(threadIdx.x) < len)
    moe::placeSlot(tile, threadIdx.x, int64_t(blockIdx.x) * kGroupTile,
                   g.tileBase + int64_t(blockIdx.x) * experts, weights, topK,
                   g);
}

template <int V>
__device__ __forceinline__ void loadV(const __nv_bfloat16 *p, float *v) {
  if constexpr (V == 1)
    v[0] = __bfloat162float(*p);
  else
    detail::loadN<V>(p, v);
}

/// out[p, col] for the grouped positions p of expert blockIdx.y and kCols
/// columns per warp: in rows (inRow[p], or p itself) [k] times the rows of
/// mat0 (and mat1) [n, k] of that expert. kGateUp: out is the bf16 SwiGLU
/// activation silu(in . gate) * (in . up); else fp32 in . down. V bf16 per
/// lane load (8: k % 8 == 0, 16-byte aligned rows; 1 otherwise).
template <bool kGateUp, int V>
__global__ void __launch_bounds__(kThreads)
    expertGemvKernel(const __nv_bfloat16 *in, int64_t k, int64_t n,
                     const __nv_bfloat16 *const *mat0,
                     const __nv_bfloat16 *const *mat1, const int32_t *offsets,
                     const int32_t *inRow, void *out) {
  const int32_t begin = offsets[blockIdx.y], end = offsets[blockIdx.y + 1];
  if (begin == end)
    return; // no rows: this expert's weights are not read
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int64_t col0 = (int64_t(blockIdx.x) * kWarps + warp) * kCols;
  if (col0 >= n)
    return;
  const int cols = n - col0 < kCols ? int(n - col0) : kCols;
  // Columns past n repeat the last one (read, never written): no branch in
  // the inner loop.
  const __nv_bfloat16 *w0[kCols], *w1[kCols];
#pragma unroll
  for (int c = 0; c < kCols; ++c) {
    const int64_t col = col0 + min(c, cols - 1);
    w0[c] = mat0[blockIdx.y] + col * k;
    w1[c] = kGateUp ? mat1[blockIdx.y] + col * k : nullptr;
  }
  for (int32_t p0 = begin; p0 < end; p0 += kRows) {
    const int rows = min(kRows, int(end - p0));
    const __nv_bfloat16 *x[kRows];
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
      const int32_t p = p0 + min(r, rows - 1);
      x[r] = in + int64_t(inRow ? inRow[p] : p) * k;
    }
    float acc0[kRows][kCols] = {}, acc1[kRows][kCols] = {};
    for (int64_t i = int64_t(lane) * V; i < k; i += 32 * V) {
      float a[kCols][V], b[kCols][V];
#pragma unroll
      for (int c = 0; c < kCols; ++c) {
        loadV<V>(w0[c] + i, a[c]);
        if constexpr (kGateUp)
          loadV<V>(w1[c] + i, b[c]);
      }
#pragma unroll
      for (int r = 0; r < kRows; ++r) {
        if (r < rows) { // uniform over the warp
          float xv[V];
          loadV<V>(x[r] + i, xv);
#pragma unroll
          for (int c = 0; c < kCols; ++c)
#pragma unroll
            for (int v = 0; v < V; ++v) {
              acc0[r][c] = fmaf(a[c][v], xv[v], acc0[r][c]);
              if constexpr (kGateUp)
                acc1[r][c] = fmaf(b[c][v], xv[v], acc1[r][c]);
            }
        }
      }
    }
#pragma unroll
    for (int r = 0; r < kRows; ++r)
#pragma unroll
      for (int c = 0; c < kCols; ++c) {
        const float s0 = detail::warpSum(acc0[r][c]);
        const float s1 = kGateUp ? detail::warpSum(acc1[r][c]) : 0.0f;
        if (lane != 0 || r >= rows || c >= cols)
          continue;
        const int64_t at = int64_t(p0 + r) * n + col0 + c;
        if constexpr (kGateUp) // silu(g) * up, as swigluKernel
          static_cast<__nv_bfloat16 *>(out)[at] =
              __float2bfloat16(s0 / (1.0f + expf(-s0)) * s1);
        else
          static_cast<float *>(out)[at] = s0;
      }
  }
}

__global__ void __launch_bounds__(kThreads)
    combineSlotsKernel(const int32_t *slotOf, const float *slotWeight,
                       const float *y, int64_t batch, int64_t n, int64_t topK,
                       float *out) {
  const int64_t i = int64_t(blockIdx.x) * kThreads + threadIdx.x;
  if (i < batch * n)
    out[i] = moe::combineRow(slotOf, slotWeight, y, n, topK, i / n, i % n);
}

size_t aligned(size_t bytes) { return (bytes + 255) / 256 * 256; }

/// Byte offsets of the scratch of one pass over `rows` rows.
struct Scratch {
  size_t tileBase, offsets, slotRow, slotWeight, slotOf, act, y, total;
  Scratch(int64_t rows, int64_t topK, int64_t experts, int64_t hidden,
          int64_t width) {
    const size_t slots = size_t(rows * topK);
    total = 0;
    auto take = [&](size_t bytes) {
      const size_t at = total;
      total += aligned(bytes);
      return at;
    };
    tileBase = take(size_t(moe::groupTiles(rows * topK) * experts) * 4);
    offsets = take(size_t(experts + 1) * 4);
    slotRow = take(slots * 4);
    slotWeight = take(slots * 4);
    slotOf = take(slots * 4);
    act = take(slots * size_t(width) * 2);
    y = take(slots * size_t(hidden) * 4);
  }
};

template <typename T> T *at(void *base, size_t offset) {
  return reinterpret_cast<T *>(static_cast<char *>(base) + offset);
}

template <bool kGateUp>
helix_status launchGemv(const bf16 *in, int64_t k, int64_t n,
                        const bf16 *const *mat0, const bf16 *const *mat1,
                        int64_t experts, const int32_t *offsets,
                        const int32_t *inRow, void *out, cudaStream_t stream) {
  const dim3 grid(unsigned((n + kColsPerBlock - 1) / kColsPerBlock),
                  unsigned(experts));
  if (k % 8 == 0)
    expertGemvKernel<kGateUp, 8><<<grid, kThreads, 0, stream>>>(
        in, k, n, mat0, mat1, offsets, inRow, out);
  else
    expertGemvKernel<kGateUp, 1><<<grid, kThreads, 0, stream>>>(
        in, k, n, mat0, mat1, offsets, inRow, out);
  return detail::checkLaunch(kGateUp ? "cuda::ops::routedExperts (gate/up)"
                                     : "cuda::ops::routedExperts (down)");
}

} // namespace

helix_status groupRoutedRows(const int64_t *ids, const float *weights,
                             int64_t batch, int64_t topK, int64_t first,
                             int64_t experts, const moe::RoutedGroups &g,
                             cudaStream_t stream) {
  const char *what = "cuda::ops::groupRoutedRows";
  if (batch < 0 || topK <= 0 || experts < 0 || batch * topK > 2147483647)
    return detail::invalid(what, "bad sizes (slots must fit int32)");
  const int64_t slots = batch * topK, tiles = moe::groupTiles(slots);
  if (!g.offsets || (slots && (!ids || !weights || !g.tileBase || !g.slotRow ||
                               !g.slotWeight || !g.slotOf)))
    return detail::invalid(what, "null buffer");
  if (tiles)
    countTilesKernel<<<unsigned(tiles), kGroupTile, 0, stream>>>(
        ids, slots, first, experts, g.tileBase);
  scanTilesKernel<<<1, kGroupTile, 0, stream>>>(g.tileBase, tiles, experts,
                                                 g.offsets);
  if (tiles)
    placeSlotsKernel<<<unsigned(tiles), kGroupTile, 0, stream>>>(
        ids, weights, slots, topK, first, experts, g);
  return detail::checkLaunch(what);
}

size_t routedExpertsWorkspaceBytes(int64_t batch, int64_t topK,
                                   int64_t experts, int64_t hidden,
                                   int64_t width) {
  if (batch <= 0 || topK <= 0 || experts < 0 || hidden <= 0 || width <= 0)
    return 0;
  return Scratch(std::min(batch, kRoutedRowsPerPass), topK, experts, hidden,
                 width)
      .total;
}

helix_status routedExperts(const bf16 *x, const int64_t *ids,
                           const float *weights, int64_t batch, int64_t topK,
                           int64_t first, int64_t experts, int64_t hidden,
                           int64_t width, const bf16 *const *gate,
                           const bf16 *const *up, const bf16 *const *down,
                           float *out, void *workspace, cudaStream_t stream) {
  const char *what = "cuda::ops::routedExperts";
  if (batch < 0 || topK <= 0 || topK > 65536 || experts < 0 ||
      experts > 65535 || hidden <= 0 || width <= 0)
    return detail::invalid(what, "bad sizes");
  if (batch == 0)
    return HELIX_OK;
  if (!x || !ids || !weights || !out || !workspace ||
      (experts && (!gate || !up || !down)))
    return detail::invalid(what, "null buffer");
  if (experts == 0) // no local experts: nothing routed here
    return detail::check(
        cudaMemsetAsync(out, 0, size_t(batch * hidden) * 4, stream), what);
  const Scratch s(std::min(batch, kRoutedRowsPerPass), topK, experts, hidden,
                  width);
  const moe::RoutedGroups g{
      at<int32_t>(workspace, s.tileBase), at<int32_t>(workspace, s.offsets),
      at<int32_t>(workspace, s.slotRow), at<float>(workspace, s.slotWeight),
      at<int32_t>(workspace, s.slotOf)};
  bf16 *act = at<bf16>(workspace, s.act);
  float *y = at<float>(workspace, s.y);
  for (int64_t r0 = 0; r0 < batch; r0 += kRoutedRowsPerPass) {
    const int64_t rows = std::min(kRoutedRowsPerPass, batch - r0);
    if (helix_status st = groupRoutedRows(ids + r0 * topK, weights + r0 * topK,
                                          rows, topK, first, experts, g,
                                          stream))
      return st;
    if (helix_status st =
            launchGemv<true>(x + r0 * hidden, hidden, width, gate, up, experts,
                             g.offsets, g.slotRow, act, stream))
      return st;
    if (helix_status st = launchGemv<false>(act, width, hidden, down, nullptr,
                                            experts, g.offsets, nullptr, y,
                                            stream))
      return st;
    const int64_t items = rows * hidden;
    combineSlotsKernel<<<unsigned((items + kThreads - 1) / kThreads), kThreads,
                         0, stream>>>(g.slotOf, g.slotWeight, y, rows, hidden,
                                      topK, out + r0 * hidden);
    if (helix_status st = detail::checkLaunch(what))
      return st;
  }
  return HELIX_OK;
}

} // namespace helix_rt::cuda::ops
