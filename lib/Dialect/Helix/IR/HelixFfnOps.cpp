//===- HelixFfnOps.cpp - SwiGLU MLP and mixture-of-experts ops ------------===//
#include "helix/Dialect/Helix/IR/HelixOps.h"
#include "VerifyUtils.h"
#include "helix/Dialect/Helix/IR/HelixSlices.h"

#include "llvm/ADT/Twine.h"

using namespace mlir;
using namespace helix;

/// The three matrices of one SwiGLU block named `<prefix>.{gate,up,down}_proj`.
/// A width slice cuts gate/up by rows and down by columns.
static void appendSwigluWeights(SmallVectorImpl<WeightRef> &weights,
                                const Twine &prefix, int64_t hidden,
                                int64_t width,
                                std::optional<WeightSlice> slice = std::nullopt,
                                std::optional<WeightOwners> owners = std::nullopt) {
  std::optional<WeightSlice> downSlice = slice;
  if (downSlice)
    downSlice->dim = 1;
  weights.push_back({(prefix + ".gate_proj.weight").str(), {width, hidden},
                     slice, owners});
  weights.push_back({(prefix + ".up_proj.weight").str(), {width, hidden},
                     slice, owners});
  weights.push_back({(prefix + ".down_proj.weight").str(), {hidden, width},
                     downSlice, owners});
}

/// Fails unless `slice` is on dim 0 and cuts `size` into equal blocks.
static LogicalResult verifyWidthSlice(Operation *op, Attribute attr,
                                      int64_t size, StringRef what) {
  if (failed(verifySlice(op, attr, /*maxDim=*/0)))
    return failure();
  auto slice = dyn_cast_or_null<SliceAttr>(attr);
  if (slice && size % sliceParts(op, slice) != 0)
    return op->emitOpError() << what << " (" << size
                             << ") is not divisible by the "
                             << sliceParts(op, slice) << " blocks of its slice";
  return success();
}

LogicalResult SwigluMlpOp::verify() {
  return verifyWidthSlice(*this, getSliceAttr(), getIntermediateSize(),
                          "intermediate_size");
}

void SwigluMlpOp::getWeights(SmallVectorImpl<WeightRef> &weights) {
  appendSwigluWeights(weights, getPrefix(), featureDim(getInput()),
                      getIntermediateSize(),
                      toWeightSlice(*this, getSliceAttr()));
}

LogicalResult MoeRouteOp::verify() {
  int64_t experts = getNumExperts(), groups = getNGroup();
  int64_t topkGroup = getTopkGroup(), topK = getTopK();
  if (experts % groups != 0)
    return emitOpError("num_experts (")
           << experts << ") must be divisible by n_group (" << groups << ")";
  if (topkGroup > groups)
    return emitOpError("topk_group (")
           << topkGroup << ") exceeds n_group (" << groups << ")";
  int64_t eligible = topkGroup * (experts / groups);
  if (topK > eligible)
    return emitOpError("top_k (")
           << topK << ") exceeds the " << eligible
           << " experts of the topk_group best groups";
  if (!(getRoutedScalingFactor().convertToDouble() > 0))
    return emitOpError("expects a positive routed_scaling_factor");
  if (failed(verifyFeatureDim(*this, getExpertIds(), topK,
                              "expert_ids (top_k)")) ||
      failed(verifyFeatureDim(*this, getExpertWeights(), topK,
                              "expert_weights (top_k)")))
    return failure();
  return verifySameBatch(*this,
                         {getInput(), getExpertIds(), getExpertWeights()});
}

void MoeRouteOp::getWeights(SmallVectorImpl<WeightRef> &weights) {
  int64_t experts = static_cast<int64_t>(getNumExperts());
  weights.push_back({(getPrefix() + ".gate.weight").str(),
                     {experts, featureDim(getInput())}});
  weights.push_back({(getPrefix() + ".gate.e_score_correction_bias").str(),
                     {experts}});
}

LogicalResult MoeExpertsOp::verify() {
  if (getExpertIds().getType().getShape() !=
      getExpertWeights().getType().getShape())
    return emitOpError("expects expert_ids and expert_weights of one shape");
  if (failed(verifyWidthSlice(*this, getExpertSliceAttr(), getNumExperts(),
                              "num_experts")) ||
      failed(verifyWidthSlice(*this, getWidthSliceAttr(),
                              getIntermediateSize(), "intermediate_size")) ||
      failed(verifyWidthSlice(*this, getSharedSliceAttr(),
                              getSharedIntermediateSize(),
                              "shared_intermediate_size")))
    return failure();
  return verifySameBatch(*this,
                         {getInput(), getExpertIds(), getExpertWeights()});
}

void MoeExpertsOp::getWeights(SmallVectorImpl<WeightRef> &weights) {
  int64_t hidden = featureDim(getInput());
  int64_t experts = getNumExperts();
  std::optional<WeightSlice> groups = toWeightSlice(*this, getExpertSliceAttr());
  std::optional<WeightSlice> width = toWeightSlice(*this, getWidthSliceAttr());
  for (int64_t e = 0; e < experts; ++e) {
    std::optional<WeightOwners> owners;
    if (groups && groups->parts > 0)
      owners = WeightOwners{groups->grid, groups->axes, groups->parts,
                            e / (experts / groups->parts)};
    appendSwigluWeights(weights, getPrefix() + ".experts." + Twine(e), hidden,
                        getIntermediateSize(), width, owners);
  }
  if (getSharedIntermediateSize() > 0)
    appendSwigluWeights(weights, getPrefix() + ".shared_experts", hidden,
                        getSharedIntermediateSize(),
                        toWeightSlice(*this, getSharedSliceAttr()));
}
