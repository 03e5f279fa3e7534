//===- CApi.cpp - The C API of the safetensors reader ---------------------===//
//
// Thin wrappers: argument checks, and no exception ever crosses into C (the
// only one the reader can raise is std::bad_alloc).
//
//===----------------------------------------------------------------------===//
#include "Checkpoint.h"
#include "Convert.h"

#include <exception>

using namespace helix::rt;

namespace {

helix_status report(const Failure &failure, char *error, size_t errorSize) {
  if (failure)
    copyError(failure.message, error, errorSize);
  else
    copyError("", error, errorSize);
  return failure.status;
}

/// Runs `body` (returning a Failure) with every exception turned into one.
template <typename Body>
helix_status guarded(const char *function, char *error, size_t errorSize,
                     Body body) {
  try {
    return report(body(), error, errorSize);
  } catch (const std::exception &exception) {
    return report(
        {HELIX_ERROR_INTERNAL, std::string(function) + ": " + exception.what()},
        error, errorSize);
  } catch (...) {
    return report(
        {HELIX_ERROR_INTERNAL, std::string(function) + ": unknown exception"},
        error, errorSize);
  }
}

Failure invalidArgument(const char *function, const char *problem) {
  return {HELIX_ERROR_INVALID_ARGUMENT, std::string(function) + ": " + problem};
}

} // namespace

extern "C" helix_status helix_checkpoint_open(const char *model_dir,
                                              helix_checkpoint **out,
                                              char *error, size_t error_size) {
  const char *function = __func__;
  if (out)
    *out = nullptr;
  return guarded(function, error, error_size, [&]() -> Failure {
    if (!out)
      return invalidArgument(function, "out is null");
    if (!model_dir || !*model_dir)
      return invalidArgument(function, "model directory is null or empty");
    std::unique_ptr<helix_checkpoint> checkpoint;
    if (Failure failure = helix_checkpoint::open(model_dir, checkpoint))
      return failure;
    *out = checkpoint.release();
    return {};
  });
}

extern "C" helix_status
helix_checkpoint_info(const helix_checkpoint *checkpoint, const char *name,
                      helix_tensor_info *info, char *error, size_t error_size) {
  const char *function = __func__;
  return guarded(function, error, error_size, [&]() -> Failure {
    if (!checkpoint || !name || !info)
      return invalidArgument(function, "checkpoint, name or info is null");
    const CheckpointTensor *tensor;
    if (Failure failure = checkpoint->lookup(name, tensor))
      return failure;
    *info = helix_tensor_info();
    info->dtype = tensor->dtype;
    info->rank = int32_t(tensor->shape.size());
    for (size_t i = 0; i < tensor->shape.size(); ++i)
      info->shape[i] = tensor->shape[i];
    return {};
  });
}

extern "C" helix_status helix_checkpoint_read_block(
    const helix_checkpoint *checkpoint, const char *name, int32_t dim,
    int64_t begin, int64_t size, float *dst, char *error, size_t error_size) {
  const char *function = __func__;
  return guarded(function, error, error_size, [&]() -> Failure {
    if (!checkpoint || !name)
      return invalidArgument(function, "checkpoint or name is null");
    return checkpoint->readBlock(name, dim, begin, size, HELIX_DTYPE_F32, dst);
  });
}

extern "C" helix_status
helix_checkpoint_read_block_as(const helix_checkpoint *checkpoint,
                               const char *name, int32_t dim, int64_t begin,
                               int64_t size, helix_dtype dtype, void *dst,
                               char *error, size_t error_size) {
  const char *function = __func__;
  return guarded(function, error, error_size, [&]() -> Failure {
    if (!checkpoint || !name)
      return invalidArgument(function, "checkpoint or name is null");
    if (dtype != HELIX_DTYPE_F32 && dtype != HELIX_DTYPE_BF16 &&
        dtype != HELIX_DTYPE_F16)
      return invalidArgument(function, "unknown dtype");
    return checkpoint->readBlock(name, dim, begin, size, dtype, dst);
  });
}

extern "C" helix_status helix_checkpoint_map_block(
    const helix_checkpoint *checkpoint, const char *name, int32_t dim,
    int64_t begin, int64_t size, const void **data,
    helix_checkpoint_mapping **mapping, char *error, size_t error_size) {
  const char *function = __func__;
  if (data)
    *data = nullptr;
  if (mapping)
    *mapping = nullptr;
  return guarded(function, error, error_size, [&]() -> Failure {
    if (!checkpoint || !name || !data || !mapping)
      return invalidArgument(function, "checkpoint, name, data or mapping is "
                                       "null");
    BlockRuns block;
    if (Failure failure =
            checkpoint->locateBlock(name, dim, begin, size, block))
      return failure;
    size_t elementBytes = dtypeSize(block.tensor->dtype);
    bool oneRun = block.runs <= 1 || block.runLength == block.stride;
    if (!oneRun || reinterpret_cast<uintptr_t>(block.first) % elementBytes)
      return {}; // The caller copies it.
    *mapping = new helix_checkpoint_mapping{block.tensor->file};
    *data = block.first;
    return {};
  });
}

extern "C" void
helix_checkpoint_mapping_release(helix_checkpoint_mapping *mapping) {
  delete mapping;
}

extern "C" int64_t helix_checkpoint_size(const helix_checkpoint *checkpoint) {
  return checkpoint ? int64_t(checkpoint->tensors.size()) : 0;
}

extern "C" const char *helix_checkpoint_name(const helix_checkpoint *checkpoint,
                                             int64_t i) {
  if (!checkpoint || i < 0 || i >= int64_t(checkpoint->tensors.size()))
    return nullptr;
  return checkpoint->tensors[size_t(i)].name.c_str();
}

extern "C" void helix_checkpoint_close(helix_checkpoint *checkpoint) {
  delete checkpoint;
}
