//===- Report.cpp - Text, JSON and CSV renderings of a plan ---------------===//
#include "Report.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include <unistd.h>

namespace helix::planner {

namespace {

std::string fixed(double value, int digits) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, value);
  return buffer;
}

nlohmann::json layoutJson(const Layout &l) {
  return {{"strategy", strategyKey(l.strategy)},
          {"kvp", l.kvp},
          {"tpa", l.tpa},
          {"dp", l.dp},
          {"tpf", l.tpf},
          {"ep", l.ep},
          {"pp", l.pp},
          {"microbatches", l.microbatches},
          {"latent_merge", l.latentMerge}};
}

} // namespace

nlohmann::json pointJson(const PlanPoint &p) {
  return {{"tokens_per_s_per_user", p.tokensPerSecondPerUser},
          {"tokens_per_s_per_gpu", p.tokensPerSecondPerGpu},
          {"gpus", p.layout.gpus()},
          {"batch", p.batch},
          {"ms_per_token", p.secondsPerToken * 1e3},
          {"memory_gb_per_gpu", p.memory.total() / 1e9},
          {"layout", layoutJson(p.layout)}};
}

std::string textReport(const PlanInfo &info, const PlanResult &result) {
  std::ostringstream os;
  os << "helix-plan: " << info.model << " on " << info.hardware << ", "
     << info.dtype << ", context " << info.context << " tokens, up to "
     << info.maxGpus << " GPUs (" << result.configurations
     << " feasible configurations)\n";
  for (const auto &[name, points] : result.frontiers) {
    os << "\nfrontier " << name << " (" << points.size() << " points)\n";
    if (points.empty()) {
      os << "  (no feasible configuration)\n";
      continue;
    }
    os << "  tok/s/user  tok/s/gpu  ms/token  gpus  batch  layout\n";
    for (const PlanPoint &p : points) {
      char line[256];
      std::snprintf(line, sizeof line, "  %10.1f %10.2f %9.3f %5lld %6lld  %s %s\n",
                    p.tokensPerSecondPerUser, p.tokensPerSecondPerGpu,
                    p.secondsPerToken * 1e3, (long long)p.layout.gpus(),
                    (long long)p.batch, strategyKey(p.layout.strategy),
                    p.layout.str().c_str());
      os << line;
    }
  }
  const Headline &h = result.headline;
  os << "\nheadline: interactivity_gain " << fixed(h.interactivityGain, 3)
     << ", throughput_gain " << fixed(h.throughputGain, 2) << ", hopb_gain "
     << fixed(h.hopbGain, 3) << "\n";
  return os.str();
}

nlohmann::json jsonReport(const PlanInfo &info, const PlanResult &result) {
  nlohmann::json frontiers = nlohmann::json::object();
  for (const auto &[name, points] : result.frontiers) {
    nlohmann::json list = nlohmann::json::array();
    for (const PlanPoint &p : points)
      list.push_back(pointJson(p));
    frontiers[name] = list;
  }
  return {{"input",
           {{"model", info.model},
            {"hardware", info.hardware},
            {"dtype", info.dtype},
            {"context", info.context},
            {"max_gpus", info.maxGpus}}},
          {"configurations", result.configurations},
          {"frontiers", frontiers},
          {"headline",
           {{"interactivity_gain", result.headline.interactivityGain},
            {"throughput_gain", result.headline.throughputGain},
            {"hopb_gain", result.headline.hopbGain}}}};
}

std::string csvReport(const PlanResult &result) {
  std::ostringstream os;
  os << "frontier,strategy,tokens_per_s_per_user,tokens_per_s_per_gpu,"
        "ms_per_token,gpus,batch,kvp,tpa,dp,tpf,ep,pp,microbatches,"
        "memory_gb_per_gpu\n";
  for (const auto &[name, points] : result.frontiers)
    for (const PlanPoint &p : points) {
      const Layout &l = p.layout;
      os << name << ',' << strategyKey(l.strategy) << ','
         << fixed(p.tokensPerSecondPerUser, 4) << ','
         << fixed(p.tokensPerSecondPerGpu, 4) << ','
         << fixed(p.secondsPerToken * 1e3, 5) << ',' << l.gpus() << ','
         << p.batch << ',' << l.kvp << ',' << l.tpa << ',' << l.dp << ','
         << l.tpf << ',' << l.ep << ',' << l.pp << ',' << l.microbatches
         << ',' << fixed(p.memory.total() / 1e9, 3) << '\n';
    }
  return os.str();
}

bool writeFileAtomically(const std::string &path, const std::string &content,
                         std::string &error) {
  std::string temp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(temp, std::ios::binary);
    if (!out) {
      error = "cannot write '" + path + "': " + std::strerror(errno);
      return false;
    }
    out << content;
    out.flush();
    if (!out) {
      error = "cannot write '" + path + "'";
      std::remove(temp.c_str());
      return false;
    }
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    error = "cannot write '" + path + "': " + std::strerror(errno);
    std::remove(temp.c_str());
    return false;
  }
  return true;
}

} // namespace helix::planner
