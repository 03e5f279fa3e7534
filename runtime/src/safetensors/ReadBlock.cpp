//===- ReadBlock.cpp - Read or map one block of a 1-D or 2-D tensor -------===//
//
// A block along dim 0 is one contiguous byte run; along dim 1 of an [R, C]
// tensor it is R runs of `size` elements. Either way only the block's bytes
// are touched, so each rank faults in just its share of the mapping.
//
//===----------------------------------------------------------------------===//
#include "Checkpoint.h"

#include "Convert.h"

using namespace helix::rt;

Failure helix_checkpoint::locateBlock(const std::string &name, int32_t dim,
                                      int64_t begin, int64_t size,
                                      BlockRuns &block) const {
  const CheckpointTensor *tensor;
  if (Failure failure = lookup(name, tensor))
    return failure;
  const std::vector<int64_t> &shape = tensor->shape;
  std::string where = tensor->file->path() + ": tensor " + quote(name) +
                      " of shape " + shapeString(shape);
  auto rank = int64_t(shape.size());
  if (rank != 1 && rank != 2)
    return {HELIX_ERROR_INVALID_ARGUMENT,
            where + " is not 1-D or 2-D; blocks are read from those only"};
  if (dim < 0 || dim >= rank)
    return {HELIX_ERROR_INVALID_ARGUMENT,
            where + " has no dimension " + std::to_string(dim)};
  int64_t extent = shape[dim];
  // Written as begin > extent - size so that nothing overflows.
  if (begin < 0 || size < 0 || begin > extent - size)
    return {HELIX_ERROR_OUT_OF_RANGE,
            where + ": block at " + std::to_string(begin) + " of size " +
                std::to_string(size) + " is outside dimension " +
                std::to_string(dim) + " (extent " + std::to_string(extent) +
                ")"};
  size_t elementBytes = dtypeSize(tensor->dtype);
  auto blockBegin = size_t(begin), blockSize = size_t(size);
  block.tensor = tensor;
  if (rank == 1 || dim == 0) {
    size_t rowLength = rank == 2 ? size_t(shape[1]) : 1;
    block.first = tensor->data + blockBegin * rowLength * elementBytes;
    block.runs = 1;
    block.runLength = blockSize * rowLength;
    block.stride = block.runLength;
    return {};
  }
  block.first = tensor->data + blockBegin * elementBytes;
  block.runs = size_t(shape[0]);
  block.runLength = blockSize;
  block.stride = size_t(shape[1]);
  return {};
}

Failure helix_checkpoint::readBlock(const std::string &name, int32_t dim,
                                    int64_t begin, int64_t size,
                                    helix_dtype dtype, void *dst) const {
  BlockRuns block;
  if (Failure failure = locateBlock(name, dim, begin, size, block))
    return failure;
  const CheckpointTensor &tensor = *block.tensor;
  if (dtype != HELIX_DTYPE_F32 && dtype != tensor.dtype)
    return {HELIX_ERROR_INVALID_ARGUMENT,
            tensor.file->path() + ": tensor " + quote(name) + " is " +
                dtypeName(tensor.dtype) + "; it is read as F32 or " +
                dtypeName(tensor.dtype) + ", not " + dtypeName(dtype)};
  if (size > 0 && !dst)
    return {HELIX_ERROR_INVALID_ARGUMENT, tensor.file->path() + ": tensor " +
                                              quote(name) +
                                              ": destination is null"};
  size_t from = dtypeSize(tensor.dtype), to = dtypeSize(dtype);
  auto *out = static_cast<uint8_t *>(dst);
  for (size_t run = 0; run < block.runs; ++run)
    convertBlock(tensor.dtype, block.first + run * block.stride * from,
                 block.runLength, dtype, out + run * block.runLength * to);
  return {};
}
