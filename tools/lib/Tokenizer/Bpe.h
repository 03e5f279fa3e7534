//===- Bpe.h - the BPE model: symbols merged by rank ------------*- C++ -*-===//
#ifndef HELIX_TOOLS_TOKENIZER_BPE_H
#define HELIX_TOOLS_TOKENIZER_BPE_H

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace helix::tok {

/// tokenizer.json's {"type": "BPE"} model: a word starts as its characters
/// (unknown ones as <0xNN> byte tokens with byte_fallback, else the unk
/// token, else dropped) and the adjacent pair of lowest merge rank is merged
/// until none is left, leftmost first among equal ranks, exactly as the
/// Hugging Face implementation does.
class Bpe {
public:
  /// nullptr with `error` for a malformed model or an unsupported option.
  static std::unique_ptr<Bpe> load(const nlohmann::json &model,
                                   std::string &error);

  /// Appends the ids of one pre-tokenized word.
  void encode(std::string_view word, std::vector<int64_t> &ids) const;

  std::optional<int64_t> idOf(const std::string &token) const;
  /// The token spelled by `id`, or nullptr for an id outside the vocabulary.
  const std::string *tokenOf(int64_t id) const;
  /// One past the largest id.
  int64_t size() const { return static_cast<int64_t>(tokens.size()); }

private:
  struct Merge {
    int64_t rank;
    int64_t result;
  };
  std::optional<Merge> mergeOf(int64_t left, int64_t right) const;
  std::vector<int64_t> symbolsOf(std::string_view word) const;
  void mergeAll(std::vector<int64_t> &symbols) const;

  std::unordered_map<std::string, int64_t> ids;
  std::vector<std::string> tokens;   // by id ("" where none)
  std::vector<bool> present;         // ids that spell a token
  std::unordered_map<uint64_t, Merge> merges;
  std::optional<int64_t> unk;
  bool fuseUnk = false;
  bool byteFallback = false;
  bool ignoreMerges = false;

  // Words repeat; their ids are cached (bounded), shared across threads.
  mutable std::mutex cacheLock;
  mutable std::unordered_map<std::string, std::vector<int64_t>> cache;
};

} // namespace helix::tok

#endif // HELIX_TOOLS_TOKENIZER_BPE_H
