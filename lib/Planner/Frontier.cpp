//===- Frontier.cpp - Pareto frontiers and the headline ratios ------------===//
#include "helix/Planner/Frontier.h"

#include <algorithm>

namespace helix::planner {

std::vector<PlanPoint> paretoFrontier(const std::vector<PlanPoint> &points) {
  std::vector<PlanPoint> sorted = points;
  // Fastest users first; among equals the higher GPU rate first.
  std::sort(sorted.begin(), sorted.end(),
            [](const PlanPoint &a, const PlanPoint &b) {
              if (a.tokensPerSecondPerUser != b.tokensPerSecondPerUser)
                return a.tokensPerSecondPerUser > b.tokensPerSecondPerUser;
              return a.tokensPerSecondPerGpu > b.tokensPerSecondPerGpu;
            });
  std::vector<PlanPoint> frontier;
  double bestGpu = -1;
  for (const PlanPoint &p : sorted) {
    if (!p.feasible || p.tokensPerSecondPerGpu <= bestGpu)
      continue;
    bestGpu = p.tokensPerSecondPerGpu;
    frontier.push_back(p);
  }
  std::reverse(frontier.begin(), frontier.end());
  return frontier;
}

double throughputAt(const std::vector<PlanPoint> &frontier, double user) {
  double best = 0;
  for (const PlanPoint &p : frontier)
    if (p.tokensPerSecondPerUser >= user)
      best = std::max(best, p.tokensPerSecondPerGpu);
  return best;
}

double interactivityAt(const std::vector<PlanPoint> &frontier, double gpu) {
  double best = 0;
  for (const PlanPoint &p : frontier)
    if (p.tokensPerSecondPerGpu >= gpu)
      best = std::max(best, p.tokensPerSecondPerUser);
  return best;
}

double maxInteractivity(const std::vector<PlanPoint> &frontier) {
  double best = 0;
  for (const PlanPoint &p : frontier)
    best = std::max(best, p.tokensPerSecondPerUser);
  return best;
}

namespace {

/// Every breakpoint of both step functions and a hair above each: the ratio
/// of two non-increasing step functions peaks at one of these.
std::vector<double> breakpoints(const std::vector<PlanPoint> &a,
                                const std::vector<PlanPoint> &b,
                                double (*axis)(const PlanPoint &)) {
  std::vector<double> out;
  for (const std::vector<PlanPoint> *frontier : {&a, &b})
    for (const PlanPoint &p : *frontier) {
      out.push_back(axis(p));
      out.push_back(axis(p) * (1.0 + 1e-9));
    }
  return out;
}

double userAxis(const PlanPoint &p) { return p.tokensPerSecondPerUser; }
double gpuAxis(const PlanPoint &p) { return p.tokensPerSecondPerGpu; }

} // namespace

Headline headline(const std::vector<PlanPoint> &helix,
                  const std::vector<PlanPoint> &helixNoHopb,
                  const std::vector<PlanPoint> &baseline) {
  Headline h;
  double baseMax = maxInteractivity(baseline);
  if (baseMax > 0)
    h.interactivityGain = maxInteractivity(helix) / baseMax;
  for (double user : breakpoints(helix, baseline, userAxis)) {
    double ours = throughputAt(helix, user);
    double base = throughputAt(baseline, user);
    if (ours > 0 && base > 0)
      h.throughputGain = std::max(h.throughputGain, ours / base);
  }
  for (double gpu : breakpoints(helix, helixNoHopb, gpuAxis)) {
    double ours = interactivityAt(helix, gpu);
    double plain = interactivityAt(helixNoHopb, gpu);
    if (ours > 0 && plain > 0)
      h.hopbGain = std::max(h.hopbGain, ours / plain - 1.0);
  }
  return h;
}

} // namespace helix::planner
