//===- Collectives.cpp - build upstream shard collectives on helix grids --===//
#include "helix/Dialect/Helix/Transforms/Collectives.h"

using namespace mlir;

namespace helix {

Value buildAllReduce(OpBuilder &b, Location loc, Value input, StringRef grid,
                     ArrayRef<int16_t> axes) {
  return shard::AllReduceOp::create(b, loc, input.getType(),
                                    FlatSymbolRefAttr::get(b.getContext(), grid),
                                    b.getDenseI16ArrayAttr(axes), input);
}

Value buildAllToAll(OpBuilder &b, Location loc, Type resultType, Value input,
                    StringRef grid, ArrayRef<int16_t> axes, int64_t splitAxis,
                    int64_t concatAxis) {
  return shard::AllToAllOp::create(
      b, loc, resultType, FlatSymbolRefAttr::get(b.getContext(), grid),
      b.getDenseI16ArrayAttr(axes), input, b.getIndexAttr(splitAxis),
      b.getIndexAttr(concatAxis));
}

Value buildAllGather(OpBuilder &b, Location loc, Type resultType, Value input,
                     StringRef grid, ArrayRef<int16_t> axes,
                     int64_t gatherAxis) {
  return shard::AllGatherOp::create(
      b, loc, resultType, FlatSymbolRefAttr::get(b.getContext(), grid),
      b.getDenseI16ArrayAttr(axes), input, b.getIndexAttr(gatherAxis));
}

} // namespace helix
