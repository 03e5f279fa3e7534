//===- Decode.cpp - one rank's greedy decode loop -------------------------===//
#include "RunCore/Decode.h"

#include <algorithm>
#include <chrono>

namespace helix::run {

bool decode(helix_rank *rank, const Prompts &prompts, int64_t newTokens,
            bool record, DecodeResult &result, std::string &error) {
  int64_t batch = static_cast<int64_t>(prompts.size());
  int64_t vocab = helix_rank_vocab_size(rank);
  int64_t steps = stepsNeeded(prompts, newTokens);
  result.tokens.assign(batch, {});
  result.weightBytes = helix_rank_weight_bytes(rank);
  result.cacheBytes = helix_rank_cache_bytes(rank);
  if (record)
    result.logits.assign(static_cast<size_t>(batch * newTokens * vocab), 0.0f);
  std::vector<int64_t> tokens(batch), positions(batch), next(batch);
  // Logits come back only when recorded (a GPU rank copies them otherwise).
  std::vector<float> logits(record ? static_cast<size_t>(batch * vocab) : 0);
  char message[1024];
  for (int64_t t = 0; t < steps; ++t) {
    for (int64_t s = 0; s < batch; ++s) {
      const std::vector<int64_t> &prompt = prompts[s];
      int64_t length = static_cast<int64_t>(prompt.size());
      const std::vector<int64_t> &generated = result.tokens[s];
      // Past its last new token a sequence keeps stepping (the batch stays
      // whole); what it produces then is not recorded.
      tokens[s] = t < length ? prompt[t]
                  : t - length < static_cast<int64_t>(generated.size())
                      ? generated[t - length]
                      : generated.back();
      positions[s] = t;
    }
    auto start = std::chrono::steady_clock::now();
    if (helix_rank_step(rank, tokens.data(), positions.data(), batch,
                        next.data(), record ? logits.data() : nullptr, message,
                        sizeof message) != HELIX_OK) {
      error = message;
      return false;
    }
    result.stepMs.push_back(std::chrono::duration<double, std::milli>(
                                std::chrono::steady_clock::now() - start)
                                .count());
    for (int64_t s = 0; s < batch; ++s) {
      int64_t index = t - (static_cast<int64_t>(prompts[s].size()) - 1);
      if (index < 0 || index >= newTokens)
        continue;
      result.tokens[s].push_back(next[s]);
      if (record)
        std::copy_n(logits.data() + s * vocab, vocab,
                    result.logits.data() + (s * newTokens + index) * vocab);
    }
  }
  return true;
}

double medianMs(std::vector<double> times) {
  if (times.empty())
    return 0;
  std::sort(times.begin(), times.end());
  size_t mid = times.size() / 2;
  return times.size() % 2 ? times[mid] : 0.5 * (times[mid - 1] + times[mid]);
}

} // namespace helix::run
