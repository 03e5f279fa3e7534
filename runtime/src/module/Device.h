//===- Device.h - where a rank's buffers live and its ops run ---*- C++ -*-===//
//
// Every `_mlir_ciface_helix_rt_*` entry point (docs/abi.md) is a forward to
// the rank's Device; a rank always has one. Two implement it:
//
//  * CpuDevice (CpuDevice.h): host memory, the CPU kernels
//    (helix_rt/kernels.h), the weights read where RankContext loaded them.
//    The rank makes its own when the caller passes none; it runs target=cpu
//    modules, and target=cuda ones on the host (how the GPU lowering is
//    tested without a GPU).
//  * the CUDA device (runtime/src/cuda/CudaDevice.cpp, in libhelix_rt_cuda;
//    libhelix_rt never links CUDA): passed by the caller, it owns copies of
//    the weights and runs target=cuda modules only.
//
// Every method records failures with RankContext::fail and returns; buffers
// are the step's descriptors, pointing to the device's memory (for the CPU
// device any host memory, so also the buffers a target=cpu step allocates).
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_RT_MODULE_DEVICE_H
#define HELIX_RT_MODULE_DEVICE_H

#include "MemRef.h"
#include "helix_rt/safetensors.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace helix_rt {

class RankContext;

/// A strided view of any rank (at most 4) and element size: what the step's
/// copies and the collectives' packing move.
struct StridedView {
  char *base = nullptr; // first element
  int64_t rank = 0;
  int64_t sizes[4] = {1, 1, 1, 1};
  int64_t strides[4] = {0, 0, 0, 0}; // in elements
  int64_t elementBytes = 4;
};

template <typename T, int Rank> StridedView viewOf(const MemRef<T, Rank> &m) {
  StridedView v;
  v.base = reinterpret_cast<char *>(m.data());
  v.rank = Rank;
  v.elementBytes = sizeof(T);
  for (int d = 0; d < Rank; ++d) {
    v.sizes[d] = m.sizes[d];
    v.strides[d] = m.strides[d];
  }
  return v;
}

/// A device that can record a decode step's work once and replay it (CUDA
/// graphs). ModuleApi's deviceStep follows a StepGraphs plan
/// (StepGraphs.h) and stages the step's inputs and outputs in buffers that
/// live as long as the recording.
class StepRecorder {
public:
  virtual ~StepRecorder() = default;
  /// Whether this rank's steps may be recorded (asked each step).
  virtual bool recordable(RankContext &c) const = 0;
  /// Changes whenever the device makes state a recording could point to
  /// (workspaces, tables): recordings made before are stale.
  virtual uint64_t generation() const = 0;
  /// Attention sizes its work for this bound on every row's position + 1
  /// instead of the step's own positions (0: from the positions), so a
  /// recording is valid for every step under the bound.
  virtual void setLengthBound(int64_t bound) = 0;
  /// Runs `step` (the compiled step's host code) while recording what it
  /// enqueues, without running that work; the recording, or null with a
  /// failure in `c` (which, as any failure of a step, ends the rank).
  virtual void *record(RankContext &c, const std::function<void()> &step) = 0;
  /// The host checks the recorded step made (the step's positions against
  /// the cache), then the recorded work.
  virtual bool replay(RankContext &c, void *recording) = 0;
  virtual void destroy(void *recording) = 0;
};

class Device {
public:
  virtual ~Device() = default;
  virtual const char *name() const = 0;
  /// Null unless the device records steps (StepRecorder).
  virtual StepRecorder *recorder() { return nullptr; }

  /// Takes the rank's loaded weights (host fp32 for a device with memory of
  /// its own, which copies them, and RankContext then drops the host
  /// copies; the CPU device reads them in place, bf16/f16 matrices as such),
  /// allocates its cache of `rows` x `slots` tokens per layer and binds the
  /// rank's world communicator (before its groups are split). Once per
  /// device.
  virtual bool upload(RankContext &c, int64_t rows, int64_t slots,
                      std::string &error) = 0;
  virtual int64_t weightBytes() const = 0;
  /// Of those, the bytes held as `dtype` (a device that says nothing holds
  /// fp32 only).
  virtual int64_t weightBytesOf(helix_dtype dtype) const {
    return dtype == HELIX_DTYPE_F32 ? weightBytes() : 0;
  }
  virtual int64_t cacheBytes() const = 0;
  /// The cache's element type (RankContext::kvDtype chose it at upload).
  virtual helix_dtype cacheDtype() const = 0;

  // Memory (host memory on the CPU device). The step's inputs and outputs
  // are staged by these too.
  /// Null when out of memory (the caller reports it).
  virtual void *alloc(int64_t bytes) = 0;
  virtual void free(void *p) = 0;
  virtual void copy(RankContext &c, const StridedView &src,
                    const StridedView &dst) = 0;
  virtual void toDevice(RankContext &c, void *dst, const void *src,
                        int64_t bytes) = 0;
  /// Copies back and waits for everything enqueued; false on a device error.
  virtual bool toHost(RankContext &c, void *dst, const void *src,
                      int64_t bytes) = 0;

  // The step's glue.
  virtual void add(RankContext &c, const F32x2 &a, const F32x2 &b,
                   const F32x2 &out) = 0;
  virtual void rmsNorm(RankContext &c, int64_t weight, float eps,
                       const F32x2 &in, const F32x2 &out) = 0;
  virtual void lseMerge(RankContext &c, const F32x4 &in, const F32x2 &out) = 0;
  virtual void sumShards(RankContext &c, const F32x3 &in, const F32x2 &out) = 0;
  virtual void argmax(RankContext &c, const F32x2 &in, const I64x1 &out) = 0;
  virtual void kvOwner(RankContext &c, int64_t block, int64_t shards,
                       const I64x1 &positions, const I64x1 &owner) = 0;

  // The microkernels (arguments as the entry points of docs/abi.md).
  virtual void embed(RankContext &c, int64_t weight, const I64x1 &tokens,
                     const F32x2 &out) = 0;
  /// The LM head (`helix.linear {logits}`): rows rowOffset.. of the step.
  /// A device may compute only the rows RankContext::wantsLogits names (the
  /// step's caller zeroes the others); by default it computes them all.
  virtual void logits(RankContext &c, int64_t weight, const F32x2 &in,
                      const F32x2 &out, int64_t rowOffset) {
    linear(c, weight, in, out);
  }
  virtual void linear(RankContext &c, int64_t weight, const F32x2 &in,
                      const F32x2 &out) = 0;
  virtual void rope(RankContext &c, int64_t rope, int64_t heads,
                    int64_t headDim, int64_t rotaryDim, const F32x2 &in,
                    const I64x1 &positions, const F32x2 &out) = 0;
  /// kv_append / latent_append: the cache kind says which.
  virtual void append(RankContext &c, int64_t layer, const F32x2 &a,
                      const F32x2 &b, const I64x1 &positions,
                      const I64x1 &owner, int64_t rank, int64_t rowOffset) = 0;
  virtual void gqaPartialAttention(RankContext &c, int64_t layer,
                                   const F32x2 &q, const I64x1 &positions,
                                   int64_t rank, int64_t rowOffset,
                                   int64_t heads, float scale,
                                   const F32x4 &out) = 0;
  virtual void mlaPartialAttention(RankContext &c, int64_t layer, int64_t kvb,
                                   const F32x2 &q, const I64x1 &positions,
                                   int64_t rank, int64_t rowOffset,
                                   int64_t heads, int64_t nope, int64_t vDim,
                                   float scale, const F32x4 &out) = 0;
  virtual void mlaValueProjection(RankContext &c, int64_t kvb, int64_t nope,
                                  int64_t vDim, const F32x2 &in,
                                  const F32x2 &out) = 0;
  /// The LSE merge of `in` [K, B, heads, W + 1] fused into the GEMM that
  /// takes it (merge_linear: W_O; merge_value_projection: MLA's W_UV).
  virtual void mergeLinear(RankContext &c, int64_t weight, const F32x4 &in,
                           const F32x2 &out) = 0;
  virtual void mergeValueProjection(RankContext &c, int64_t kvb, int64_t nope,
                                    int64_t vDim, const F32x4 &in,
                                    const F32x2 &out) = 0;
  virtual void swiglu(RankContext &c, int64_t gate, int64_t up, int64_t down,
                      const F32x2 &in, const F32x2 &out) = 0;
  virtual void moeRoute(RankContext &c, int64_t gate, int64_t bias,
                        int64_t topK, int64_t groups, int64_t topkGroup,
                        bool norm, float scaling, const F32x2 &in,
                        const I64x2 &ids, const F32x2 &weights) = 0;
  virtual void moeExperts(RankContext &c, int64_t moe, const F32x2 &in,
                          const I64x2 &ids, const F32x2 &weights,
                          const F32x2 &out) = 0;
};

} // namespace helix_rt

#endif // HELIX_RT_MODULE_DEVICE_H
