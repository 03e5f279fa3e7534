//===- Report.h - Text, JSON and CSV renderings of a plan -------*- C++ -*-===//
#ifndef HELIX_TOOLS_HELIX_PLAN_REPORT_H
#define HELIX_TOOLS_HELIX_PLAN_REPORT_H

#include "helix/Planner/Planner.h"

#include <nlohmann/json.hpp>

#include <string>

namespace helix::planner {

/// What the plan was asked, echoed into every output.
struct PlanInfo {
  std::string model;
  std::string hardware;
  std::string dtype;
  int64_t context = 0;
  int64_t maxGpus = 0;
};

/// Human-readable frontiers and headline.
std::string textReport(const PlanInfo &info, const PlanResult &result);
/// The CONTRACT JSON: {"frontiers": {...}, "headline": {...}} plus "input".
nlohmann::json jsonReport(const PlanInfo &info, const PlanResult &result);
nlohmann::json pointJson(const PlanPoint &point);
/// One row per frontier point, with the frontier's name in the first column.
std::string csvReport(const PlanResult &result);

/// Writes `content` to a temporary file beside `path`, then renames it: no
/// partial file on failure.
bool writeFileAtomically(const std::string &path, const std::string &content,
                         std::string &error);

} // namespace helix::planner

#endif // HELIX_TOOLS_HELIX_PLAN_REPORT_H
