//===- HelixAttrs.cpp - helix attribute verifiers -------------------------===//
#include "helix/Dialect/Helix/IR/HelixOps.h"
#include "VerifyUtils.h"

using namespace mlir;
using namespace helix;

LogicalResult RopeAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                               F64 theta, RopeScaling scaling,
                               RopeLayout layout, F64 factor,
                               F64 lowFreqFactor, F64 highFreqFactor,
                               int64_t originalMaxPosition, F64 betaFast,
                               F64 betaSlow, F64 mscale, F64 mscaleAllDim) {
  if (!(theta > 0))
    return emitError() << "rope theta must be positive, got " << theta.value;
  if (scaling == RopeScaling::none)
    return success();
  if (!(factor >= 1))
    return emitError() << "rope scaling factor must be >= 1, got " << factor.value;
  if (originalMaxPosition <= 0)
    return emitError() << "rope scaling '" << stringifyRopeScaling(scaling)
                       << "' needs original_max_position > 0";
  if (scaling == RopeScaling::llama3 && !(highFreqFactor > lowFreqFactor))
    return emitError() << "llama3 rope needs high_freq_factor ("
                       << highFreqFactor << ") > low_freq_factor ("
                       << lowFreqFactor << ")";
  if (scaling == RopeScaling::yarn && !(betaFast > betaSlow))
    return emitError() << "yarn rope needs beta_fast (" << betaFast.value
                       << ") > beta_slow (" << betaSlow.value << ")";
  return success();
}

LogicalResult ModelAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                StringRef architecture, int64_t numLayers,
                                int64_t hiddenSize, int64_t vocabSize,
                                Type weightDtype, BoolAttr tieWordEmbeddings) {
  if (architecture.empty())
    return emitError() << "model architecture must not be empty";
  if (numLayers <= 0 || hiddenSize <= 0 || vocabSize <= 0)
    return emitError() << "model sizes must be positive (num_layers = "
                       << numLayers << ", hidden_size = " << hiddenSize
                       << ", vocab_size = " << vocabSize << ")";
  if (failed(verifyBounds(emitError, "model",
                          {{"num_layers", numLayers, limits::kMaxLayers},
                           {"hidden_size", hiddenSize, limits::kMaxHidden},
                           {"vocab_size", vocabSize, limits::kMaxVocab}})))
    return failure();
  if (!weightDtype.isF32() && !weightDtype.isBF16() && !weightDtype.isF16())
    return emitError() << "model weight_dtype must be f32, bf16 or f16, got "
                       << weightDtype;
  return success();
}

LogicalResult LayoutAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 int64_t kvp, int64_t tpa, int64_t tpf,
                                 int64_t ep, int64_t microbatches,
                                 int64_t kvBlock) {
  if (kvp < 1 || tpa < 1 || tpf < 1 || ep < 1 || microbatches < 1 ||
      kvBlock < 1)
    return emitError() << "layout factors must be >= 1 (kvp = " << kvp
                       << ", tpa = " << tpa << ", tpf = " << tpf
                       << ", ep = " << ep << ", microbatches = " << microbatches
                       << ", kv_block = " << kvBlock << ")";
  if (failed(verifyBounds(
          emitError, "layout",
          {{"kvp", kvp, limits::kMaxRanks},
           {"tpa", tpa, limits::kMaxRanks},
           {"tpf", tpf, limits::kMaxRanks},
           {"ep", ep, limits::kMaxRanks},
           {"microbatches", microbatches, limits::kMaxMicrobatches},
           {"kv_block", kvBlock, limits::kMaxPositions}})))
    return failure();
  if (kvp * tpa != tpf * ep)
    return emitError() << "layout needs kvp*tpa (" << kvp * tpa
                       << ") == tpf*ep (" << tpf * ep << ")";
  return success();
}
