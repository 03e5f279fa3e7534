//===- Rope.cu - Rotary position embeddings on bf16 heads -----------------===//
//
// The frequencies come from kernels::ropeFrequencies (host, double), so the
// variants (default, llama3, YaRN with its attention factor) are computed
// by one piece of code for both backends. Per pair the kernel forms the
// angle position * inv_freq and its cos/sin in double, scales them by the
// attention factor and rounds to float, exactly as Rope.cpp; the rotation
// itself is float math on the bf16 inputs. One thread per (row, head, pair):
// both channels are read before either is written, so out may equal x.
//
//===----------------------------------------------------------------------===//
#include "CudaStatus.h"
#include "DeviceUtil.cuh"
#include "helix_rt/cuda_kernels.h"

#include <cuda_bf16.h>

#include <vector>

namespace helix_rt::cuda {

namespace {

constexpr int kThreads = 256;

template <typename T>
__global__ void __launch_bounds__(kThreads)
    ropeKernel(const T *x, const int64_t *positions, int64_t rows, int heads,
               int headDim, int rotaryDim, const double *invFreq,
               double attentionFactor, bool interleaved, T *out) {
  const int half = rotaryDim / 2;
  const int pass = headDim - rotaryDim;
  // Work items per head: the pass-through channels, then the pairs.
  const int perHead = pass + half;
  const int64_t item = int64_t(blockIdx.x) * kThreads + threadIdx.x;
  if (item >= rows * heads * perHead)
    return;
  const int64_t head = item / perHead; // b * heads + h
  const int j = int(item % perHead);
  const int64_t b = head / heads;
  const T *xh = x + head * headDim;
  T *oh = out + head * headDim;
  if (j < pass) {
    oh[j] = xh[j];
    return;
  }
  const int p = j - pass;
  const double angle = double(positions[b]) * invFreq[p];
  double s, c;
  sincos(angle, &s, &c);
  const float cf = float(c * attentionFactor), sf = float(s * attentionFactor);
  const int i0 = pass + (interleaved ? 2 * p : p);
  const int i1 = pass + (interleaved ? 2 * p + 1 : p + half);
  const float a = detail::toFloat(xh[i0]), bb = detail::toFloat(xh[i1]);
  oh[i0] = detail::fromFloat<T>(a * cf - bb * sf);
  oh[i1] = detail::fromFloat<T>(bb * cf + a * sf);
}

} // namespace

helix_status ropeTableCreate(const kernels::RopeParams &params,
                             int64_t rotaryDim, RopeTable *table) {
  const char *what = "cuda::ropeTableCreate";
  if (!table)
    return detail::invalid(what, "null table");
  if (rotaryDim <= 0 || rotaryDim % 2 != 0)
    return detail::invalid(what, "rotaryDim must be positive and even");
  std::vector<double> invFreq(size_t(rotaryDim / 2));
  double factor = 1.0;
  kernels::ropeFrequencies(params, rotaryDim, invFreq.data(), &factor);
  double *device = nullptr;
  const size_t bytes = invFreq.size() * sizeof(double);
  if (helix_status s = detail::check(cudaMalloc(&device, bytes), what))
    return s;
  if (helix_status s = detail::check(
          cudaMemcpy(device, invFreq.data(), bytes, cudaMemcpyHostToDevice),
          what)) {
    cudaFree(device);
    return s;
  }
  table->invFreq = device;
  table->attentionFactor = factor;
  table->rotaryDim = rotaryDim;
  table->interleaved = params.interleaved;
  return HELIX_OK;
}

void ropeTableDestroy(RopeTable *table) {
  if (!table)
    return;
  cudaFree(table->invFreq);
  *table = RopeTable{};
}

namespace {

template <typename T>
helix_status ropeAs(const T *x, const int64_t *positions, int64_t batch,
                    int64_t heads, int64_t headDim, const RopeTable &table,
                    T *out, cudaStream_t stream) {
  const char *what = "cuda::rope";
  if (batch < 0 || heads <= 0 || headDim <= 0 || table.rotaryDim <= 0 ||
      table.rotaryDim > headDim)
    return detail::invalid(what, "bad sizes (rotaryDim must fit the head)");
  if (batch == 0)
    return HELIX_OK;
  if (!x || !positions || !out || !table.invFreq)
    return detail::invalid(what, "null buffer");
  const int64_t items =
      batch * heads * (headDim - table.rotaryDim + table.rotaryDim / 2);
  const int64_t blocks = (items + kThreads - 1) / kThreads;
  if (blocks > 2147483647)
    return detail::invalid(what, "too large");
  ropeKernel<<<unsigned(blocks), kThreads, 0, stream>>>(
      x, positions, batch, int(heads), int(headDim), int(table.rotaryDim),
      table.invFreq, table.attentionFactor, table.interleaved, out);
  return detail::checkLaunch(what);
}

} // namespace

helix_status rope(const bf16 *x, const int64_t *positions, int64_t batch,
                  int64_t heads, int64_t headDim, const RopeTable &table,
                  bf16 *out, cudaStream_t stream) {
  return ropeAs(x, positions, batch, heads, headDim, table, out, stream);
}

helix_status rope(const float *x, const int64_t *positions, int64_t batch,
                  int64_t heads, int64_t headDim, const RopeTable &table,
                  float *out, cudaStream_t stream) {
  return ropeAs(x, positions, batch, heads, headDim, table, out, stream);
}

} // namespace helix_rt::cuda
