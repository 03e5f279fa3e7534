//===- HelixDialect.h - The helix dialect -----------------------*- C++ -*-===//
#ifndef HELIX_DIALECT_HELIX_IR_HELIXDIALECT_H
#define HELIX_DIALECT_HELIX_IR_HELIXDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Shard/IR/ShardDialect.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dialect.h"

#include "helix/Dialect/Helix/IR/HelixOpsDialect.h.inc"

#endif // HELIX_DIALECT_HELIX_IR_HELIXDIALECT_H
