//===- ReadBlock.cpp - Read one block of a 1-D or 2-D tensor as float -----===//
//
// A block along dim 0 is one contiguous byte run; along dim 1 of an [R, C]
// tensor it is R runs of `size` elements. Either way only the block's bytes
// are touched, so each rank faults in just its share of the mapping.
//
//===----------------------------------------------------------------------===//
#include "Checkpoint.h"

#include "Convert.h"

using namespace helix::rt;

Failure helix_checkpoint::readBlock(const std::string &name, int32_t dim,
                                    int64_t begin, int64_t size,
                                    float *dst) const {
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
  if (size > 0 && !dst)
    return {HELIX_ERROR_INVALID_ARGUMENT, where + ": destination is null"};

  size_t elementBytes = dtypeSize(tensor->dtype);
  auto blockBegin = size_t(begin), blockSize = size_t(size);
  if (rank == 1 || dim == 0) {
    size_t rowLength = rank == 2 ? size_t(shape[1]) : 1;
    convertToFloat(tensor->dtype,
                   tensor->data + blockBegin * rowLength * elementBytes,
                   blockSize * rowLength, dst);
    return {};
  }
  auto rows = size_t(shape[0]), columns = size_t(shape[1]);
  for (size_t row = 0; row < rows; ++row)
    convertToFloat(tensor->dtype,
                   tensor->data + (row * columns + blockBegin) * elementBytes,
                   blockSize, dst + row * blockSize);
  return {};
}
