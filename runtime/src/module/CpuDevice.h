//===- CpuDevice.h - the Device on host memory ------------------*- C++ -*-===//
//
// The rank's device when the caller passes none: buffers are host memory,
// the weights stay where RankContext loaded them (fp32, or bf16/f16 matrices
// as the checkpoint holds them, most in its mapping) and the ops are the
// CPU kernels (helix_rt/kernels.h). It runs both targets' modules: a
// target=cpu step allocates its buffers itself, a target=cuda one through
// alloc/free here (HELIX_CUDA_ON_HOST=1 in helix-run).
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_RT_MODULE_CPUDEVICE_H
#define HELIX_RT_MODULE_CPUDEVICE_H

#include "Device.h"
#include "RerunRecorder.h"
#include "ReusedBlocks.h"
#include "helix_rt/kernels.h"

#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

namespace helix_rt {

class CpuDevice final : public Device {
public:
  const char *name() const override { return "cpu"; }
  /// Null unless HELIX_TEST_RECORD_STEPS=1 (RerunRecorder.h).
  StepRecorder *recorder() override { return rerun.get(); }

  /// Allocates the cache (zeros; fp32, or bf16 when the rank asks for it);
  /// the weights are read in place.
  bool upload(RankContext &c, int64_t rows, int64_t slots,
              std::string &error) override;
  int64_t weightBytes() const override {
    return weightSize[0] + weightSize[1] + weightSize[2];
  }
  int64_t weightBytesOf(helix_dtype dtype) const override {
    return weightSize[dtype];
  }
  int64_t cacheBytes() const override {
    return static_cast<int64_t>(cache.size() * 4 + cacheBf16.size() * 2);
  }
  helix_dtype cacheDtype() const override {
    return bf16Cache ? HELIX_DTYPE_BF16 : HELIX_DTYPE_F32;
  }

  void *alloc(int64_t bytes) override;
  void free(void *p) override;
  void copy(RankContext &c, const StridedView &src,
            const StridedView &dst) override;
  void toDevice(RankContext &c, void *dst, const void *src,
                int64_t bytes) override;
  bool toHost(RankContext &c, void *dst, const void *src,
              int64_t bytes) override;

  void add(RankContext &c, const F32x2 &a, const F32x2 &b,
           const F32x2 &out) override;
  void rmsNorm(RankContext &c, int64_t weight, float eps, const F32x2 &in,
               const F32x2 &out) override;
  void lseMerge(RankContext &c, const F32x4 &in, const F32x2 &out) override;
  void sumShards(RankContext &c, const F32x3 &in, const F32x2 &out) override;
  void argmax(RankContext &c, const F32x2 &in, const I64x1 &out) override;
  void kvOwner(RankContext &c, int64_t block, int64_t shards,
               const I64x1 &positions, const I64x1 &owner) override;

  void embed(RankContext &c, int64_t weight, const I64x1 &tokens,
             const F32x2 &out) override;
  void linear(RankContext &c, int64_t weight, const F32x2 &in,
              const F32x2 &out) override;
  void logits(RankContext &c, int64_t weight, const F32x2 &in,
              const F32x2 &out, int64_t rowOffset) override;
  void rope(RankContext &c, int64_t rope, int64_t heads, int64_t headDim,
            int64_t rotaryDim, const F32x2 &in, const I64x1 &positions,
            const F32x2 &out) override;
  void append(RankContext &c, int64_t layer, const F32x2 &a, const F32x2 &b,
              const I64x1 &positions, const I64x1 &owner, int64_t rank,
              int64_t rowOffset) override;
  void gqaPartialAttention(RankContext &c, int64_t layer, const F32x2 &q,
                           const I64x1 &positions, int64_t rank,
                           int64_t rowOffset, int64_t heads, float scale,
                           const F32x4 &out) override;
  void mlaPartialAttention(RankContext &c, int64_t layer, int64_t kvb,
                           const F32x2 &q, const I64x1 &positions, int64_t rank,
                           int64_t rowOffset, int64_t heads, int64_t nope,
                           int64_t vDim, float scale,
                           const F32x4 &out) override;
  void mlaValueProjection(RankContext &c, int64_t kvb, int64_t nope,
                          int64_t vDim, const F32x2 &in,
                          const F32x2 &out) override;
  /// On the host the merge is not fused: it goes to scratch, then the GEMM.
  void mergeLinear(RankContext &c, int64_t weight, const F32x4 &in,
                   const F32x2 &out) override;
  void mergeValueProjection(RankContext &c, int64_t kvb, int64_t nope,
                            int64_t vDim, const F32x4 &in,
                            const F32x2 &out) override;
  void swiglu(RankContext &c, int64_t gate, int64_t up, int64_t down,
              const F32x2 &in, const F32x2 &out) override;
  void moeRoute(RankContext &c, int64_t gate, int64_t bias, int64_t topK,
                int64_t groups, int64_t topkGroup, bool norm, float scaling,
                const F32x2 &in, const I64x2 &ids,
                const F32x2 &weights) override;
  void moeExperts(RankContext &c, int64_t moe, const F32x2 &in,
                  const I64x2 &ids, const F32x2 &weights,
                  const F32x2 &out) override;

private:
  /// The rank's block of a weight, or null data (and a failure) when it is
  /// missing or its local shape does not match `rows` x `cols` (-1: any).
  static kernels::Weights weightData(RankContext &c, int64_t id, int64_t rows,
                                     int64_t cols);
  /// The same for a weight the kernel takes as fp32 only (a vector).
  static const float *vectorData(RankContext &c, int64_t id, int64_t size);

  /// Per-sequence token pointers (in the cache's type) and lengths for a
  /// partial attention.
  struct SequenceViews {
    std::vector<const float *> first, second;
    std::vector<const uint16_t *> firstBf16, secondBf16;
    std::vector<int64_t> length;
    kernels::KvRows firstRows() const {
      return firstBf16.empty() ? kernels::KvRows(first.data())
                               : kernels::KvRows(firstBf16.data());
    }
    kernels::KvRows secondRows() const {
      return secondBf16.empty() ? kernels::KvRows(second.data())
                                : kernels::KvRows(secondBf16.data());
    }
  };

  /// Element offset of the cache block of (layer, sequence row): for KV
  /// caches all slots' keys, then all slots' values; for latent caches each
  /// slot's latent followed by its RoPE key.
  int64_t rowStart(int64_t layer, int64_t row) const {
    return (layer * rows + row) * slots * tokenWidth;
  }
  /// Stores `count` values at element `offset`, rounded for a bf16 cache.
  void store(int64_t offset, const float *values, int64_t count);
  bool checkRow(RankContext &c, int64_t row);
  bool sequenceViews(RankContext &c, int64_t layer, const I64x1 &positions,
                     int64_t rank, int64_t rowOffset, int64_t secondPerSlot,
                     SequenceViews &views);

  std::unique_ptr<RerunRecorder> rerun = [] {
    const char *on = std::getenv("HELIX_TEST_RECORD_STEPS");
    return on && std::strcmp(on, "1") == 0 ? std::make_unique<RerunRecorder>()
                                           : nullptr;
  }();

  /// One of them holds the cache (RankContext::kvDtype: bf16 halves it).
  std::vector<float> cache;
  std::vector<uint16_t> cacheBf16;
  bool bf16Cache = false;
  ReusedBlocks reused; // the step's big buffers, from one step to the next
  int64_t rows = 0, slots = 0, tokenWidth = 0;
  int64_t weightSize[3] = {}; // bytes by helix_dtype
};

} // namespace helix_rt

#endif // HELIX_RT_MODULE_CPUDEVICE_H
