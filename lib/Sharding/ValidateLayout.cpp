//===- ValidateLayout.cpp - the rules a Helix layout must obey ------------===//
#include "helix/Sharding/Layout.h"

namespace helix::sharding {
namespace {

using Message = std::optional<std::string>;

std::string num(int64_t value) { return std::to_string(value); }

Message checkAtLeastOne(const char *name, int64_t value) {
  if (value >= 1)
    return std::nullopt;
  return std::string(name) + " must be >= 1, got " + num(value);
}

Message checkFactors(const Layout &layout) {
  for (auto [name, value] : {std::pair{"kvp", layout.kvp},
                             {"tpa", layout.tpa},
                             {"tpf", layout.tpf},
                             {"ep", layout.ep},
                             {"microbatches", layout.microbatches},
                             {"kv-block", layout.kvBlock}})
    if (Message message = checkAtLeastOne(name, value))
      return message;
  return std::nullopt;
}

/// Sizes the later rules divide by or compare against; a config parser
/// normally guarantees them, but the library must not trust its callers.
Message checkModel(const ModelShape &model) {
  if (model.queryHeads < 1)
    return "model: query heads must be >= 1, got " + num(model.queryHeads);
  if (!model.mla) {
    if (model.kvHeads < 1)
      return "model: KV heads must be >= 1, got " + num(model.kvHeads);
    if (model.queryHeads % model.kvHeads != 0)
      return "model: query heads (" + num(model.queryHeads) +
             ") must be a multiple of KV heads (" + num(model.kvHeads) + ")";
  }
  for (auto [name, value] : {std::pair{"dense FFN width", model.denseFfn},
                             {"experts", model.experts},
                             {"expert width", model.expertFfn},
                             {"shared-expert width", model.sharedFfn}})
    if (value < 0)
      return "model: " + std::string(name) + " must be >= 0, got " + num(value);
  if (model.experts > 0 && model.expertFfn < 1)
    return "model: expert width must be >= 1 for a model with experts, got " +
           num(model.expertFfn);
  return std::nullopt;
}

Message checkWorldSize(const Layout &layout) {
  int64_t attention = 0, ffn = 0;
  if (__builtin_mul_overflow(layout.kvp, layout.tpa, &attention) ||
      __builtin_mul_overflow(layout.tpf, layout.ep, &ffn))
    return "kvp*tpa or tpf*ep overflows 64 bits";
  if (attention != ffn)
    return "kvp*tpa = " + num(attention) + " must equal tpf*ep = " + num(ffn);
  return std::nullopt;
}

Message checkHeads(const Layout &layout, const ModelShape &model) {
  if (model.mla) {
    if (layout.tpa != 1)
      return "tpa must be 1 for MLA (the latent cache is shared by all "
             "heads), got " +
             num(layout.tpa);
  } else {
    if (layout.tpa > model.kvHeads)
      return "tpa = " + num(layout.tpa) + " exceeds the " +
             num(model.kvHeads) + " KV heads";
    if (model.kvHeads % layout.tpa != 0)
      return "tpa = " + num(layout.tpa) + " must divide the " +
             num(model.kvHeads) + " KV heads";
  }
  int64_t n = layout.worldSize();
  if (model.queryHeads % n != 0)
    return "query heads (" + num(model.queryHeads) +
           ") must be divisible by N = kvp*tpa = " + num(n);
  return std::nullopt;
}

Message checkFfn(const Layout &layout, const ModelShape &model) {
  int64_t n = layout.worldSize();
  if (model.denseFfnWidth() % n != 0)
    return "dense FFN width " + num(model.denseFfnWidth()) +
           " must be divisible by N = " + num(n) +
           " (dense layers run TP over all N ranks)";
  if (model.experts % layout.ep != 0)
    return "experts (" + num(model.experts) +
           ") must be divisible by ep = " + num(layout.ep);
  if (model.expertFfn % layout.tpf != 0)
    return "expert width " + num(model.expertFfn) +
           " must be divisible by tpf = " + num(layout.tpf);
  if (model.sharedFfn % n != 0)
    return "shared-expert width " + num(model.sharedFfn) +
           " must be divisible by N = " + num(n) +
           " (shared experts are sharded over all N ranks)";
  if (model.experts == 0 && layout.ep > 1)
    return "ep = " + num(layout.ep) +
           " needs a model with experts (this model has none)";
  return std::nullopt;
}

} // namespace

std::optional<std::string> validateLayout(const Layout &layout,
                                          const ModelShape &model) {
  // Sequential on purpose: later rules divide by the factors checked first.
  if (Message message = checkFactors(layout))
    return message;
  if (Message message = checkModel(model))
    return message;
  if (Message message = checkWorldSize(layout))
    return message;
  if (Message message = checkHeads(layout, model))
    return message;
  return checkFfn(layout, model);
}

} // namespace helix::sharding
