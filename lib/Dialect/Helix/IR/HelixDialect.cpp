//===- HelixDialect.cpp - helix dialect registration ----------------------===//
#include "helix/Dialect/Helix/IR/HelixDialect.h"
#include "helix/Dialect/Helix/IR/HelixOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace helix;

#include "helix/Dialect/Helix/IR/HelixOpsDialect.cpp.inc"

#define GET_TYPEDEF_CLASSES
#include "helix/Dialect/Helix/IR/HelixOpsTypes.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "helix/Dialect/Helix/IR/HelixAttrs.cpp.inc"

#include "helix/Dialect/Helix/IR/HelixEnums.cpp.inc"
#include "helix/Dialect/Helix/IR/HelixInterfaces.cpp.inc"

void HelixDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "helix/Dialect/Helix/IR/HelixOps.cpp.inc"
      >();
  addTypes<
#define GET_TYPEDEF_LIST
#include "helix/Dialect/Helix/IR/HelixOpsTypes.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "helix/Dialect/Helix/IR/HelixAttrs.cpp.inc"
      >();
}
