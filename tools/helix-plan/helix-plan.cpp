//===- helix-plan.cpp - Pareto frontiers of decode layouts ----------------===//
//
// A thin main over lib/Planner (the model): parse flags, plan, then print and
// write the outputs (Report.h) and the plot (Plot.h), which live here so that
// the planner's users (helix-run, the auto-layout pass) never link them.
// Every failure is one `error: ...` line on stderr and exit status 1.
//
//===----------------------------------------------------------------------===//
#include "Plot.h"
#include "Report.h"

#include "helix/Model/ModelConfig.h"
#include "helix/Planner/Evaluate.h"
#include "helix_rt/layout.h"

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>

using namespace helix;
using namespace helix::planner;

namespace {

const char *kUsage =
    "usage: helix-plan --model config.json --hardware NAME|file.json\n"
    "                  --context TOKENS [--dtype fp4|fp8|bf16|fp32]\n"
    "                  [--max-gpus G]\n"
    "                  [--json out.json] [--csv out.csv] [--plot out.png]\n"
    "                  [--target-ms-per-token MS]\n"
    "       helix-plan --model config.json --hardware NAME|file.json\n"
    "                  --context TOKENS --layout kvp=K,tpa=T,tpf=F[,ep=E,\n"
    "                  microbatches=M] [--batch B] [--dtype ...]\n"
    "                  (one Helix layout's modelled step time)\n"
    "hardware presets: gb200-nvl72, h100-sxm-8, h200-sxm-8\n";

int fail(const std::string &message) {
  std::cerr << "error: " << message << "\n";
  return 1;
}

/// Positive integer with an optional K/M suffix (powers of 1024).
bool parseCount(const std::string &text, int64_t &out) {
  if (text.empty())
    return false;
  char *end = nullptr;
  long long value = std::strtoll(text.c_str(), &end, 10);
  std::string suffix(end);
  int64_t scale = 1;
  if (suffix == "k" || suffix == "K")
    scale = 1024;
  else if (suffix == "m" || suffix == "M")
    scale = 1024 * 1024;
  else if (!suffix.empty())
    return false;
  if (end == text.c_str() || value <= 0 || value > (1LL << 40))
    return false;
  out = value * scale;
  return true;
}

/// --layout: the modelled step of one Helix layout at one batch, printed
/// as "helix LAYOUT batch B: X ms/step, ..." (benchmarks/cpu/calibrate.sh
/// reads it).
int onePoint(const PlanRequest &request, const std::string &text,
             const std::string &batchText) {
  helix_rt::Layout parsed;
  std::string error;
  if (!helix_rt::parseLayout(text, parsed, error))
    return fail("--layout: " + error);
  int64_t batch = 0;
  if (!parseCount(batchText, batch))
    return fail("--batch must be a positive count, got '" + batchText + "'");
  Layout layout = Layout::fromHelix(parsed);
  if (std::string why = layoutProblem(request.model, layout); !why.empty())
    return fail("--layout " + text + ": " + why);
  CostContext ctx{request.model, request.hardware, request.dtype,
                  request.context};
  PlanPoint p = evaluate(ctx, layout, batch);
  if (!p.feasible)
    return fail("--layout " + text + " does not fit batch " + batchText +
                " in " + request.hardware.name + " memory");
  std::printf("helix %s batch %lld: %.3f ms/step, %.2f GB/rank\n",
              layout.str().c_str(), (long long)batch,
              p.secondsPerToken * 1e3, p.memory.total() / 1e9);
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  std::map<std::string, std::string> flags;
  const char *known[] = {"--model",    "--hardware", "--context",
                         "--dtype",    "--max-gpus", "--json",
                         "--csv",      "--plot",     "--target-ms-per-token",
                         "--layout",   "--batch"};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    }
    std::string value;
    if (size_t eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return fail("option '" + arg + "' needs a value");
    }
    bool isKnown = false;
    for (const char *k : known)
      isKnown |= arg == k;
    if (!isKnown)
      return fail("unknown option '" + arg + "' (see --help)");
    flags[arg] = value;
  }
  for (const char *required : {"--model", "--hardware", "--context"})
    if (!flags.count(required))
      return fail(std::string("missing ") + required + " (see --help)");

  std::string error;
  std::optional<ModelConfig> config = loadModelConfig(flags["--model"], error);
  if (!config)
    return fail(error);
  std::optional<Hardware> hw = loadHardware(flags["--hardware"], error);
  if (!hw)
    return fail(error);
  PlanRequest request{shapeOf(*config), *hw, Dtype::BF16, 0, 0};
  if (!parseCount(flags["--context"], request.context))
    return fail("--context must be a positive token count, got '" +
                flags["--context"] + "'");
  if (flags.count("--dtype")) {
    std::optional<Dtype> dtype = parseDtype(flags["--dtype"]);
    if (!dtype)
      return fail("--dtype must be fp4, fp8, bf16 or fp32, got '" +
                  flags["--dtype"] + "'");
    request.dtype = *dtype;
  }
  request.maxGpus = std::min<int64_t>(hw->domainSize, 64);
  if (flags.count("--max-gpus") &&
      (!parseCount(flags["--max-gpus"], request.maxGpus) ||
       request.maxGpus > 4096))
    return fail("--max-gpus must be an integer in 1..4096, got '" +
                flags["--max-gpus"] + "'");
  double targetMs = 0;
  if (flags.count("--target-ms-per-token")) {
    char *end = nullptr;
    targetMs = std::strtod(flags["--target-ms-per-token"].c_str(), &end);
    if (*end != '\0' || !(targetMs > 0))
      return fail("--target-ms-per-token must be a positive number, got '" +
                  flags["--target-ms-per-token"] + "'");
  }

  if (flags.count("--layout"))
    return onePoint(request, flags["--layout"],
                    flags.count("--batch") ? flags["--batch"] : "1");
  if (flags.count("--batch"))
    return fail("--batch needs --layout (the frontiers sweep the batch)");

  PlanResult result = plan(request);
  PlanInfo info{config->architectureName + " (" + flags["--model"] + ")",
                hw->name, dtypeName(request.dtype), request.context,
                request.maxGpus};

  // Build every output first, then write: a failure leaves no partial file.
  if (flags.count("--json") &&
      !writeFileAtomically(flags["--json"],
                           jsonReport(info, result).dump(2) + "\n", error))
    return fail(error);
  if (flags.count("--csv") &&
      !writeFileAtomically(flags["--csv"], csvReport(result), error))
    return fail(error);
  if (flags.count("--plot")) {
    std::string title = config->architectureName + ", " + hw->name + ", " +
                        dtypeName(request.dtype) + ", S=" +
                        std::to_string(request.context);
    if (!plotFrontiers(result, title, flags["--plot"], error))
      return fail(error);
  }

  std::cout << textReport(info, result);
  if (targetMs > 0) {
    std::optional<PlanPoint> best = bestWithin(result, "baseline", targetMs);
    std::optional<PlanPoint> helix = bestWithin(result, "helix", targetMs);
    if (helix && (!best || helix->tokensPerSecondPerGpu >=
                               best->tokensPerSecondPerGpu))
      best = helix;
    if (!best) {
      std::cout << "\ntarget " << targetMs
                << " ms/token: no configuration is fast enough\n";
    } else {
      char line[256];
      std::snprintf(line, sizeof line,
                    "\ntarget %g ms/token: best %s %s on %lld GPUs, batch "
                    "%lld: %.3f ms/token, %.1f tok/s/user, %.2f tok/s/gpu\n",
                    targetMs, strategyKey(best->layout.strategy),
                    best->layout.str().c_str(),
                    (long long)best->layout.gpus(), (long long)best->batch,
                    best->secondsPerToken * 1e3, best->tokensPerSecondPerUser,
                    best->tokensPerSecondPerGpu);
      std::cout << line;
    }
  }
  return 0;
}
