//===- LayoutUtils.cpp - what the sharding passes share -------------------===//
#include "helix/Dialect/Helix/Transforms/LayoutUtils.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

using namespace mlir;

namespace helix {

FailureOr<LayoutAttr> requireLayout(ModuleOp module, StringRef pass) {
  if (auto layout = module->getAttrOfType<LayoutAttr>("helix.layout"))
    return layout;
  return module.emitError() << pass
                            << " needs a module with helix.layout; run "
                               "helix-set-layout first";
}

SliceAttr makeSlice(MLIRContext *context, int64_t dim, StringRef grid,
                    ArrayRef<int64_t> axes) {
  return SliceAttr::get(context, dim, FlatSymbolRefAttr::get(context, grid),
                        axes);
}

RankedTensorType activationLike(Value like, int64_t features) {
  auto type = cast<RankedTensorType>(like.getType());
  return RankedTensorType::get({type.getDimSize(0), features},
                               type.getElementType());
}

static bool isCache(Type type) {
  return isa<KvCacheType, LatentCacheType>(type);
}

void retypeCaches(ModuleOp module, function_ref<Type(Type)> convert) {
  auto retype = [&](Value value) {
    if (isCache(value.getType()))
      value.setType(convert(value.getType()));
  };
  module.walk([&](Operation *op) {
    for (Region &region : op->getRegions())
      for (Block &block : region)
        for (BlockArgument arg : block.getArguments())
          retype(arg);
    for (Value result : op->getResults())
      retype(result);
  });
  module.walk([&](func::FuncOp func) {
    auto map = [&](TypeRange types) {
      SmallVector<Type> out;
      for (Type type : types)
        out.push_back(isCache(type) ? convert(type) : type);
      return out;
    };
    FunctionType type = func.getFunctionType();
    func.setFunctionType(FunctionType::get(module.getContext(),
                                           map(type.getInputs()),
                                           map(type.getResults())));
  });
}

} // namespace helix
