//===- helix-opt.cpp - the helix optimizer driver -------------------------===//
#include "helix/Conversion/Passes.h"
#include "helix/Dialect/Helix/IR/HelixDialect.h"
#include "helix/Dialect/Helix/Transforms/Passes.h"
#include "helix/Pipelines/ShardPipeline.h"
#include "helix/Target/Cpu/SharedObject.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  registry.insert<helix::HelixDialect, mlir::arith::ArithDialect,
                  mlir::func::FuncDialect, mlir::shard::ShardDialect,
                  mlir::tensor::TensorDialect>();
  mlir::registerTransformsPasses();
  helix::registerHelixPasses();
  helix::registerShardPipeline();
  helix::registerHelixConversionPasses();
  helix::registerCpuLoweringPipeline();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "Helix optimizer driver\n", registry));
}
