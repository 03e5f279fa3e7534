//===- Decode.cpp - one rank's greedy decode loop -------------------------===//
#include "RunCore/Decode.h"

#include <algorithm>
#include <chrono>

namespace helix::run {

namespace {

double msSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - start)
      .count();
}

/// One step over `tokens.size()` rows (`sequences` empty: row r is
/// sequence r); its wall time in ms, or a negative value with `error`.
double timedStep(helix_rank *rank, std::vector<int64_t> &tokens,
                 std::vector<int64_t> &positions,
                 const std::vector<int64_t> &sequences,
                 std::vector<int64_t> &next, std::vector<float> &logits,
                 bool record, std::string &error) {
  char message[1024];
  int64_t rows = static_cast<int64_t>(tokens.size());
  auto start = std::chrono::steady_clock::now();
  if (helix_rank_step_rows(rank, tokens.data(), positions.data(),
                           sequences.empty() ? nullptr : sequences.data(), rows,
                           next.data(), record ? logits.data() : nullptr,
                           message, sizeof message) != HELIX_OK) {
    error = message;
    return -1;
  }
  return msSince(start);
}

/// Keeps sequence s's `index`-th new token and, when recorded, its logits.
void keep(DecodeResult &result, int64_t s, int64_t index, int64_t token,
          const float *logits, int64_t vocab, int64_t newTokens) {
  result.tokens[s].push_back(token);
  if (logits)
    std::copy_n(logits, vocab,
                result.logits.data() + (s * newTokens + index) * vocab);
}

/// C > 1: prompt chunks as rows of several sequences, then one row per
/// sequence per step.
bool decodeChunked(helix_rank *rank, const Prompts &prompts, int64_t newTokens,
                   int64_t chunk, bool record, DecodeResult &result,
                   std::string &error) {
  int64_t batch = static_cast<int64_t>(prompts.size());
  int64_t vocab = helix_rank_vocab_size(rank);
  std::vector<int64_t> fed(batch, 0);
  std::vector<int64_t> tokens, positions, sequences, next;
  std::vector<float> logits;
  for (bool more = true; more;) {
    tokens.clear();
    positions.clear();
    sequences.clear();
    for (int64_t s = 0; s < batch; ++s) {
      int64_t length = static_cast<int64_t>(prompts[s].size());
      for (int64_t i = 0; i < chunk && fed[s] < length; ++i, ++fed[s]) {
        tokens.push_back(prompts[s][fed[s]]);
        positions.push_back(fed[s]);
        sequences.push_back(s);
      }
    }
    int64_t rows = static_cast<int64_t>(tokens.size());
    next.resize(rows);
    logits.resize(record ? static_cast<size_t>(rows * vocab) : 0);
    double ms = timedStep(rank, tokens, positions, sequences, next, logits,
                          record, error);
    if (ms < 0)
      return false;
    result.prefillMs += ms;
    result.prefillTokens += rows;
    // A sequence's last prompt row predicts its first new token.
    more = false;
    for (int64_t r = 0; r < rows; ++r) {
      int64_t s = sequences[r];
      bool last = positions[r] + 1 == static_cast<int64_t>(prompts[s].size());
      if (last)
        keep(result, s, 0, next[r], record ? logits.data() + r * vocab : nullptr,
             vocab, newTokens);
    }
    for (int64_t s = 0; s < batch; ++s)
      more = more || fed[s] < static_cast<int64_t>(prompts[s].size());
  }
  tokens.resize(batch);
  positions.resize(batch);
  next.resize(batch);
  logits.resize(record ? static_cast<size_t>(batch * vocab) : 0);
  for (int64_t index = 1; index < newTokens; ++index) {
    for (int64_t s = 0; s < batch; ++s) {
      tokens[s] = result.tokens[s].back();
      positions[s] = static_cast<int64_t>(prompts[s].size()) + index - 1;
    }
    double ms = timedStep(rank, tokens, positions, {}, next, logits, record,
                          error);
    if (ms < 0)
      return false;
    result.stepMs.push_back(ms);
    for (int64_t s = 0; s < batch; ++s)
      keep(result, s, index, next[s],
           record ? logits.data() + s * vocab : nullptr, vocab, newTokens);
  }
  return true;
}

} // namespace

bool decode(helix_rank *rank, const Prompts &prompts, int64_t newTokens,
            int64_t prefillChunk, bool record, DecodeResult &result,
            std::string &error) {
  int64_t batch = static_cast<int64_t>(prompts.size());
  int64_t vocab = helix_rank_vocab_size(rank);
  int64_t steps = stepsNeeded(prompts, newTokens);
  result.tokens.assign(batch, {});
  result.weightBytes = helix_rank_weight_bytes(rank);
  for (helix_dtype dtype : {HELIX_DTYPE_F32, HELIX_DTYPE_BF16, HELIX_DTYPE_F16})
    result.weightBytesByDtype[dtype] = helix_rank_weight_bytes_of(rank, dtype);
  result.cacheBytes = helix_rank_cache_bytes(rank);
  if (record)
    result.logits.assign(static_cast<size_t>(batch * newTokens * vocab), 0.0f);
  if (prefillChunk > 1)
    return decodeChunked(rank, prompts, newTokens, prefillChunk, record,
                         result, error);
  // Steps before the shortest prompt's last token only ingest prompts.
  int64_t shortest = steps;
  for (const std::vector<int64_t> &prompt : prompts)
    shortest = std::min<int64_t>(shortest, prompt.size());
  std::vector<int64_t> tokens(batch), positions(batch), next(batch);
  // Logits come back only when recorded (a GPU rank copies them otherwise).
  std::vector<float> logits(record ? static_cast<size_t>(batch * vocab) : 0);
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
    double ms = timedStep(rank, tokens, positions, {}, next, logits, record,
                          error);
    if (ms < 0)
      return false;
    if (t < shortest - 1) {
      result.prefillMs += ms;
      result.prefillTokens += batch;
    } else {
      result.stepMs.push_back(ms);
    }
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
