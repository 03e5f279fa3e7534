//===- Outputs.cpp - out.json and logits.npy, written atomically ----------===//
#include "RunCore/Outputs.h"

#include "RunCore/Launch.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>

namespace helix::run {
namespace {

/// NumPy .npy v1.0: magic, version, little-endian header length, a Python
/// dict literal padded with spaces to a 64-byte boundary, then the data.
bool writeNpy(const std::string &path, const std::vector<float> &data,
              const std::vector<int64_t> &shape) {
  std::string dims;
  for (int64_t d : shape)
    dims += std::to_string(d) + ", ";
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" +
                       dims + "), }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  std::ofstream out(path, std::ios::binary);
  out.write("\x93NUMPY\x01\x00", 8);
  uint16_t length = static_cast<uint16_t>(header.size());
  char le[2] = {static_cast<char>(length & 0xff), static_cast<char>(length >> 8)};
  out.write(le, 2);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(reinterpret_cast<const char *>(data.data()),
            static_cast<std::streamsize>(data.size() * sizeof(float)));
  return static_cast<bool>(out);
}

bool writeJson(const std::string &path, const nlohmann::json &doc) {
  std::ofstream out(path);
  out << doc.dump(1) << "\n";
  return static_cast<bool>(out);
}

} // namespace

bool writeOutputs(const std::string &output, const std::string &logitsPath,
                  const DecodeResult &result, int64_t newTokens, int64_t vocab,
                  const RunSummary &summary, std::string &error) {
  std::vector<std::pair<std::string, std::string>> moves;
  if (!output.empty()) {
    nlohmann::json doc;
    doc["tokens"] = result.tokens;
    if (summary.prompts)
      doc["prompt_tokens"] = *summary.prompts;
    if (summary.texts)
      doc["text"] = *summary.texts;
    doc["stop_reason"] = result.stopReasons;
    doc["layout"] = {{"layout", summary.layout},
                     {"world_size", summary.worldSize},
                     {"microbatches", summary.microbatches},
                     {"kv_block", summary.kvBlock},
                     {"launcher", summary.launcher}};
    doc["timing"] = {{"median_ms_per_step", summary.medianMsPerStep},
                     {"tokens_per_s", summary.tokensPerSecond},
                     {"steps", summary.steps},
                     {"prefill_chunk", summary.prefillChunk},
                     {"prefill_tokens", result.prefillTokens},
                     {"prefill_ms", result.prefillMs},
                     {"prefill_tokens_per_s", summary.prefillTokensPerSecond},
                     {"recorded_steps", result.recordedSteps},
                     {"replayed_steps", result.replayedSteps},
                     {"collectives_per_step",
                      result.stepMs.empty()
                          ? 0.0
                          : double(result.stepCollectives) /
                                double(result.stepMs.size())}};
    // Rank 0's share: weight memory falls with N for every sharded tensor.
    // By dtype: what a step streams (the CPU device keeps bf16/f16 matrices
    // as the checkpoint holds them).
    const int64_t *byDtype = result.weightBytesByDtype;
    doc["memory"] = {{"weight_bytes_rank0", result.weightBytes},
                     {"weight_bytes_rank0_by_dtype",
                      {{"f32", byDtype[HELIX_DTYPE_F32]},
                       {"bf16", byDtype[HELIX_DTYPE_BF16]},
                       {"f16", byDtype[HELIX_DTYPE_F16]}}},
                     {"kv_cache_bytes_rank0", result.cacheBytes},
                     {"kv_cache_dtype", kvDtypeName(result.cacheDtype)}};
    std::string tmp = output + ".tmp";
    if (!writeJson(tmp, doc)) {
      error = "cannot write " + output;
      std::remove(tmp.c_str());
      return false;
    }
    moves.push_back({tmp, output});
  }
  if (!logitsPath.empty()) {
    std::string tmp = logitsPath + ".tmp";
    int64_t batch = static_cast<int64_t>(result.tokens.size());
    if (!writeNpy(tmp, result.logits, {batch, newTokens, vocab})) {
      error = "cannot write " + logitsPath;
      std::remove(tmp.c_str());
      for (auto &m : moves)
        std::remove(m.first.c_str());
      return false;
    }
    moves.push_back({tmp, logitsPath});
  }
  for (size_t i = 0; i < moves.size(); ++i)
    if (std::rename(moves[i].first.c_str(), moves[i].second.c_str()) != 0) {
      error = "cannot move " + moves[i].first + " to " + moves[i].second;
      // All or nothing: undo what was already moved, drop the rest.
      for (size_t j = 0; j < i; ++j)
        std::remove(moves[j].second.c_str());
      for (size_t j = i; j < moves.size(); ++j)
        std::remove(moves[j].first.c_str());
      return false;
    }
  return true;
}

bool finishRun(const char *tool, const std::string &how, RunSummary summary,
               const DecodeResult &result, const std::string &output,
               const std::string &logitsPath, int64_t newTokens, int64_t vocab,
               std::string &error) {
  summary.medianMsPerStep = medianMs(result.stepMs);
  summary.prefillTokensPerSecond =
      result.prefillMs > 0 ? result.prefillTokens * 1000.0 / result.prefillMs
                           : 0;
  summary.steps = static_cast<int64_t>(result.stepMs.size());
  summary.tokensPerSecond =
      summary.medianMsPerStep > 0
          ? double(result.tokens.size()) * 1000.0 / summary.medianMsPerStep
          : 0;
  if (!writeOutputs(output, logitsPath, result, newTokens, vocab, summary,
                    error))
    return false;
  std::printf("%s: %s on %lld rank(s) (%s): %lld steps, median %.3f ms/step, "
              "%.1f tokens/s\n",
              tool, summary.layout.c_str(),
              static_cast<long long>(summary.worldSize), how.c_str(),
              static_cast<long long>(summary.steps), summary.medianMsPerStep,
              summary.tokensPerSecond);
  if (result.prefillTokens > 0)
    std::printf("%s: prefill %lld prompt tokens in %.1f ms (%.1f tokens/s, "
                "chunk %lld)\n",
                tool, static_cast<long long>(result.prefillTokens),
                result.prefillMs, summary.prefillTokensPerSecond,
                static_cast<long long>(summary.prefillChunk));
  for (size_t s = 0; s < result.tokens.size(); ++s) {
    std::printf("sequence %zu:", s);
    for (int64_t id : result.tokens[s])
      std::printf(" %lld", static_cast<long long>(id));
    std::printf("\n");
  }
  return true;
}

} // namespace helix::run
