//===- Plot.cpp - PNG of the frontiers through gnuplot --------------------===//
#include "Plot.h"

#include "Report.h"

#include <cstdio>
#include <cstdlib>
#include <sstream>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

namespace helix::planner {

namespace {

struct Curve {
  const char *key;
  const char *label;
  const char *style;
};

const Curve kCurves[] = {
    {"helix", "Helix (HOP-B)", "lw 3 lc rgb '#d62728' pt 7"},
    {"helix_no_hopb", "Helix without HOP-B", "lw 2 dt 2 lc rgb '#ff7f0e' pt 6"},
    {"tp", "TP", "lw 2 lc rgb '#1f77b4' pt 5"},
    {"pp", "PP", "lw 2 lc rgb '#2ca02c' pt 9"},
    {"dp_attn_ep", "DP attention + EP", "lw 2 lc rgb '#9467bd' pt 11"},
    {"medha_kvp", "Medha KVP", "lw 2 lc rgb '#8c564b' pt 13"},
};

std::string quoted(const std::string &text) {
  std::string out = "\"";
  for (char c : text)
    if (c != '"' && c != '\\')
      out += c;
  return out + "\"";
}

bool executableOnPath(const std::string &name) {
  if (name.find('/') != std::string::npos)
    return ::access(name.c_str(), X_OK) == 0;
  const char *path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':'))
    if (!dir.empty() && ::access((dir + "/" + name).c_str(), X_OK) == 0)
      return true;
  return false;
}

} // namespace

std::string gnuplotScript(const PlanResult &result, const std::string &title,
                          const std::string &pngPath) {
  std::ostringstream os;
  os << "set terminal pngcairo size 960,640 font 'Sans,11'\n"
     << "set output " << quoted(pngPath) << "\n"
     << "set title " << quoted(title) << "\n"
     << "set xlabel 'tokens/s/user (interactivity)'\n"
     << "set ylabel 'tokens/s/GPU (throughput)'\n"
     << "set logscale xy\nset grid\nset key outside right top\n";
  std::ostringstream plots;
  for (const Curve &curve : kCurves) {
    const std::vector<PlanPoint> &points = result.frontier(curve.key);
    if (points.empty())
      continue;
    os << "$" << curve.key << " << EOD\n";
    for (const PlanPoint &p : points)
      os << p.tokensPerSecondPerUser << ' ' << p.tokensPerSecondPerGpu << '\n';
    os << "EOD\n";
    plots << (plots.tellp() > 0 ? ", \\\n  " : "plot ") << "$" << curve.key
          << " using 1:2 with linespoints " << curve.style << " title "
          << quoted(curve.label);
  }
  if (plots.tellp() == 0)
    plots << "set label 'no feasible configuration' at graph 0.3,0.5\n"
          << "plot [1:10] [1:10] NaN notitle";
  os << plots.str() << "\n";
  return os.str();
}

bool plotFrontiers(const PlanResult &result, const std::string &title,
                   const std::string &pngPath, std::string &error) {
  const char *override = std::getenv("HELIX_GNUPLOT");
  std::string gnuplot = override && *override ? override : "gnuplot";
  if (!executableOnPath(gnuplot)) {
    error = "--plot needs gnuplot ('" + gnuplot +
            "' not found; install the Debian package gnuplot-nox)";
    return false;
  }
  std::string tempPng = pngPath + ".tmp." + std::to_string(::getpid()) +
                        ".png";
  std::string script = pngPath + ".tmp." + std::to_string(::getpid()) + ".gp";
  if (!writeFileAtomically(script, gnuplotScript(result, title, tempPng),
                           error))
    return false;
  char *argv[] = {const_cast<char *>(gnuplot.c_str()),
                  const_cast<char *>(script.c_str()), nullptr};
  pid_t pid;
  int status = 0;
  bool ok = ::posix_spawnp(&pid, gnuplot.c_str(), nullptr, nullptr, argv,
                           environ) == 0 &&
            ::waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
            WEXITSTATUS(status) == 0;
  std::remove(script.c_str());
  if (!ok || std::rename(tempPng.c_str(), pngPath.c_str()) != 0) {
    std::remove(tempPng.c_str());
    error = "gnuplot failed to write '" + pngPath + "'";
    return false;
  }
  return true;
}

} // namespace helix::planner
