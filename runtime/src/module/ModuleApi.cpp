//===- ModuleApi.cpp - open compiled modules, create and step ranks -------===//
#include "Device.h"
#include "MemRef.h"
#include "RankContext.h"
#include "StepGraphs.h"
#include "helix_rt/helix_rt.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <new>

using namespace helix_rt;

/// The compiled step: _mlir_ciface_decode_step(ctx, tokens, positions,
/// next_tokens, logits).
using StepFn = void (*)(int64_t, I64x1 *, I64x1 *, I64x1 *, F32x2 *);

struct helix_module {
  void *handle = nullptr;
  StepFn step = nullptr;
  std::string manifestText;
  Manifest manifest;
};

struct helix_rank {
  const helix_module *module = nullptr;
  RankContext context;
  std::vector<int64_t> next;
  std::vector<float> logits;
  /// Recorded steps, on a device that records them (made on first use;
  /// released before the context, while the device is alive).
  std::unique_ptr<StepGraphs> graphs;
};

namespace {

helix_status report(char *error, size_t size, helix_status status,
                    const std::string &message) {
  if (error && size > 0)
    std::snprintf(error, size, "%s", message.c_str());
  return status;
}

template <typename T>
MemRef<T, 1> view1(T *data, int64_t n) {
  return {data, data, 0, {n}, {1}};
}

/// Calls the compiled step on device buffers of `batch` rows: tokens,
/// positions, next tokens and logits.
void callStep(helix_rank *rank, int64_t *t, int64_t *p, int64_t *n, float *l,
              int64_t batch) {
  int64_t vocab = rank->context.manifest().model.vocabSize;
  I64x1 tokenView = view1(t, batch), positionView = view1(p, batch);
  I64x1 nextView = view1(n, batch);
  F32x2 logitsView{l, l, 0, {batch, vocab}, {vocab, 1}};
  rank->module->step(reinterpret_cast<int64_t>(&rank->context), &tokenView,
                     &positionView, &nextView, &logitsView);
}

/// Bytes of a step's staged tokens, positions and next tokens (each) and
/// of its logits.
struct StepBytes {
  int64_t ids, floats;
};
StepBytes stepBytes(const helix_rank *rank, int64_t batch) {
  return {batch * 8, batch * rank->context.manifest().model.vocabSize * 4};
}

/// The step on the rank's device: inputs and outputs staged in its memory,
/// the results copied back (which waits for the step's work).
bool eagerStep(helix_rank *rank, std::vector<int64_t> &tokens,
               std::vector<int64_t> &positions, bool wantLogits) {
  RankContext &c = rank->context;
  Device &d = *c.device();
  int64_t batch = static_cast<int64_t>(tokens.size());
  auto [ids, floats] = stepBytes(rank, batch);
  auto *t = static_cast<int64_t *>(d.alloc(ids));
  auto *p = static_cast<int64_t *>(d.alloc(ids));
  auto *n = static_cast<int64_t *>(d.alloc(ids));
  auto *l = static_cast<float *>(d.alloc(floats));
  // A prefill chunk's row -> sequence map, for kernels that index the cache
  // on the device (the CPU device reads RankContext::cacheRowOf instead).
  int64_t *r = c.hasStepSequences() ? static_cast<int64_t *>(d.alloc(ids))
                                    : nullptr;
  if (t && p && n && l && (r || !c.hasStepSequences())) {
    d.toDevice(c, t, tokens.data(), ids);
    d.toDevice(c, p, positions.data(), ids);
    if (r)
      d.toDevice(c, r, c.stepSequences().data(), ids);
    c.setDeviceStepSequences(r);
    if (!c.failed())
      callStep(rank, t, p, n, l, batch);
    if (!c.failed() && d.toHost(c, rank->next.data(), n, ids) && wantLogits)
      d.toHost(c, rank->logits.data(), l, floats);
  } else {
    c.fail("out of device memory for the step's inputs and outputs");
  }
  c.setDeviceStepSequences(nullptr);
  for (void *buffer : {static_cast<void *>(t), static_cast<void *>(p),
                       static_cast<void *>(n), static_cast<void *>(l),
                       static_cast<void *>(r)})
    if (buffer)
      d.free(buffer);
  return !c.failed();
}

/// How many recorded steps a rank keeps (shapes: batch sizes x length
/// buckets; a decode uses one or two at a time).
constexpr size_t kRecordings = 8;

/// A decode step (row r is sequence r) on a device that records steps
/// (StepGraphs.h): run eagerly, or recorded and then replayed, or replayed,
/// with the inputs and outputs in the recording's own buffers.
bool recordedStep(helix_rank *rank, StepRecorder &recorder,
                  std::vector<int64_t> &tokens,
                  std::vector<int64_t> &positions, bool wantLogits) {
  RankContext &c = rank->context;
  Device &d = *c.device();
  int64_t batch = static_cast<int64_t>(tokens.size());
  auto [ids, floats] = stepBytes(rank, batch);
  StepShape shape{batch, lengthBucket(*std::max_element(positions.begin(),
                                                        positions.end()) +
                                      1)};
  recorder.setLengthBound(shape.lengthBound);
  if (!rank->graphs)
    rank->graphs = std::make_unique<StepGraphs>(
        kRecordings, [&d, &recorder](Recording &r) {
          recorder.destroy(r.graph);
          for (void *buffer : r.buffers)
            if (buffer)
              d.free(buffer);
        });
  StepGraphs &graphs = *rank->graphs;
  uint64_t before = recorder.generation();
  const Recording *found = nullptr;
  switch (graphs.plan(shape, before, &found)) {
  case StepGraphs::Action::Eager: {
    bool ran = eagerStep(rank, tokens, positions, wantLogits);
    if (ran)
      graphs.ranEagerly(shape, before, recorder.generation());
    return ran;
  }
  case StepGraphs::Action::Record: {
    Recording made;
    int64_t bytes[4] = {ids, ids, ids, floats}; // tokens, positions, next, logits
    for (int i = 0; i < 4; ++i)
      if (!(made.buffers[i] = d.alloc(bytes[i])))
        c.fail("out of device memory for a recorded step's inputs and "
               "outputs");
    // By value: a recorder may keep the call (RerunRecorder.h).
    auto *t = static_cast<int64_t *>(made.buffers[0]);
    auto *p = static_cast<int64_t *>(made.buffers[1]);
    auto *n = static_cast<int64_t *>(made.buffers[2]);
    auto *l = static_cast<float *>(made.buffers[3]);
    if (!c.failed())
      made.graph = recorder.record(
          c, [rank, t, p, n, l, batch] { callStep(rank, t, p, n, l, batch); });
    if (!made.graph) {
      for (void *buffer : made.buffers)
        if (buffer)
          d.free(buffer);
      return false;
    }
    found = &graphs.recorded(shape, made, before);
    break;
  }
  case StepGraphs::Action::Replay:
    break;
  }
  if (!found) {
    c.fail("internal error: no recorded step to replay");
    return false;
  }
  int64_t *n = static_cast<int64_t *>(found->buffers[2]);
  d.toDevice(c, found->buffers[0], tokens.data(), ids);
  d.toDevice(c, found->buffers[1], positions.data(), ids);
  if (!c.failed() && recorder.replay(c, found->graph) &&
      d.toHost(c, rank->next.data(), n, ids) && wantLogits)
    d.toHost(c, rank->logits.data(), found->buffers[3], floats);
  return !c.failed();
}

/// The step on the rank's device, recorded and replayed where the device
/// can (decode steps on a StepRecorder that allows it), else eagerly.
bool deviceStep(helix_rank *rank, std::vector<int64_t> &tokens,
                std::vector<int64_t> &positions, bool wantLogits) {
  RankContext &c = rank->context;
  StepRecorder *recorder = c.device()->recorder();
  // Prefill chunks run eagerly: each has its own rows and bound, and their
  // GEMMs are long enough to hide the launches. So does a step that skips
  // rows in the LM head: which rows is host data the recording would keep.
  if (recorder && !c.hasStepSequences() && c.everyRowWantsLogits() &&
      recorder->recordable(c))
    return recordedStep(rank, *recorder, tokens, positions, wantLogits);
  if (recorder)
    recorder->setLengthBound(0);
  return eagerStep(rank, tokens, positions, wantLogits);
}

} // namespace

extern "C" {

void helix_device_destroy(helix_device *device) {
  delete reinterpret_cast<Device *>(device);
}

helix_status helix_module_open(const char *path, helix_module **out,
                               char *error, size_t errorSize) {
  *out = nullptr;
  auto module = std::make_unique<helix_module>();
  module->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!module->handle)
    return report(error, errorSize, HELIX_ERROR_IO,
                  std::string("cannot load compiled module: ") + dlerror());
  module->step = reinterpret_cast<StepFn>(
      dlsym(module->handle, "_mlir_ciface_decode_step"));
  auto *text = static_cast<const char *>(dlsym(module->handle, "helix_manifest"));
  if (!module->step || !text) {
    dlclose(module->handle);
    return report(error, errorSize, HELIX_ERROR_FORMAT,
                  std::string(path) + " is not a helix module (missing "
                  "_mlir_ciface_decode_step or helix_manifest)");
  }
  module->manifestText = text;
  std::string message;
  if (!parseManifest(module->manifestText, module->manifest, message)) {
    dlclose(module->handle);
    return report(error, errorSize, HELIX_ERROR_FORMAT,
                  std::string(path) + ": " + message);
  }
  *out = module.release();
  return HELIX_OK;
}

const char *helix_module_manifest(const helix_module *module) {
  return module->manifestText.c_str();
}

void helix_module_get_info(const helix_module *module, helix_module_info *out) {
  const Manifest &m = module->manifest;
  *out = {m.layout.kvp,       m.layout.tpa,        m.layout.tpf,
          m.layout.ep,        m.layout.microbatches, m.layout.kvBlock,
          m.worldSize(),      m.model.vocabSize,   m.target.c_str(),
          m.model.architecture.c_str()};
}

void helix_module_close(helix_module *module) {
  if (!module)
    return;
  dlclose(module->handle);
  delete module;
}

helix_status helix_rank_create(const helix_module *module,
                               const helix_checkpoint *checkpoint,
                               helix_comm *world,
                               const helix_rank_options *options,
                               helix_rank **out, char *error,
                               size_t errorSize) {
  *out = nullptr;
  if (options->max_batch < 1 || options->max_context < 1)
    return report(error, errorSize, HELIX_ERROR_INVALID_ARGUMENT,
                  "max_batch and max_context must be positive");
  if (options->kv_dtype != HELIX_KV_DTYPE_DEFAULT &&
      options->kv_dtype != HELIX_KV_DTYPE_F32 &&
      options->kv_dtype != HELIX_KV_DTYPE_BF16)
    return report(error, errorSize, HELIX_ERROR_INVALID_ARGUMENT,
                  "kv_dtype must be DEFAULT, F32 or BF16");
  // Allocation failures must become an error line, not a terminate.
  try {
    auto rank = std::make_unique<helix_rank>();
    rank->module = module;
    rank->context.setKvDtype(options->kv_dtype);
    std::string message;
    if (!rank->context.init(module->manifest, checkpoint, world,
                            options->max_batch, options->max_context,
                            reinterpret_cast<Device *>(options->device),
                            message))
      return report(error, errorSize, HELIX_ERROR_INVALID_ARGUMENT, message);
    *out = rank.release();
    return HELIX_OK;
  } catch (const std::bad_alloc &) {
    return report(error, errorSize, HELIX_ERROR_OUT_OF_RANGE,
                  "out of memory while loading the rank's weights and cache");
  }
}

helix_status helix_rank_step(helix_rank *rank, const int64_t *tokens,
                             const int64_t *positions, int64_t batch,
                             int64_t *nextTokens, float *logits, char *error,
                             size_t errorSize) {
  return helix_rank_step_rows(rank, tokens, positions, nullptr, nullptr, batch,
                              nextTokens, logits, error, errorSize);
}

helix_status helix_rank_step_rows(helix_rank *rank, const int64_t *tokens,
                                  const int64_t *positions,
                                  const int64_t *sequences,
                                  const uint8_t *outputs, int64_t batch,
                                  int64_t *nextTokens, float *logits,
                                  char *error, size_t errorSize) {
  RankContext &c = rank->context;
  if (c.failed())
    return report(error, errorSize, HELIX_ERROR_INTERNAL, c.error());
  if (batch < 1 || (!sequences && batch > c.cacheRows()))
    return report(error, errorSize, HELIX_ERROR_INVALID_ARGUMENT,
                  "batch " + std::to_string(batch) + " is outside 1.." +
                      std::to_string(c.cacheRows()));
  if (sequences) {
    // Rows of one sequence in increasing positions: a row attends to the
    // chunk's earlier rows, which must be appended before it (HOP-B chains
    // run in row order).
    std::map<int64_t, int64_t> last;
    for (int64_t r = 0; r < batch; ++r) {
      if (sequences[r] < 0 || sequences[r] >= c.cacheRows())
        return report(error, errorSize, HELIX_ERROR_INVALID_ARGUMENT,
                      "row " + std::to_string(r) + " names sequence " +
                          std::to_string(sequences[r]) + " outside 0.." +
                          std::to_string(c.cacheRows() - 1));
      auto [it, first] = last.try_emplace(sequences[r], positions[r]);
      if (!first && positions[r] <= it->second)
        return report(error, errorSize, HELIX_ERROR_INVALID_ARGUMENT,
                      "rows of sequence " + std::to_string(sequences[r]) +
                          " must come in increasing positions");
      it->second = positions[r];
    }
  }
  // Every rank sees the same positions, so refusing here is symmetric and
  // keeps non-owning ranks from reading past their cache shard.
  for (int64_t b = 0; b < batch; ++b)
    if (positions[b] < 0 || positions[b] >= c.contextLimit())
      return report(error, errorSize, HELIX_ERROR_OUT_OF_RANGE,
                    "context over capacity: position " +
                        std::to_string(positions[b]) + " is outside the " +
                        std::to_string(c.contextLimit()) +
                        " tokens the KV cache was created for");
  int64_t vocab = c.manifest().model.vocabSize;
  // Checked here too, not only by the embedding: a device reads the table
  // without a check.
  for (int64_t b = 0; b < batch; ++b)
    if (tokens[b] < 0 || tokens[b] >= vocab)
      return report(error, errorSize, HELIX_ERROR_INVALID_ARGUMENT,
                    "token id " + std::to_string(tokens[b]) +
                        " is outside the vocabulary of " +
                        std::to_string(vocab));
  rank->next.resize(static_cast<size_t>(batch));
  rank->logits.resize(static_cast<size_t>(batch * vocab));
  std::vector<int64_t> tokenCopy(tokens, tokens + batch);
  std::vector<int64_t> positionCopy(positions, positions + batch);
  c.setStepPositions(positionCopy);
  c.setStepSequences(sequences ? std::vector<int64_t>(sequences, sequences + batch)
                               : std::vector<int64_t>());
  c.setStepLogitRows(outputs ? std::vector<uint8_t>(outputs, outputs + batch)
                             : std::vector<uint8_t>());
  if (!deviceStep(rank, tokenCopy, positionCopy, logits != nullptr))
    return report(error, errorSize, HELIX_ERROR_INTERNAL, c.error());
  // Rows nobody asked for: the same result whether or not the device
  // skipped them in the LM head.
  for (int64_t r = 0; outputs && r < batch; ++r)
    if (!outputs[r]) {
      rank->next[r] = 0;
      if (logits)
        std::fill_n(rank->logits.begin() + r * vocab, vocab, 0.0f);
    }
  if (nextTokens)
    std::memcpy(nextTokens, rank->next.data(), sizeof(int64_t) * batch);
  if (logits)
    std::memcpy(logits, rank->logits.data(), sizeof(float) * batch * vocab);
  return HELIX_OK;
}

int64_t helix_rank_weight_bytes(const helix_rank *rank) {
  return rank->context.weightBytes();
}
int64_t helix_rank_weight_bytes_of(const helix_rank *rank, helix_dtype dtype) {
  if (dtype != HELIX_DTYPE_F32 && dtype != HELIX_DTYPE_BF16 &&
      dtype != HELIX_DTYPE_F16)
    return 0;
  return rank->context.weightBytesOf(dtype);
}
int64_t helix_rank_cache_bytes(const helix_rank *rank) {
  return rank->context.cacheBytes();
}
helix_dtype helix_rank_cache_dtype(const helix_rank *rank) {
  return rank->context.cacheDtype();
}
void helix_rank_recorded_steps(const helix_rank *rank, int64_t *recorded,
                               int64_t *replayed) {
  const StepGraphs *graphs = rank->graphs.get();
  if (recorded)
    *recorded = graphs ? graphs->recordedCount() : 0;
  if (replayed)
    *replayed = graphs ? graphs->replayedCount() : 0;
}
int64_t helix_rank_vocab_size(const helix_rank *rank) {
  return rank->context.manifest().model.vocabSize;
}

void helix_rank_destroy(helix_rank *rank) { delete rank; }

} // extern "C"
