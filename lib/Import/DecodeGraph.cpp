//===- DecodeGraph.cpp - ModelConfig -> helix decode-step module ----------===//
#include "helix/Import/DecodeGraph.h"
#include "helix/Dialect/Helix/IR/HelixOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"

using namespace mlir;

namespace helix {
namespace {

/// transformers builds DeepSeek's q_a_layernorm and kv_a_layernorm with the
/// RMSNorm default epsilon, not config.rms_norm_eps.
constexpr double kMlaNormEpsilon = 1e-6;

/// Emits the ops of one decode step into a function body. Names of
/// checkpoint tensors follow Hugging Face transformers exactly.
class DecodeGraphBuilder {
public:
  DecodeGraphBuilder(OpBuilder &builder, const ModelConfig &config,
                     Value positions, Value batch)
      : b(builder), config(config), positions(positions), batch(batch),
        loc(builder.getUnknownLoc()) {}

  Value embed(Value tokens) {
    return EmbedOp::create(b, loc, activation(config.hiddenSize), tokens,
                             "model.embed_tokens.weight",
                             config.vocabSize);
  }

  /// One transformer layer; threads `cache` through the attention.
  Value layer(int64_t index, Value hidden, Value &cache) {
    std::string prefix = "model.layers." + std::to_string(index);
    Value normed = rmsNorm(hidden, prefix + ".input_layernorm.weight");
    Value attn = config.mla ? mlaAttention(index, prefix, normed, cache)
                            : gqaAttention(index, prefix, normed, cache);
    hidden = arith::AddFOp::create(b, loc, hidden, attn);
    normed = rmsNorm(hidden, prefix + ".post_attention_layernorm.weight");
    Value ffn = config.isMoeLayer(index) ? moe(prefix + ".mlp", normed)
                                         : denseMlp(prefix + ".mlp", normed);
    return arith::AddFOp::create(b, loc, hidden, ffn);
  }

  /// Final norm and LM head: returns the logits.
  Value head(Value hidden) {
    Value normed = rmsNorm(hidden, "model.norm.weight");
    Value logits =
        linear(normed, config.tieWordEmbeddings ? "model.embed_tokens.weight"
                                                : "lm_head.weight",
               config.vocabSize);
    logits.getDefiningOp<LinearOp>().setLogits(true);
    return logits;
  }

private:
  RankedTensorType activation(int64_t features) {
    return RankedTensorType::get({ShapedType::kDynamic, features},
                                 b.getF32Type());
  }
  Value rmsNorm(Value input, const std::string &weight) {
    return rmsNorm(input, weight, config.rmsNormEps);
  }
  Value rmsNorm(Value input, const std::string &weight, double epsilon) {
    return RmsNormOp::create(b, loc, input.getType(), input, weight,
                             llvm::APFloat(epsilon));
  }
  Value linear(Value input, const std::string &weight, int64_t outFeatures) {
    return LinearOp::create(b, loc, activation(outFeatures), input, weight,
                            /*slice=*/nullptr);
  }
  Value rope(Value input, int64_t heads, int64_t headDim, int64_t rotaryDim) {
    return RopeOp::create(b, loc, input.getType(), input, positions, heads,
                            headDim, rotaryDim, ropeAttr());
  }
  /// Columns [offset, offset + size) of a [B, n] activation.
  Value columns(Value input, int64_t offset, int64_t size) {
    SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0),
                                         b.getIndexAttr(offset)};
    SmallVector<OpFoldResult> sizes = {batch, b.getIndexAttr(size)};
    SmallVector<OpFoldResult> strides = {b.getIndexAttr(1), b.getIndexAttr(1)};
    return tensor::ExtractSliceOp::create(b, loc, activation(size), input,
                                            offsets, sizes, strides);
  }

  RopeAttr ropeAttr() {
    const RopeConfig &r = config.rope;
    RopeScaling scaling = r.scaling == RopeScalingKind::Llama3 ? RopeScaling::llama3
                          : r.scaling == RopeScalingKind::Yarn ? RopeScaling::yarn
                                                               : RopeScaling::none;
    return RopeAttr::get(b.getContext(), r.theta, scaling,
                         r.interleaved ? RopeLayout::interleaved
                                       : RopeLayout::half_split,
                         r.factor, r.lowFreqFactor, r.highFreqFactor,
                         r.originalMaxPositions, r.betaFast, r.betaSlow,
                         r.mscale, r.mscaleAllDim);
  }

  Value gqaAttention(int64_t index, const std::string &prefix, Value normed,
                     Value &cache) {
    std::string attn = prefix + ".self_attn.";
    int64_t d = config.headDim;
    int64_t qWidth = config.numHeads * d, kvWidth = config.numKvHeads * d;
    Value q = linear(normed, attn + "q_proj.weight", qWidth);
    Value k = linear(normed, attn + "k_proj.weight", kvWidth);
    Value v = linear(normed, attn + "v_proj.weight", kvWidth);
    q = rope(q, config.numHeads, d, d);
    k = rope(k, config.numKvHeads, d, d);
    cache = KvAppendOp::create(b, loc, cache, index, k, v, positions,
                               /*owner=*/Value(), /*rank=*/Value(),
                               /*row_offset=*/Value());
    Value o = GqaAttentionOp::create(b, loc, activation(qWidth), q, cache, index,
                                       positions, config.numHeads,
                                       llvm::APFloat(config.attentionScale()));
    return linear(o, attn + "o_proj.weight", config.hiddenSize);
  }

  Value mlaAttention(int64_t index, const std::string &prefix, Value normed,
                     Value &cache) {
    const MlaConfig &mla = *config.mla;
    std::string attn = prefix + ".self_attn.";
    int64_t heads = config.numHeads;
    int64_t qWidth = heads * mla.qkHeadDim();
    Value q;
    if (mla.qLoraRank > 0) {
      Value qa = linear(normed, attn + "q_a_proj.weight", mla.qLoraRank);
      qa = rmsNorm(qa, attn + "q_a_layernorm.weight", kMlaNormEpsilon);
      q = linear(qa, attn + "q_b_proj.weight", qWidth);
    } else {
      q = linear(normed, attn + "q_proj.weight", qWidth);
    }
    q = rope(q, heads, mla.qkHeadDim(), mla.qkRopeHeadDim);
    Value compressed = linear(normed, attn + "kv_a_proj_with_mqa.weight",
                              mla.kvLoraRank + mla.qkRopeHeadDim);
    Value latent = rmsNorm(columns(compressed, 0, mla.kvLoraRank),
                           attn + "kv_a_layernorm.weight", kMlaNormEpsilon);
    Value keyRope = rope(columns(compressed, mla.kvLoraRank, mla.qkRopeHeadDim),
                         1, mla.qkRopeHeadDim, mla.qkRopeHeadDim);
    cache = LatentAppendOp::create(b, loc, cache, index, latent, keyRope,
                                   positions, /*owner=*/Value(),
                                   /*rank=*/Value(), /*row_offset=*/Value());
    Value o = MlaAttentionOp::create(
        b, loc, activation(heads * mla.vHeadDim), q, cache, index, positions,
        attn + "kv_b_proj.weight", heads, mla.qkNopeHeadDim, mla.vHeadDim,
        llvm::APFloat(config.attentionScale()));
    return linear(o, attn + "o_proj.weight", config.hiddenSize);
  }

  Value denseMlp(const std::string &prefix, Value normed) {
    return SwigluMlpOp::create(b, loc, normed.getType(), normed, prefix,
                               config.intermediateSize, /*slice=*/nullptr);
  }

  Value moe(const std::string &prefix, Value normed) {
    const MoeConfig &moe = *config.moe;
    int64_t k = moe.expertsPerToken;
    auto ids = RankedTensorType::get({ShapedType::kDynamic, k}, b.getI64Type());
    auto route = MoeRouteOp::create(
        b, loc, ids, activation(k), normed, prefix, moe.numRoutedExperts, k,
        moe.numGroups, moe.topkGroup, moe.normTopkProb,
        llvm::APFloat(moe.routedScalingFactor));
    return MoeExpertsOp::create(
        b, loc, normed.getType(), normed, route.getExpertIds(),
        route.getExpertWeights(), prefix, moe.numRoutedExperts,
        moe.intermediateSize, moe.intermediateSize * moe.numSharedExperts,
        /*expert_slice=*/nullptr, /*width_slice=*/nullptr,
        /*shared_slice=*/nullptr);
  }

  OpBuilder &b;
  const ModelConfig &config;
  Value positions;
  Value batch;
  Location loc;
};

Type checkpointDtype(MLIRContext &context, const ModelConfig &config) {
  if (config.torchDtype == "bfloat16")
    return BFloat16Type::get(&context);
  if (config.torchDtype == "float16")
    return Float16Type::get(&context);
  return Float32Type::get(&context);
}

Type cacheType(MLIRContext &context, const ModelConfig &config) {
  Type element = checkpointDtype(context, config);
  if (config.mla)
    return LatentCacheType::get(&context, config.numLayers,
                                config.mla->kvLoraRank,
                                config.mla->qkRopeHeadDim, element,
                                /*tokenShards=*/1, /*block=*/1);
  return KvCacheType::get(&context, config.numLayers, config.numKvHeads,
                          config.headDim, element, /*tokenShards=*/1,
                          /*block=*/1);
}

} // namespace

OwningOpRef<ModuleOp> buildDecodeGraph(MLIRContext &context,
                                       const ModelConfig &config,
                                       StringRef configJson) {
  context.loadDialect<HelixDialect, arith::ArithDialect, func::FuncDialect,
                      tensor::TensorDialect>();
  OpBuilder b(&context);
  Location loc = b.getUnknownLoc();
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  module->getOperation()->setAttr(
      "helix.model",
      ModelAttr::get(&context, config.architectureName, config.numLayers,
                     config.hiddenSize, config.vocabSize,
                     checkpointDtype(context, config),
                     b.getBoolAttr(config.tieWordEmbeddings)));
  if (!configJson.empty())
    module->getOperation()->setAttr("helix.hf_config",
                                    b.getStringAttr(configJson));

  auto ids = RankedTensorType::get({ShapedType::kDynamic}, b.getI64Type());
  auto logits = RankedTensorType::get({ShapedType::kDynamic, config.vocabSize},
                                      b.getF32Type());
  Type cache = cacheType(context, config);
  auto type = b.getFunctionType({ids, ids, cache}, {ids, logits, cache});
  b.setInsertionPointToEnd(module->getBody());
  auto func = func::FuncOp::create(b, loc, kDecodeStepFunction, type);
  Block *body = func.addEntryBlock();
  b.setInsertionPointToStart(body);
  Value tokens = body->getArgument(0), positions = body->getArgument(1);
  Value state = body->getArgument(2);
  Value batch = tensor::DimOp::create(b, loc, tokens, 0);

  DecodeGraphBuilder graph(b, config, positions, batch);
  Value hidden = graph.embed(tokens);
  for (int64_t layer = 0; layer < config.numLayers; ++layer)
    hidden = graph.layer(layer, hidden, state);
  Value scores = graph.head(hidden);
  Value next = ArgmaxOp::create(b, loc, ids, scores);
  func::ReturnOp::create(b, loc, ValueRange{next, scores, state});

  if (failed(verify(*module)))
    return nullptr;
  return module;
}

} // namespace helix
