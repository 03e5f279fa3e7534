//===- Layout.h - whether a Helix layout can run a model --------*- C++ -*-===//
//
// The layout value itself (kvp, tpa, tpf, ep, micro-batches, KV block; its
// text form) is the runtime-owned helix_rt::Layout, shared by the passes,
// the planner, the driver, the manifest and the runtime. This header adds
// the compiler's one set of rules for which layouts a model allows; the
// planner delegates Helix validity to it and helix-run checks with it before
// compiling.
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_SHARDING_LAYOUT_H
#define HELIX_SHARDING_LAYOUT_H

#include "helix/Model/ModelShape.h"
#include "helix_rt/layout.h"

#include <cstdint>
#include <optional>
#include <string>

namespace helix {
using Layout = helix_rt::Layout;
using helix_rt::LayoutKeys;
using helix_rt::parseLayout;
} // namespace helix

namespace helix::sharding {

using helix::Layout;
using helix::ModelShape;

/// nullopt when `layout` can run `model`; otherwise one message naming the
/// first rule broken, with the numbers. Rules, in checking order: every
/// factor >= 1; model sizes sane (heads >= 1, GQA heads a multiple of the KV
/// heads, widths >= 0); kvp*tpa == tpf*ep; GQA: tpa <= KV heads and divides
/// them; MLA: tpa == 1; query heads divisible by N; dense FFN width divisible
/// by N; experts divisible by ep; expert width divisible by tpf; shared-expert
/// width divisible by N; ep == 1 for a model without experts.
std::optional<std::string> validateLayout(const Layout &layout,
                                          const ModelShape &model);

} // namespace helix::sharding

#endif // HELIX_SHARDING_LAYOUT_H
