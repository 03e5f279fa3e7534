//===- Decode.cpp - one rank's decode loop --------------------------------===//
#include "RunCore/Decode.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>

namespace helix::run {

namespace {

double msSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - start)
      .count();
}

/// One step over `tokens.size()` rows (`sequences` empty: row r is
/// sequence r; `outputs` empty: every row's next token and logits); its
/// wall time in ms, or a negative value with `error`.
double timedStep(helix_rank *rank, std::vector<int64_t> &tokens,
                 std::vector<int64_t> &positions,
                 const std::vector<int64_t> &sequences,
                 const std::vector<uint8_t> &outputs,
                 std::vector<int64_t> &next, std::vector<float> &logits,
                 bool withLogits, std::string &error) {
  char message[1024];
  int64_t rows = static_cast<int64_t>(tokens.size());
  logits.resize(withLogits ? static_cast<size_t>(rows * helix_rank_vocab_size(rank))
                           : 0);
  auto start = std::chrono::steady_clock::now();
  if (helix_rank_step_rows(rank, tokens.data(), positions.data(),
                           sequences.empty() ? nullptr : sequences.data(),
                           outputs.empty() ? nullptr : outputs.data(), rows,
                           next.data(), withLogits ? logits.data() : nullptr,
                           message, sizeof message) != HELIX_OK) {
    error = message;
    return -1;
  }
  double ms = msSince(start);
  // The argmax marks a row whose logits hold a NaN with -1: a non-finite
  // weight or activation, which must not pass as a token.
  for (int64_t r = 0; r < rows; ++r)
    if (next[r] < 0) {
      error = "the logits of sequence " +
              std::to_string(sequences.empty() ? r : sequences[r]) +
              " at position " + std::to_string(positions[r]) +
              " are NaN (a weight or an activation is not finite)";
      return -1;
    }
  return ms;
}

/// The test hook of decode() (Decode.h, DecodeControl::worldRank): the
/// signal rank HELIX_TEST_RANK raises before its HELIX_TEST_STEP-th step.
struct TestSignal {
  int signal = 0;
  int32_t rank = 0;
  int64_t step = 0;
};

TestSignal testSignal() {
  TestSignal t;
  const char *name = std::getenv("HELIX_TEST_RANK_SIGNAL");
  if (!name)
    return t;
  t.signal = std::strcmp(name, "STOP") == 0   ? SIGSTOP
             : std::strcmp(name, "KILL") == 0 ? SIGKILL
                                              : 0;
  const char *rank = std::getenv("HELIX_TEST_RANK");
  const char *step = std::getenv("HELIX_TEST_STEP");
  t.rank = rank ? std::atoi(rank) : 0;
  t.step = step ? std::atoll(step) : 0;
  return t;
}

/// The bookkeeping of the new tokens: which sequences still run, what each
/// produced, and why it ended.
class Tokens {
public:
  Tokens(const DecodeControl &control, int64_t batch, int64_t newTokens,
         int64_t vocab, bool record, DecodeResult &result)
      : control(control), newTokens(newTokens), vocab(vocab), record(record),
        result(result), running(batch, true) {}

  /// Called before every step: counts them and raises the test signal.
  void beforeStep() {
    static const TestSignal test = testSignal();
    if (test.signal && test.rank == control.worldRank && steps == test.step)
      std::raise(test.signal);
    ++steps;
  }

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
  int64_t steps = 0;
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
  std::vector<uint8_t> outputs; // a sequence's last prompt row only
  std::vector<float> logits;
  for (bool more = true; more;) {
    tokens.clear();
    positions.clear();
    sequences.clear();
    outputs.clear();
    for (int64_t s = 0; s < batch; ++s) {
      int64_t length = static_cast<int64_t>(prompts[s].size());
      for (int64_t i = 0; i < chunk && fed[s] < length; ++i, ++fed[s]) {
        tokens.push_back(prompts[s][fed[s]]);
        positions.push_back(fed[s]);
        sequences.push_back(s);
        outputs.push_back(fed[s] + 1 == length);
      }
    }
    int64_t rows = static_cast<int64_t>(tokens.size());
    next.resize(rows);
    chosen.beforeStep();
    double ms = timedStep(rank, tokens, positions, sequences, outputs, next,
                          logits, withLogits, error);
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
    chosen.beforeStep();
    const int64_t collectives = helix_comm_thread_collectives();
    double ms = timedStep(rank, tokens, positions, {}, {}, next, logits, withLogits,
                          error);
    if (ms < 0)
      return false;
    result.stepMs.push_back(ms);
    result.stepCollectives += helix_comm_thread_collectives() - collectives;
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
    chosen.beforeStep();
    const int64_t collectives = helix_comm_thread_collectives();
    double ms = timedStep(rank, tokens, positions, {}, {}, next, logits, withLogits,
                          error);
    if (ms < 0)
      return false;
    if (t < shortest - 1) {
      result.prefillMs += ms;
      result.prefillTokens += batch;
    } else {
      result.stepMs.push_back(ms);
      result.stepCollectives += helix_comm_thread_collectives() - collectives;
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
  for (helix_dtype dtype : {HELIX_DTYPE_F32, HELIX_DTYPE_BF16, HELIX_DTYPE_F16})
    result.weightBytesByDtype[dtype] = helix_rank_weight_bytes_of(rank, dtype);
  result.cacheBytes = helix_rank_cache_bytes(rank);
  result.cacheDtype = helix_rank_cache_dtype(rank);
  if (record)
    result.logits.assign(static_cast<size_t>(batch * newTokens * vocab), 0.0f);
  Tokens chosen(control, batch, newTokens, vocab, record, result);
  bool ran =
      prefillChunk > 1
          ? decodeChunked(rank, prompts, prefillChunk, chosen, result, error)
          : decodeTokenwise(rank, prompts, stepsNeeded(prompts, newTokens),
                            chosen, result, error);
  helix_rank_recorded_steps(rank, &result.recordedSteps,
                            &result.replayedSteps);
  return ran;
}

double medianMs(std::vector<double> times) {
  if (times.empty())
    return 0;
  std::sort(times.begin(), times.end());
  size_t mid = times.size() / 2;
  return times.size() % 2 ? times[mid] : 0.5 * (times[mid - 1] + times[mid]);
}

} // namespace helix::run
