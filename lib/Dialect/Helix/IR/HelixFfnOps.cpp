//===- HelixFfnOps.cpp - SwiGLU MLP and mixture-of-experts ops ------------===//
#include "helix/Dialect/Helix/IR/HelixOps.h"
#include "VerifyUtils.h"

#include "llvm/ADT/Twine.h"

using namespace mlir;
using namespace helix;

/// The three matrices of one SwiGLU block named `<prefix>.{gate,up,down}_proj`.
static void appendSwigluWeights(SmallVectorImpl<WeightRef> &weights,
                                const Twine &prefix, int64_t hidden,
                                int64_t width) {
  weights.push_back({(prefix + ".gate_proj.weight").str(), {width, hidden}});
  weights.push_back({(prefix + ".up_proj.weight").str(), {width, hidden}});
  weights.push_back({(prefix + ".down_proj.weight").str(), {hidden, width}});
}

void SwigluMlpOp::getWeights(SmallVectorImpl<WeightRef> &weights) {
  appendSwigluWeights(weights, getPrefix(), featureDim(getInput()),
                      getIntermediateSize());
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
  return verifySameBatch(*this,
                         {getInput(), getExpertIds(), getExpertWeights()});
}

void MoeExpertsOp::getWeights(SmallVectorImpl<WeightRef> &weights) {
  int64_t hidden = featureDim(getInput());
  for (int64_t e = 0, n = getNumExperts(); e < n; ++e)
    appendSwigluWeights(weights, getPrefix() + ".experts." + Twine(e), hidden,
                        getIntermediateSize());
  if (getSharedIntermediateSize() > 0)
    appendSwigluWeights(weights, getPrefix() + ".shared_experts", hidden,
                        getSharedIntermediateSize());
}
