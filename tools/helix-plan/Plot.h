//===- Plot.h - PNG of the frontiers through gnuplot ------------*- C++ -*-===//
#ifndef HELIX_TOOLS_HELIX_PLAN_PLOT_H
#define HELIX_TOOLS_HELIX_PLAN_PLOT_H

#include "helix/Planner/Planner.h"

#include <string>

namespace helix::planner {

/// The gnuplot script that draws every frontier (log-log, one curve per
/// strategy) into `pngPath`.
std::string gnuplotScript(const PlanResult &result, const std::string &title,
                          const std::string &pngPath);

/// Runs gnuplot (or $HELIX_GNUPLOT) on that script; writes the PNG under a
/// temporary name first and renames it on success.
bool plotFrontiers(const PlanResult &result, const std::string &title,
                   const std::string &pngPath, std::string &error);

} // namespace helix::planner

#endif // HELIX_TOOLS_HELIX_PLAN_PLOT_H
