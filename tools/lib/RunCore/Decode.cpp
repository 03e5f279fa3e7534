//===- Decode.cpp - one rank's decode loop --------------------------------===//
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
                 bool withLogits, std::string &error) {
  char message[1024];
  int64_t rows = static_cast<int64_t>(tokens.size());
  logits.resize(withLogits ? static_cast<size_t>(rows * helix_rank_vocab_size(rank))
                           : 0);
  auto start = std::chrono::steady_clock::now();
  if (helix_rank_step_rows(rank, tokens.data(), positions.data(),
                           sequences.empty() ? nullptr : sequences.data(), rows,
                           next.data(), withLogits ? logits.data() : nullptr,
                           message, sizeof message) != HELIX_OK) {
    error = message;
    return -1;
  }
  return msSince(start);
}

/// The bookkeeping of the new tokens: which sequences still run, what each
/// produced, and why it ended.
class Tokens {
public:
  Tokens(const DecodeControl &control, int64_t batch, int64_t newTokens,
         int64_t vocab, bool record, DecodeResult &result)
      : control(control), newTokens(newTokens), vocab(vocab), record(record),
        result(result), running(batch, true) {}

  /// Logits are needed on every rank when sampling, and when recorded.
  bool wantLogits() const { return record || !control.sampling.greedy(); }
  bool runs(int64_t s) const { return running[s]; }
  bool anyRuns() const {
    return std::find(running.begin(), running.end(), true) != running.end();
  }

  /// Sequence s's next token from a step's row: its argmax `greedy` or a
  /// draw from `logits`; kept, recorded, reported; ends the sequence at a
  /// stop id or its last token.
  void take(int64_t s, int64_t greedy, const float *logits) {
    int64_t index = static_cast<int64_t>(result.tokens[s].size());
    int64_t token = control.sampling.greedy()
                        ? greedy
                        : sampleToken(logits, vocab, control.sampling, s, index);
    result.tokens[s].push_back(token);
    if (record)
      std::copy_n(logits, vocab,
                  result.logits.data() + (s * newTokens + index) * vocab);
    bool stop = std::find(control.stopIds.begin(), control.stopIds.end(),
                          token) != control.stopIds.end();
    if (stop || index + 1 == newTokens) {
      running[s] = false;
      result.stopReasons[s] = stop ? "eos" : "length";
    }
    if (control.onToken)
      control.onToken(s, token, !running[s]);
  }

private:
  const DecodeControl &control;
  int64_t newTokens, vocab;
  bool record;
  DecodeResult &result;
  std::vector<bool> running;
};

/// C > 1: prompt chunks as rows of several sequences, then one row per
/// sequence per step.
bool decodeChunked(helix_rank *rank, const Prompts &prompts, int64_t chunk,
                   Tokens &chosen, DecodeResult &result, std::string &error) {
  int64_t batch = static_cast<int64_t>(prompts.size());
  int64_t vocab = helix_rank_vocab_size(rank);
  bool withLogits = chosen.wantLogits();
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
    double ms = timedStep(rank, tokens, positions, sequences, next, logits,
                          withLogits, error);
    if (ms < 0)
      return false;
    result.prefillMs += ms;
    result.prefillTokens += rows;
    // A sequence's last prompt row predicts its first new token.
    more = false;
    for (int64_t r = 0; r < rows; ++r) {
      int64_t s = sequences[r];
      if (positions[r] + 1 == static_cast<int64_t>(prompts[s].size()))
        chosen.take(s, next[r], withLogits ? logits.data() + r * vocab : nullptr);
    }
    for (int64_t s = 0; s < batch; ++s)
      more = more || fed[s] < static_cast<int64_t>(prompts[s].size());
  }
  tokens.resize(batch);
  positions.resize(batch);
  next.resize(batch);
  // Sequences that ended keep stepping on their last token (the batch
  // stays whole); what they produce is dropped.
  for (int64_t index = 1; chosen.anyRuns(); ++index) {
    for (int64_t s = 0; s < batch; ++s) {
      tokens[s] = result.tokens[s].back();
      positions[s] = static_cast<int64_t>(prompts[s].size()) + index - 1;
    }
    double ms = timedStep(rank, tokens, positions, {}, next, logits, withLogits,
                          error);
    if (ms < 0)
      return false;
    result.stepMs.push_back(ms);
    for (int64_t s = 0; s < batch; ++s)
      if (chosen.runs(s))
        chosen.take(s, next[s], withLogits ? logits.data() + s * vocab : nullptr);
  }
  return true;
}

/// C = 1: all sequences step together at position t, token by token.
bool decodeTokenwise(helix_rank *rank, const Prompts &prompts, int64_t steps,
                     Tokens &chosen, DecodeResult &result, std::string &error) {
  int64_t batch = static_cast<int64_t>(prompts.size());
  int64_t vocab = helix_rank_vocab_size(rank);
  bool withLogits = chosen.wantLogits();
  // Steps before the shortest prompt's last token only ingest prompts.
  int64_t shortest = steps;
  for (const std::vector<int64_t> &prompt : prompts)
    shortest = std::min<int64_t>(shortest, prompt.size());
  std::vector<int64_t> tokens(batch), positions(batch), next(batch);
  std::vector<float> logits;
  for (int64_t t = 0; t < steps && chosen.anyRuns(); ++t) {
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
    double ms = timedStep(rank, tokens, positions, {}, next, logits, withLogits,
                          error);
    if (ms < 0)
      return false;
    if (t < shortest - 1) {
      result.prefillMs += ms;
      result.prefillTokens += batch;
    } else {
      result.stepMs.push_back(ms);
    }
    for (int64_t s = 0; s < batch; ++s)
      if (t + 1 >= static_cast<int64_t>(prompts[s].size()) && chosen.runs(s))
        chosen.take(s, next[s], withLogits ? logits.data() + s * vocab : nullptr);
  }
  return true;
}

} // namespace

bool decode(helix_rank *rank, const Prompts &prompts, int64_t newTokens,
            int64_t prefillChunk, bool record, const DecodeControl &control,
            DecodeResult &result, std::string &error) {
  int64_t batch = static_cast<int64_t>(prompts.size());
  int64_t vocab = helix_rank_vocab_size(rank);
  result.tokens.assign(batch, {});
  result.stopReasons.assign(batch, "length");
  result.weightBytes = helix_rank_weight_bytes(rank);
  result.cacheBytes = helix_rank_cache_bytes(rank);
  if (record)
    result.logits.assign(static_cast<size_t>(batch * newTokens * vocab), 0.0f);
  Tokens chosen(control, batch, newTokens, vocab, record, result);
  if (prefillChunk > 1)
    return decodeChunked(rank, prompts, prefillChunk, chosen, result, error);
  return decodeTokenwise(rank, prompts, stepsNeeded(prompts, newTokens), chosen,
                         result, error);
}

double medianMs(std::vector<double> times) {
  if (times.empty())
    return 0;
  std::sort(times.begin(), times.end());
  size_t mid = times.size() / 2;
  return times.size() % 2 ? times[mid] : 0.5 * (times[mid - 1] + times[mid]);
}

} // namespace helix::run
