//===- CudaDevice.cpp - target=cuda steps on one GPU ----------------------===//
//
// The Device of runtime/src/module/Device.h on CUDA. Everything is enqueued
// on one stream (the NCCL endpoints' compute stream), so the step's host
// code never waits: it only synchronizes when helix_rank_step copies the
// results back. Scratch comes from the stream-ordered allocator
// (cudaMallocAsync), which reuses freed blocks without a device sync.
//
// Activations are fp32 (B rows); weights bf16 (fp32 for vectors: norms,
// biases); the KV cache bf16. Inputs of the bf16 kernels are converted
// right before them.
//
// With HELIX_CUDA_GRAPHS=1 it also records decode steps as CUDA graphs and
// replays them (StepRecorder, docs/gpu.md): one launch per step instead of
// one per kernel, and no host code between kernels.
//
//===----------------------------------------------------------------------===//
#include "CudaStatus.h"
#include "DeviceOps.h"
#include "MoeExperts.h"
#include "comm/CommImpl.h"
#include "helix_rt/cuda_comm.h"
#include "helix_rt/cuda_device.h"
#include "helix_rt/cuda_kernels.h"
#include "module/Device.h"
#include "helix_rt/abi.h"
#include "module/RankContext.h"

#include <cublas_v2.h>

#include <algorithm>
#include <cstdlib>
#include <cstdio>
#include <map>
#include <new>
#include <string>
#include <vector>

namespace helix_rt::cuda {
namespace {

class CudaDevice final : public Device, public StepRecorder {
public:
  ~CudaDevice() override {
    if (stream)
      cudaStreamSynchronize(stream);
    for (void *p : workspaces)
      if (p)
        cudaFree(p);
    for (void *p : weightData)
      if (p)
        cudaFree(p);
    for (auto &[id, p] : fp32Copies)
      cudaFree(p);
    for (auto &[id, t] : expertTables)
      cudaFree(t.device);
    for (auto &[key, table] : ropeTables)
      ropeTableDestroy(&table);
    if (cache.base)
      cudaFree(cache.base);
    if (cublas)
      cublasDestroy(cublas);
    if (stream)
      cudaStreamDestroy(stream);
    // The pool keeps freed blocks while the device lives (below); give them
    // back with it.
    if (pool)
      cudaMemPoolTrimTo(pool, 0);
  }

  bool create(std::string &error) {
    // First, so a bad value is reported even where no GPU is found.
    const char *moe = std::getenv("HELIX_CUDA_MOE");
    std::string mode = moe ? moe : "";
    if (mode == "routed")
      moeMode = MoeMode::Routed;
    else if (!mode.empty() && mode != "dense") {
      error = "HELIX_CUDA_MOE=" + mode +
              ": expected dense (the default) or routed";
      return false;
    }
    const char *graphs = std::getenv("HELIX_CUDA_GRAPHS");
    std::string record = graphs ? graphs : "";
    if (record == "1")
      recordSteps = true;
    else if (!record.empty() && record != "0") {
      error = "HELIX_CUDA_GRAPHS=" + record +
              ": expected 0 (the default) or 1";
      return false;
    }
    if (cudaError_t e =
            cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking)) {
      error = std::string("cudaStreamCreate: ") + cudaGetErrorString(e);
      return false;
    }
    if (cublasCreate(&cublas) != CUBLAS_STATUS_SUCCESS) {
      error = "cublasCreate failed";
      return false;
    }
    // Keep freed scratch in the pool: a step frees and reallocates the same
    // sizes every time.
    int gpu = 0;
    uint64_t keep = UINT64_MAX;
    if (cudaGetDevice(&gpu) == cudaSuccess &&
        cudaDeviceGetDefaultMemPool(&pool, gpu) == cudaSuccess)
      cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep);
    else
      pool = nullptr;
    return true;
  }

  const char *name() const override { return "cuda"; }
  StepRecorder *recorder() override { return recordSteps ? this : nullptr; }

  // StepRecorder. A one-rank shared-CUDA world only: with more ranks the
  // shared-GPU comm orders their streams by events across threads, which
  // one rank's capture cannot hold; NCCL endpoints poll their collectives'
  // events on the host (cudaEventQuery), which a capture refuses, and an
  // unsharded module still runs its (one-rank) collectives (docs/gpu.md).
  bool recordable(RankContext &c) const override {
    return fault.step < 0 && c.world() && helix_comm_size(c.world()) == 1 &&
           helix_comm_cuda_device(c.world()) >= 0;
  }
  uint64_t generation() const override { return stateGeneration; }
  void setLengthBound(int64_t bound) override { lengthBound = bound; }

  void *record(RankContext &c, const std::function<void()> &step) override {
    // Thread-local: other threads' CUDA calls (another tool thread) are
    // not this capture's business; this thread's unsafe calls fail it.
    if (!checkCuda(c,
                   cudaStreamBeginCapture(stream,
                                          cudaStreamCaptureModeThreadLocal),
                   "starting to record a decode step"))
      return nullptr;
    cudaGraph_t graph = nullptr;
    cudaError_t e = cudaSuccess;
    {
      // Ends the capture however the step's host code leaves (an exception
      // included), so the stream never stays capturing.
      struct EndCapture {
        CudaDevice &d;
        cudaGraph_t &graph;
        cudaError_t &e;
        ~EndCapture() {
          d.capturing = false;
          e = cudaStreamEndCapture(d.stream, &graph);
        }
      } end{*this, graph, e};
      capturing = true;
      step();
    }
    cudaGraphExec_t exec = nullptr;
    if (e == cudaSuccess && !c.failed())
      // Scratch the step allocates and frees stays the graph's own.
      e = cudaGraphInstantiateWithFlags(
          &exec, graph, cudaGraphInstantiateFlagAutoFreeOnLaunch);
    if (graph)
      cudaGraphDestroy(graph);
    if (c.failed() || !checkCuda(c, e, "recording a decode step")) {
      if (exec)
        cudaGraphExecDestroy(exec);
      return nullptr;
    }
    return exec;
  }

  bool replay(RankContext &c, void *recording) override {
    // What the recorded host code checked for its own step's rows.
    int64_t rows = static_cast<int64_t>(c.stepPositions().size());
    int64_t longest = 0;
    if (!localLengths(c, 0, rows, -1, longest))
      return false;
    return checkCuda(c,
                     cudaGraphLaunch(static_cast<cudaGraphExec_t>(recording),
                                     stream),
                     "replaying a recorded decode step");
  }

  void destroy(void *recording) override {
    if (recording)
      cudaGraphExecDestroy(static_cast<cudaGraphExec_t>(recording));
  }

  bool upload(RankContext &c, int64_t rows, int64_t slots,
              std::string &error) override {
    if (uploaded) {
      error = "a CUDA device serves one rank; create one per rank";
      return false;
    }
    uploaded = true;
    // Its kernels read bf16 K/V only: an fp32 cache is refused, not ignored.
    if (c.kvDtype() == HELIX_KV_DTYPE_F32) {
      error = "the CUDA device keeps its KV cache in bfloat16; a float32 "
              "cache (--kv-dtype float32) is not supported there";
      return false;
    }
    // Collectives must be on CUDA endpoints (NCCL or shared-CUDA), ordered
    // after this stream's kernels: set before the groups are split.
    helix_comm *world = c.world();
    if (!world || helix_comm_cuda_set_stream(world, stream) != HELIX_OK) {
      error = "the CUDA device needs a CUDA world (helix_comm_nccl_create_* "
              "or helix_comm_cuda_threads_create)";
      return false;
    }
    // Refuse before allocating when the ranks sharing this GPU cannot fit.
    if (helix_comm_cuda_reserve(world, bytesNeeded(c, rows, slots)) !=
        HELIX_OK) {
      const char *why = helix_comm_error(world);
      error = *why ? why : helix_comm_error(nullptr);
      return false;
    }
    weightData.assign(c.manifest().weights.size(), nullptr);
    for (size_t id = 0; id < weightData.size(); ++id) {
      const LocalWeight &w = c.weight(static_cast<int64_t>(id));
      if (!w.owned)
        continue;
      if (!uploadWeight(w, weightData[id], error)) {
        error = "uploading '" + c.manifest().weights[id].name + "': " + error;
        return false;
      }
    }
    const CacheSpec &spec = *c.manifest().cache;
    // What the attention kernels take (cuda_kernels.h), refused up front
    // rather than in the first step.
    if (!spec.latent && spec.headDim != 64 && spec.headDim != 128) {
      error = "--backend cuda: the GQA attention kernel takes head_dim 64 or "
              "128; this model has " + std::to_string(spec.headDim);
      return false;
    }
    if (spec.latent &&
        (spec.kvLoraRank > 512 || spec.kvLoraRank % 8 != 0 ||
         (spec.kvLoraRank > 128 && spec.kvLoraRank % 16 != 0) ||
         spec.ropeDim % 8 != 0)) {
      error = "--backend cuda: the MLA attention kernel takes kv_lora_rank "
              "a multiple of 8 up to 512 (of 16 above 128) and a RoPE dim "
              "that is a multiple of 8; this model has " +
              std::to_string(spec.kvLoraRank) + " and " +
              std::to_string(spec.ropeDim);
      return false;
    }
    cache.rows = rows;
    cache.slots = slots;
    cache.rowElements = slots * spec.tokenWidth();
    cache.tokenStride = spec.latent ? spec.kvLoraRank + spec.ropeDim
                                    : spec.kvHeads * spec.headDim;
    cache.secondOffset = spec.latent ? 0 : slots * spec.kvHeads * spec.headDim;
    cache.block = spec.block;
    cache.shards = spec.tokenShards;
    cacheSize = spec.layers * rows * cache.rowElements * 2;
    void *p = nullptr;
    if (cudaError_t e = cudaMalloc(&p, static_cast<size_t>(cacheSize))) {
      error = "the KV cache (" + std::to_string(cacheSize) +
              " bytes) does not fit on the GPU: " + cudaGetErrorString(e);
      return false;
    }
    cache.base = static_cast<bf16 *>(p);
    // On the device's stream (non-blocking: the legacy stream would not
    // order before the first append), and finished before the first step.
    cudaError_t e =
        cudaMemsetAsync(p, 0, static_cast<size_t>(cacheSize), stream);
    if (e == cudaSuccess)
      e = cudaStreamSynchronize(stream);
    if (e != cudaSuccess) {
      error = std::string("clearing the KV cache: ") + cudaGetErrorString(e);
      return false;
    }
    return true;
  }

  /// GPU bytes a run needs: what upload allocates (weights: bf16
  /// matrices, fp32 vectors; the largest fp32 staging copy; the bf16 KV
  /// cache), then a decode step of `rows` rows: the step's own buffers at
  /// their peak (the manifest's scratch plan) and its inputs and outputs.
  /// On top, not counted: a prefill chunk's larger steps, the attention
  /// workspace (its size depends on the heads per rank, which the manifest
  /// does not name), bf16 copies of GEMM inputs and collectives' staging.
  static int64_t bytesNeeded(RankContext &c, int64_t rows, int64_t slots) {
    int64_t weights = 0, staging = 0;
    for (size_t id = 0; id < c.manifest().weights.size(); ++id) {
      const LocalWeight &w = c.weight(static_cast<int64_t>(id));
      if (!w.owned)
        continue;
      int64_t fp32 = static_cast<int64_t>(w.data.size()) * 4;
      weights += w.shape.size() == 1 ? fp32 : fp32 / 2;
      staging = std::max(staging, fp32);
    }
    const Manifest &m = c.manifest();
    const CacheSpec &spec = *m.cache;
    int64_t cache = spec.layers * rows * slots * spec.tokenWidth() * 2;
    int64_t io = rows * (3 * 8 + m.model.vocabSize * 4);
    return weights + staging + cache + m.scratch.at(rows) + io;
  }

  int64_t weightBytes() const override { return weightSize; }
  /// Matrices are bf16 here, vectors and router copies fp32.
  int64_t weightBytesOf(helix_dtype dtype) const override {
    return dtype == HELIX_DTYPE_BF16  ? bf16Size
           : dtype == HELIX_DTYPE_F32 ? weightSize - bf16Size
                                      : 0;
  }
  int64_t cacheBytes() const override { return cacheSize; }
  helix_dtype cacheDtype() const override { return HELIX_DTYPE_BF16; }

  void *alloc(int64_t bytes) override {
    void *p = nullptr;
    if (cudaMallocAsync(&p, static_cast<size_t>(std::max<int64_t>(bytes, 256)),
                        stream) != cudaSuccess)
      return nullptr;
    return p;
  }
  void free(void *p) override { cudaFreeAsync(p, stream); }

  void copy(RankContext &c, const StridedView &src,
            const StridedView &dst) override {
    ops::View4 s{src.base, {}, {}}, d{dst.base, {}, {}};
    for (int k = 0; k < src.rank; ++k) {
      s.sizes[k] = d.sizes[k] = src.sizes[k];
      s.strides[k] = src.strides[k];
      d.strides[k] = dst.strides[k];
    }
    ok(c, ops::stridedCopy(s, d, static_cast<int>(src.rank),
                           static_cast<int>(src.elementBytes), stream));
  }

  void toDevice(RankContext &c, void *dst, const void *src,
                int64_t bytes) override {
    checkCuda(c,
              cudaMemcpyAsync(dst, src, static_cast<size_t>(bytes),
                              cudaMemcpyHostToDevice, stream),
              "copying the step's inputs to the GPU");
  }

  bool toHost(RankContext &c, void *dst, const void *src,
              int64_t bytes) override {
    return checkCuda(c,
                     cudaMemcpyAsync(dst, src, static_cast<size_t>(bytes),
                                     cudaMemcpyDeviceToHost, stream),
                     "copying the step's results back") &&
           checkCuda(c, cudaStreamSynchronize(stream), "the decode step");
  }

  void add(RankContext &c, const F32x2 &a, const F32x2 &b,
           const F32x2 &out) override {
    ok(c, ops::addF32(a.data(), b.data(), out.count(), out.data(), stream));
  }

  void rmsNorm(RankContext &c, int64_t weight, float eps, const F32x2 &in,
               const F32x2 &out) override {
    if (const float *w = vector(c, weight, in.size(1)))
      ok(c, ops::rmsNormF32(in.data(), w, in.size(0), in.size(1), eps,
                            out.data(), stream));
  }

  void lseMerge(RankContext &c, const F32x4 &in, const F32x2 &out) override {
    int64_t heads = in.size(2), width = in.size(3) - 1;
    ok(c, cuda::lseMerge(in.data(), in.size(0), in.size(1), heads, width,
                         out.data(), heads * width, stream));
  }

  void sumShards(RankContext &c, const F32x3 &in, const F32x2 &out) override {
    ok(c, ops::sumShards(in.data(), in.size(0), in.size(1), in.size(2),
                         out.data(), stream));
  }

  void argmax(RankContext &c, const F32x2 &in, const I64x1 &out) override {
    ok(c, ops::argmax(in.data(), in.size(0), in.size(1), out.data(), stream));
  }

  void kvOwner(RankContext &c, int64_t block, int64_t shards,
               const I64x1 &positions, const I64x1 &owner) override {
    ok(c, ops::kvOwner(positions.data(), positions.size(0), block, shards,
                       owner.data(), stream));
  }

  void embed(RankContext &c, int64_t weight, const I64x1 &tokens,
             const F32x2 &out) override {
    // A step starts with its embedding: the fault test's step counter.
    if (++embedCalls == fault.step && c.rank() == fault.rank)
      ok(c, ops::injectIllegalAddress(stream));
    if (const bf16 *table =
            matrix(c, weight, c.manifest().model.vocabSize, out.size(1)))
      ok(c, ops::embed(table, tokens.data(), tokens.size(0), out.size(1),
                       out.data(), stream));
  }

  void linear(RankContext &c, int64_t weight, const F32x2 &in,
              const F32x2 &out) override {
    int64_t batch = in.size(0), k = in.size(1), n = out.size(1);
    const bf16 *w = matrix(c, weight, n, k);
    Temp x(*this, batch * k * 2);
    if (w && x.ready(c) && toBf16(c, in, x.as<bf16>()))
      ok(c, cuda::linear(cublas, x.as<bf16>(), k, w, batch, k, n, out.data(),
                         stream));
  }

  /// The LM head over the rows that want logits only (a prefill chunk's
  /// last prompt row per sequence): a GEMM per run of such rows, the other
  /// rows zero. A decode step wants every row: one GEMM, as linear.
  void logits(RankContext &c, int64_t weight, const F32x2 &in,
              const F32x2 &out, int64_t rowOffset) override {
    int64_t rows = in.size(0);
    std::vector<std::pair<int64_t, int64_t>> runs; // [first, end)
    for (int64_t r = 0; r < rows; ++r)
      if (c.wantsLogits(rowOffset + r)) {
        if (!runs.empty() && runs.back().second == r)
          ++runs.back().second;
        else
          runs.emplace_back(r, r + 1);
      }
    if (runs.size() == 1 && runs[0].first == 0 && runs[0].second == rows)
      return linear(c, weight, in, out);
    if (!checkCuda(c,
                   cudaMemsetAsync(out.data(), 0,
                                   static_cast<size_t>(out.count() * 4),
                                   stream),
                   "clearing the logits"))
      return;
    for (auto [first, end] : runs) {
      F32x2 x = in, y = out;
      x.offset += first * in.strides[0];
      y.offset += first * out.strides[0];
      x.sizes[0] = y.sizes[0] = end - first;
      linear(c, weight, x, y);
      if (c.failed())
        return;
    }
  }

  void rope(RankContext &c, int64_t rope, int64_t heads, int64_t headDim,
            int64_t rotaryDim, const F32x2 &in, const I64x1 &positions,
            const F32x2 &out) override {
    auto key = std::make_pair(rope, rotaryDim);
    auto it = ropeTables.find(key);
    if (it == ropeTables.end()) {
      if (!newState(c, "a RoPE table"))
        return;
      RopeTable table;
      if (!ok(c,
              ropeTableCreate(c.manifest().ropes.at(rope), rotaryDim, &table)))
        return;
      it = ropeTables.emplace(key, table).first;
      // Its frequencies arrive by a pageable cudaMemcpy, which may still be
      // in flight; this stream does not order after it. Once per table.
      if (!checkCuda(c, cudaDeviceSynchronize(), "creating a RoPE table"))
        return;
    }
    ok(c, cuda::rope(in.data(), positions.data(), in.size(0), heads, headDim,
                     it->second, out.data(), stream));
  }

  void append(RankContext &c, int64_t layer, const F32x2 &a, const F32x2 &b,
              const I64x1 &positions, const I64x1 &owner, int64_t rank,
              int64_t rowOffset) override {
    int64_t batch = a.size(0);
    const CacheSpec &spec = *c.manifest().cache;
    int64_t aWidth =
        spec.latent ? spec.kvLoraRank : spec.kvHeads * spec.headDim;
    int64_t bWidth = spec.latent ? spec.ropeDim : aWidth;
    if (a.size(1) != aWidth || b.size(1) != bWidth || b.size(0) != batch ||
        positions.size(0) != batch || owner.size(0) != batch)
      return c.fail("internal error: the appended rows do not match the cache");
    if (!positionsFit(c, rowOffset, batch, rank))
      return;
    ok(c, ops::append(cache, layer, a.data(), a.size(1), b.data(), b.size(1),
                      positions.data(), owner.data(), batch, rank, rowOffset,
                      c.deviceStepSequences(), stream));
  }

  void gqaPartialAttention(RankContext &c, int64_t layer, const F32x2 &q,
                           const I64x1 &positions, int64_t rank,
                           int64_t rowOffset, int64_t heads, float scale,
                           const F32x4 &out) override {
    const CacheSpec &spec = *c.manifest().cache;
    int64_t batch = q.size(0);
    Views views(*this, batch, /*both=*/true);
    Temp q16(*this, q.count() * 2);
    int32_t splits = gqaAttentionSplits(batch, spec.kvHeads);
    void *ws = workspace(c, 0,
                         gqaWorkspaceBytes(batch, heads, spec.kvHeads,
                                           spec.headDim, splits));
    int64_t maxLength = 0;
    if (!prepareAttention(c, ws, views, q16, q, positions, layer, rank,
                          rowOffset, maxLength))
      return;
    ok(c, cuda::gqaPartialAttention(
              q16.as<bf16>(), views.first(), views.second(), views.length(),
              maxLength, batch, heads, spec.kvHeads, spec.headDim, scale,
              out.data(), ws, splits, stream));
  }

  void mlaPartialAttention(RankContext &c, int64_t layer, int64_t kvb,
                           const F32x2 &q, const I64x1 &positions, int64_t rank,
                           int64_t rowOffset, int64_t heads, int64_t nope,
                           int64_t vDim, float scale,
                           const F32x4 &out) override {
    const CacheSpec &spec = *c.manifest().cache;
    int64_t batch = q.size(0);
    const bf16 *kvB = matrix(c, kvb, heads * (nope + vDim), spec.kvLoraRank);
    Views views(*this, batch, /*both=*/false);
    Temp q16(*this, q.count() * 2);
    int32_t splits = mlaAttentionSplits(batch, heads);
    void *ws = kvB ? workspace(c, 1,
                               mlaWorkspaceBytes(batch, heads, spec.kvLoraRank,
                                                 splits))
                   : nullptr;
    int64_t maxLength = 0;
    if (!prepareAttention(c, ws, views, q16, q, positions, layer, rank,
                          rowOffset, maxLength))
      return;
    ok(c, cuda::mlaPartialAttention(
              cublas, q16.as<bf16>(), views.first(), views.length(), maxLength,
              kvB, batch, heads, nope, spec.ropeDim, vDim, spec.kvLoraRank,
              scale, out.data(), ws, splits, stream));
  }

  void mlaValueProjection(RankContext &c, int64_t kvb, int64_t nope,
                          int64_t vDim, const F32x2 &in,
                          const F32x2 &out) override {
    int64_t batch = in.size(0), heads = out.size(1) / vDim;
    int64_t rank = in.size(1) / heads;
    const bf16 *kvB = matrix(c, kvb, heads * (nope + vDim), rank);
    Temp x(*this, in.count() * 2);
    if (kvB && x.ready(c) && toBf16(c, in, x.as<bf16>()))
      ok(c, ops::mlaValueProjection(cublas, x.as<bf16>(), kvB, batch, heads,
                                    nope, vDim, rank, out.data(), stream));
  }

  /// The merge writes the GEMM's bf16 A operand itself: one launch, no
  /// fp32 result and conversion in between.
  void mergeLinear(RankContext &c, int64_t weight, const F32x4 &in,
                   const F32x2 &out) override {
    int64_t batch = in.size(1), k = in.size(2) * (in.size(3) - 1);
    const bf16 *w = matrix(c, weight, out.size(1), k);
    Temp x(*this, batch * k * 2);
    if (w && x.ready(c) && mergeToBf16(c, in, x.as<bf16>()))
      ok(c, cuda::linear(cublas, x.as<bf16>(), k, w, batch, k, out.size(1),
                         out.data(), stream));
  }

  void mergeValueProjection(RankContext &c, int64_t kvb, int64_t nope,
                            int64_t vDim, const F32x4 &in,
                            const F32x2 &out) override {
    int64_t batch = in.size(1), heads = in.size(2), rank = in.size(3) - 1;
    const bf16 *kvB = matrix(c, kvb, heads * (nope + vDim), rank);
    Temp x(*this, batch * heads * rank * 2);
    if (kvB && x.ready(c) && mergeToBf16(c, in, x.as<bf16>()))
      ok(c, ops::mlaValueProjection(cublas, x.as<bf16>(), kvB, batch, heads,
                                    nope, vDim, rank, out.data(), stream));
  }

  void swiglu(RankContext &c, int64_t gate, int64_t up, int64_t down,
              const F32x2 &in, const F32x2 &out) override {
    const LocalWeight &g = c.weight(gate);
    int64_t width = g.shape.empty() ? 0 : g.shape[0];
    Temp x(*this, in.count() * 2);
    if (x.ready(c) && toBf16(c, in, x.as<bf16>()))
      mlp(c, gate, up, down, width, x.as<bf16>(), in.size(0), in.size(1),
          out.data());
  }

  void moeRoute(RankContext &c, int64_t gate, int64_t bias, int64_t topK,
                int64_t groups, int64_t topkGroup, bool norm, float scaling,
                const F32x2 &in, const I64x2 &ids,
                const F32x2 &weights) override {
    // The router in fp32, input included: with bf16 rounding of its input
    // a near-tie between experts could pick another expert than the CPU
    // backend (the gate is small: experts x hidden).
    int64_t batch = in.size(0), hidden = in.size(1);
    int64_t experts = c.manifest().weights.at(gate).shape[0];
    const float *g = matrix32(c, gate, experts, hidden);
    const float *b = vector(c, bias, experts);
    Temp logits(*this, batch * experts * 4);
    if (g && b && logits.ready(c) &&
        ok(c, ops::linearF32(cublas, in.data(), g, batch, hidden, experts,
                             logits.as<float>(), stream)))
      ok(c, cuda::moeRouteFromLogits(logits.as<float>(), b, batch, experts,
                                     topK, groups, topkGroup, norm, scaling,
                                     ids.data(), weights.data(), stream));
  }

  /// The local experts' SwiGLU on the rows routed to them, weighted, then
  /// the shared expert. HELIX_CUDA_MOE picks how (create()): dense (the
  /// default until a GPU run has passed the routed path) or routed.
  void moeExperts(RankContext &c, int64_t moe, const F32x2 &in,
                  const I64x2 &ids, const F32x2 &weights,
                  const F32x2 &out) override {
    const MoeSpec &spec = c.manifest().moes.at(moe);
    int64_t batch = in.size(0), hidden = in.size(1);
    // The kernels index ids and weights by (row, slot) and out by row.
    if (ids.size(0) != batch || weights.size(0) != batch ||
        weights.size(1) != ids.size(1) || out.size(0) != batch ||
        out.size(1) != hidden)
      return c.fail("internal error: the expert inputs do not match");
    std::vector<int64_t> local;
    for (int64_t e = 0; e < spec.numExperts; ++e)
      if (c.weight(spec.experts[e][0]).owned)
        local.push_back(e);
    int64_t first = local.empty() ? 0 : local.front();
    if (!local.empty() &&
        local.back() - first + 1 != static_cast<int64_t>(local.size()))
      return c.fail("internal error: rank " + std::to_string(c.rank()) +
                    " owns a non-contiguous set of experts");
    int64_t n = static_cast<int64_t>(local.size());
    Temp partial(*this, batch * hidden * 4);
    Temp x(*this, in.count() * 2);
    if (!partial.ready(c) || !x.ready(c) || !toBf16(c, in, x.as<bf16>()))
      return;
    bool done = moeMode == MoeMode::Routed
                    ? routedExperts(c, moe, first, n, x.as<bf16>(), ids,
                                    weights, out)
                    : denseExperts(c, spec, first, n, x.as<bf16>(), ids,
                                   weights, partial.as<float>(), out);
    if (!done || !spec.shared)
      return;
    const std::vector<int64_t> &s = *spec.shared;
    const LocalWeight &g = c.weight(s[0]);
    if (mlp(c, s[0], s[1], s[2], g.shape.empty() ? 0 : g.shape[0], x.as<bf16>(),
            batch, hidden, partial.as<float>()))
      ok(c, ops::axpyRows(nullptr, partial.as<float>(), batch, hidden,
                          out.data(), stream));
  }

private:
  /// Stream-ordered scratch, freed (in stream order) when it goes out of
  /// scope.
  class Temp {
  public:
    Temp(CudaDevice &d, int64_t bytes) : d(d), p(d.alloc(bytes)) {}
    ~Temp() {
      if (p)
        d.free(p);
    }
    Temp(const Temp &) = delete;
    Temp &operator=(const Temp &) = delete;
    bool ready(RankContext &c) {
      if (!p && !c.failed())
        c.fail("out of GPU memory for the step's scratch");
      return p != nullptr;
    }
    template <typename T> T *as() const { return static_cast<T *>(p); }
    void *raw() const { return p; }

  private:
    CudaDevice &d;
    void *p;
  };

  /// The per-sequence cache pointers and lengths attention takes.
  class Views {
  public:
    Views(CudaDevice &d, int64_t batch, bool both)
        : keys(d, batch * 8), values(d, both ? batch * 8 : 8),
          lengths(d, batch * 8), both(both) {}
    bool ready(RankContext &c) {
      return keys.ready(c) && values.ready(c) && lengths.ready(c);
    }
    const bf16 **firstOut() const { return keys.as<const bf16 *>(); }
    const bf16 **secondOut() const {
      return both ? values.as<const bf16 *>() : nullptr;
    }
    const bf16 *const *first() const { return firstOut(); }
    const bf16 *const *second() const { return secondOut(); }
    int64_t *length() const { return lengths.as<int64_t>(); }

  private:
    Temp keys, values, lengths;
    bool both;
  };

  bool ok(RankContext &c, helix_status status) {
    if (status == HELIX_OK)
      return true;
    c.fail(std::string("CUDA: ") + lastError());
    return false;
  }

  bool checkCuda(RankContext &c, cudaError_t e, const char *what) {
    if (e == cudaSuccess)
      return true;
    c.fail(std::string("CUDA error in ") + what + ": " + cudaGetErrorString(e));
    return false;
  }

  /// The attention workspace of `kind` (0 GQA, 1 MLA), kept across calls
  /// and grown when a call needs more. Calls on the one stream never
  /// overlap, so micro-batches share it.
  void *workspace(RankContext &c, int kind, size_t bytes) {
    if (bytes > workspaceSize[kind]) {
      if (!newState(c, "an attention workspace"))
        return nullptr;
      if (workspaces[kind])
        cudaFreeAsync(workspaces[kind], stream);
      workspaces[kind] = nullptr;
      workspaceSize[kind] = 0;
      void *p = nullptr;
      if (cudaMallocAsync(&p, bytes, stream) != cudaSuccess) {
        c.fail("out of GPU memory for the attention workspace (" +
               std::to_string(bytes) + " bytes)");
        return nullptr;
      }
      workspaces[kind] = p;
      workspaceSize[kind] = bytes;
    }
    return workspaces[kind];
  }

  bool mergeToBf16(RankContext &c, const F32x4 &in, bf16 *out) {
    int64_t heads = in.size(2), width = in.size(3) - 1;
    return ok(c, cuda::lseMerge(in.data(), in.size(0), in.size(1), heads, width,
                                out, heads * width, stream));
  }

  bool toBf16(RankContext &c, const F32x2 &in, bf16 *out) {
    return ok(c, ops::toBf16(in.data(), in.count(), out, stream));
  }

  /// Host checks of what the kernels assume: rows inside the step's
  /// positions and mapped to cache rows, positions inside this rank's cache.
  bool positionsFit(RankContext &c, int64_t rowOffset, int64_t batch,
                    int64_t rank) {
    const std::vector<int64_t> &pos = c.stepPositions();
    bool rowsOk = rowOffset >= 0 &&
                  rowOffset + batch <= static_cast<int64_t>(pos.size()) &&
                  (c.deviceStepSequences() || !c.hasStepSequences());
    for (int64_t s = 0; rowsOk && s < batch; ++s) {
      int64_t row = c.cacheRowOf(rowOffset + s);
      rowsOk = row >= 0 && row < cache.rows;
    }
    if (!rowsOk) {
      c.fail("internal error: step rows " + std::to_string(rowOffset) + "+" +
             std::to_string(batch) + " are outside the batch");
      return false;
    }
    for (int64_t s = 0; s < batch; ++s) {
      int64_t p = pos[rowOffset + s];
      bool mine = rank < 0 || (p / cache.block) % cache.shards == rank;
      if (mine && abi::kvSlot(p, cache.block, cache.shards) >= cache.slots) {
        c.fail("context over capacity: position " + std::to_string(p) +
               " does not fit the KV cache (capacity " +
               std::to_string(cache.slots) + " tokens per rank)");
        return false;
      }
    }
    return true;
  }

  /// The longest local slice of the batch (sizes the attention split).
  bool localLengths(RankContext &c, int64_t rowOffset, int64_t batch,
                    int64_t rank, int64_t &maxLength) {
    if (!positionsFit(c, rowOffset, batch, -1))
      return false;
    maxLength = 0;
    for (int64_t s = 0; s < batch; ++s)
      maxLength =
          std::max(maxLength, abi::kvLength(c.stepPositions()[rowOffset + s] + 1,
                                       cache.block, cache.shards, rank));
    if (lengthBound <= 0)
      return true;
    // A recorded step's split grid: from the bound, which every step
    // replaying the recording is under (kvLength grows with the length).
    int64_t bounded =
        abi::kvLength(lengthBound, cache.block, cache.shards, rank);
    if (bounded < maxLength) {
      c.fail("internal error: a step's positions pass its length bound " +
             std::to_string(lengthBound));
      return false;
    }
    maxLength = bounded;
    return true;
  }

  /// Before making state that outlives a step (tables, grown workspaces):
  /// never while recording (the recording would own it), and recordings
  /// made before may point to what it replaces, so they become stale.
  bool newState(RankContext &c, const char *what) {
    if (capturing) {
      c.fail(std::string("internal error: ") + what +
             " was made while recording a decode step; an eager step of "
             "the same shape should have made it");
      return false;
    }
    ++stateGeneration;
    return true;
  }

  /// What both attention kinds do before their kernel: scratch present,
  /// the longest local slice, the bf16 queries, the cache views.
  bool prepareAttention(RankContext &c, void *workspace, Views &views,
                        Temp &q16, const F32x2 &q, const I64x1 &positions,
                        int64_t layer, int64_t rank, int64_t rowOffset,
                        int64_t &maxLength) {
    int64_t batch = q.size(0);
    return workspace && views.ready(c) && q16.ready(c) &&
           localLengths(c, rowOffset, batch, rank, maxLength) &&
           toBf16(c, q, q16.as<bf16>()) &&
           ok(c, ops::sequenceViews(cache, layer, positions.data(), batch, rank,
                                    rowOffset, c.deviceStepSequences(),
                                    views.firstOut(),
                                    views.secondOut(), views.length(), stream));
  }

  /// Dense over the n local experts from `first`: each runs on every row,
  /// weighted by the routing weight (0 for rows routed elsewhere). Reads
  /// every local expert's weights each step and wastes FLOPs at small
  /// batch; the routed path below does neither.
  bool denseExperts(RankContext &c, const MoeSpec &spec, int64_t first,
                    int64_t n, const bf16 *x, const I64x2 &ids,
                    const F32x2 &weights, float *partial, const F32x2 &out) {
    int64_t batch = out.size(0), hidden = out.size(1);
    Temp rowWeight(*this, std::max<int64_t>(n, 1) * batch * 4);
    if (!rowWeight.ready(c) ||
        !checkCuda(c,
                   cudaMemsetAsync(out.data(), 0,
                                   static_cast<size_t>(out.count() * 4),
                                   stream),
                   "clearing the expert output") ||
        !ok(c, ops::expertRowWeights(ids.data(), weights.data(), batch,
                                     ids.size(1), first, n,
                                     rowWeight.as<float>(), stream)))
      return false;
    for (int64_t i = 0; i < n; ++i) {
      const std::vector<int64_t> &w = spec.experts[first + i];
      int64_t width = c.weight(w[0]).shape[0];
      if (!mlp(c, w[0], w[1], w[2], width, x, batch, hidden, partial) ||
          !ok(c, ops::axpyRows(rowWeight.as<float>() + i * batch, partial,
                               batch, hidden, out.data(), stream)))
        return false;
    }
    return true;
  }

  /// Over routed rows only (MoeExperts.h): grouped on the device, so the
  /// step neither waits nor reads back, and only experts with rows read
  /// their weights.
  bool routedExperts(RankContext &c, int64_t moe, int64_t first, int64_t n,
                     const bf16 *x, const I64x2 &ids, const F32x2 &weights,
                     const F32x2 &out) {
    int64_t batch = out.size(0), hidden = out.size(1), topK = ids.size(1);
    if (n == 0) // no local experts: nothing is routed here
      return checkCuda(c,
                       cudaMemsetAsync(out.data(), 0,
                                       static_cast<size_t>(out.count() * 4),
                                       stream),
                       "clearing the expert output");
    const ExpertTable *table = expertTable(c, moe, first, n, hidden);
    if (!table)
      return false;
    Temp ws(*this, static_cast<int64_t>(ops::routedExpertsWorkspaceBytes(
                       batch, topK, n, hidden, table->width)));
    return ws.ready(c) &&
           ok(c, ops::routedExperts(x, ids.data(), weights.data(), batch, topK,
                                    first, n, hidden, table->width,
                                    table->gate(), table->up(), table->down(),
                                    out.data(), ws.raw(), stream));
  }

  /// Device arrays of one MoE layer's local expert matrices (gate, up and
  /// down pointers, n each), made on first use.
  struct ExpertTable {
    std::vector<const bf16 *> host; // kept: the copy reads it
    const bf16 **device = nullptr;
    int64_t n = 0, width = 0;
    const bf16 *const *gate() const { return device; }
    const bf16 *const *up() const { return device + n; }
    const bf16 *const *down() const { return device + 2 * n; }
  };

  const ExpertTable *expertTable(RankContext &c, int64_t moe, int64_t first,
                                 int64_t n, int64_t hidden) {
    auto it = expertTables.find(moe);
    if (it != expertTables.end())
      return &it->second;
    if (!newState(c, "an expert table"))
      return nullptr;
    const MoeSpec &spec = c.manifest().moes.at(moe);
    ExpertTable t;
    t.n = n;
    t.width = c.weight(spec.experts[first][0]).shape[0];
    t.host.resize(static_cast<size_t>(3 * n));
    for (int64_t i = 0; i < n; ++i) {
      const std::vector<int64_t> &w = spec.experts[first + i];
      t.host[i] = matrix(c, w[0], t.width, hidden);
      t.host[n + i] = matrix(c, w[1], t.width, hidden);
      t.host[2 * n + i] = matrix(c, w[2], hidden, t.width);
      if (!t.host[i] || !t.host[n + i] || !t.host[2 * n + i])
        return nullptr;
    }
    size_t bytes = t.host.size() * sizeof(bf16 *);
    void *p = nullptr;
    if (!checkCuda(c, cudaMalloc(&p, bytes), "allocating an expert table"))
      return nullptr;
    t.device = static_cast<const bf16 **>(p);
    ExpertTable &kept = expertTables.emplace(moe, std::move(t)).first->second;
    if (!checkCuda(c,
                   cudaMemcpyAsync(kept.device, kept.host.data(), bytes,
                                   cudaMemcpyHostToDevice, stream),
                   "uploading an expert table"))
      return nullptr;
    return &kept;
  }

  /// SwiGLU MLP on x, the bf16 copy of the [batch, hidden] input.
  bool mlp(RankContext &c, int64_t gate, int64_t up, int64_t down,
           int64_t width, const bf16 *x, int64_t batch, int64_t hidden,
           float *out) {
    const bf16 *g = matrix(c, gate, width, hidden);
    const bf16 *u = matrix(c, up, width, hidden);
    const bf16 *d = matrix(c, down, hidden, width);
    Temp ws(*this, static_cast<int64_t>(swigluWorkspaceBytes(batch, width)));
    return g && u && d && ws.ready(c) &&
           ok(c, swigluMlp(cublas, x, g, u, d, batch, hidden, width, out,
                           ws.raw(), stream));
  }

  /// The rank's bf16 block of a matrix weight, checked against rows x cols.
  const bf16 *matrix(RankContext &c, int64_t id, int64_t rows, int64_t cols) {
    const LocalWeight &w = c.weight(id);
    if (!w.owned || w.shape.size() != 2 || w.shape[0] != rows ||
        w.shape[1] != cols) {
      c.fail("internal error: weight '" + c.manifest().weights.at(id).name +
             "' is not loaded here or does not match the compiled step");
      return nullptr;
    }
    return static_cast<const bf16 *>(weightData[id]);
  }

  /// An fp32 copy of a matrix weight, made on first use from its bf16 copy
  /// (so equal to the checkpoint's values when those are bf16).
  const float *matrix32(RankContext &c, int64_t id, int64_t rows,
                        int64_t cols) {
    auto it = fp32Copies.find(id);
    if (it != fp32Copies.end())
      return it->second;
    const bf16 *w = matrix(c, id, rows, cols);
    if (!w || !newState(c, "an fp32 router weight"))
      return nullptr;
    void *p = nullptr;
    if (!checkCuda(c, cudaMalloc(&p, static_cast<size_t>(rows * cols * 4)),
                   "allocating an fp32 router weight"))
      return nullptr;
    fp32Copies[id] = static_cast<float *>(p);
    weightSize += rows * cols * 4;
    return ok(c, ops::toF32(w, rows * cols, static_cast<float *>(p), stream))
               ? static_cast<float *>(p)
               : nullptr;
  }

  /// The rank's fp32 copy of a vector weight of n values.
  const float *vector(RankContext &c, int64_t id, int64_t n) {
    const LocalWeight &w = c.weight(id);
    if (!w.owned || w.shape.size() != 1 || w.shape[0] != n) {
      c.fail("internal error: weight '" + c.manifest().weights.at(id).name +
             "' is not loaded here or does not match the compiled step");
      return nullptr;
    }
    return static_cast<const float *>(weightData[id]);
  }

  bool uploadWeight(const LocalWeight &w, void *&out, std::string &error) {
    int64_t count = static_cast<int64_t>(w.data.size());
    size_t fp32 = static_cast<size_t>(count) * 4;
    void *staged = nullptr;
    // Copies on the device's stream, so the conversion orders after them;
    // synchronized before the host buffer can go.
    cudaError_t e = cudaMalloc(&staged, std::max<size_t>(fp32, 4));
    if (e == cudaSuccess)
      e = cudaMemcpyAsync(staged, w.data.data(), fp32, cudaMemcpyHostToDevice,
                          stream);
    if (e == cudaSuccess && w.shape.size() == 1)
      e = cudaStreamSynchronize(stream);
    if (e != cudaSuccess) {
      cudaFree(staged);
      error = cudaGetErrorString(e);
      return false;
    }
    if (w.shape.size() == 1) { // vectors stay fp32
      out = staged;
      weightSize += static_cast<int64_t>(fp32);
      return true;
    }
    e = cudaMalloc(&out, std::max<size_t>(fp32 / 2, 2));
    if (e == cudaSuccess &&
        ops::toBf16(static_cast<float *>(staged), count,
                    static_cast<bf16 *>(out), stream) != HELIX_OK)
      e = cudaErrorLaunchFailure;
    if (e == cudaSuccess)
      e = cudaStreamSynchronize(stream);
    cudaFree(staged);
    if (e != cudaSuccess) {
      error = cudaGetErrorString(e);
      return false;
    }
    weightSize += static_cast<int64_t>(fp32 / 2);
    bf16Size += static_cast<int64_t>(fp32 / 2);
    return true;
  }

  cudaStream_t stream = nullptr;
  cublasHandle_t cublas = nullptr;
  std::vector<void *> weightData; // per manifest weight id (null: not here)
  std::map<int64_t, float *> fp32Copies; // router weights, by id
  std::map<int64_t, ExpertTable> expertTables; // by MoE layer
  /// HELIX_CUDA_MOE: dense (default) or routed experts.
  enum class MoeMode { Dense, Routed } moeMode = MoeMode::Dense;
  std::map<std::pair<int64_t, int64_t>, RopeTable> ropeTables;
  ops::CacheLayout cache{};
  int64_t weightSize = 0, bf16Size = 0, cacheSize = 0;
  void *workspaces[2] = {nullptr, nullptr};
  size_t workspaceSize[2] = {0, 0};
  /// HELIX_CUDA_FAULT_STEP=N (HELIX_CUDA_FAULT_RANK=R, default 0): rank R
  /// faults with an illegal address in its N-th step (embedding call), so a
  /// GPU run can show how a fault ends every rank (the kit's fault cases).
  struct FaultInjection {
    int64_t step = -1;
    int32_t rank = 0;
  } fault = [] {
    FaultInjection f;
    if (const char *step = std::getenv("HELIX_CUDA_FAULT_STEP"))
      f.step = std::atoll(step);
    if (const char *rank = std::getenv("HELIX_CUDA_FAULT_RANK"))
      f.rank = std::atoi(rank);
    return f;
  }();
  int64_t embedCalls = 0;
  /// HELIX_CUDA_GRAPHS=1: decode steps are recorded and replayed.
  bool recordSteps = false;
  bool capturing = false;
  uint64_t stateGeneration = 0;
  int64_t lengthBound = 0; // setLengthBound
  cudaMemPool_t pool = nullptr;
  bool uploaded = false;
};

} // namespace
} // namespace helix_rt::cuda

extern "C" {

int helix_cuda_device_count(char *why, size_t whySize) {
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess || count == 0) {
    if (why && whySize)
      std::snprintf(why, whySize, "%s",
                    e != cudaSuccess ? cudaGetErrorString(e)
                                     : "no CUDA device is visible");
    return 0;
  }
  return count;
}

helix_status helix_cuda_device_create(helix_device **out, char *error,
                                      size_t errorSize) {
  *out = nullptr;
  auto *device = new (std::nothrow) helix_rt::cuda::CudaDevice();
  std::string message;
  if (!device || !device->create(message)) {
    if (error && errorSize)
      std::snprintf(error, errorSize, "cannot set up the GPU: %s",
                    device ? message.c_str() : "out of memory");
    delete device;
    return HELIX_ERROR_INTERNAL;
  }
  *out =
      reinterpret_cast<helix_device *>(static_cast<helix_rt::Device *>(device));
  return HELIX_OK;
}

} // extern "C"
