//===- Bpe.cpp - the BPE model: symbols merged by rank --------------------===//
#include "Tokenizer/Bpe.h"
#include "Tokenizer/Spec.h"
#include "Tokenizer/Utf8.h"

#include <cstdio>
#include <queue>

namespace helix::tok {
namespace {

uint64_t pairKey(int64_t left, int64_t right) {
  return (static_cast<uint64_t>(left) << 32) | static_cast<uint64_t>(right);
}

/// A merge's two tokens, from "a b" or ["a", "b"].
bool mergeParts(const nlohmann::json &merge, std::string &left,
                std::string &right) {
  if (merge.is_array() && merge.size() == 2 && merge[0].is_string() &&
      merge[1].is_string()) {
    left = merge[0].get<std::string>();
    right = merge[1].get<std::string>();
    return true;
  }
  if (!merge.is_string())
    return false;
  std::string text = merge.get<std::string>();
  size_t space = text.find(' ');
  if (space == std::string::npos || text.find(' ', space + 1) != std::string::npos)
    return false;
  left = text.substr(0, space);
  right = text.substr(space + 1);
  return true;
}

constexpr size_t kCacheWords = 1 << 16;

} // namespace

std::unique_ptr<Bpe> Bpe::load(const nlohmann::json &model, std::string &error) {
  std::unique_ptr<Bpe> bpe(new Bpe());
  for (const char *key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    auto it = model.find(key);
    if (it != model.end() && !it->is_null() && !it->get<std::string>().empty()) {
      error = std::string("unsupported BPE option '") + key + "'";
      return nullptr;
    }
  }
  if (auto it = model.find("dropout"); it != model.end() && !it->is_null()) {
    error = "unsupported BPE option 'dropout' (encoding would be random)";
    return nullptr;
  }
  const nlohmann::json &vocab = model.at("vocab");
  if (!vocab.is_object()) {
    error = "model.vocab is not an object";
    return nullptr;
  }
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    if (!it.value().is_number_integer() || it.value().get<int64_t>() < 0) {
      error = "model.vocab: token " + nlohmann::json(it.key()).dump() +
              " has id " + it.value().dump() + ", not a non-negative integer";
      return nullptr;
    }
    int64_t id = it.value().get<int64_t>();
    if (id >= (int64_t(1) << 31)) {
      error = "model.vocab: id " + std::to_string(id) + " is too large";
      return nullptr;
    }
    bpe->ids[it.key()] = id;
    if (id >= bpe->size()) {
      bpe->tokens.resize(id + 1);
      bpe->present.resize(id + 1, false);
    }
    bpe->tokens[id] = it.key();
    bpe->present[id] = true;
  }
  const nlohmann::json &merges = model.at("merges");
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    std::string left, right;
    if (!mergeParts(merges[rank], left, right)) {
      error = "model.merges[" + std::to_string(rank) + "] is " +
              merges[rank].dump() + ", not \"a b\" or [\"a\", \"b\"]";
      return nullptr;
    }
    auto a = bpe->idOf(left), b = bpe->idOf(right), ab = bpe->idOf(left + right);
    if (!a || !b || !ab) {
      error = "model.merges[" + std::to_string(rank) + "] " +
              merges[rank].dump() + " names a token not in the vocabulary";
      return nullptr;
    }
    bpe->merges.emplace(pairKey(*a, *b), Merge{static_cast<int64_t>(rank), *ab});
  }
  if (auto it = model.find("unk_token"); it != model.end() && !it->is_null()) {
    bpe->unk = bpe->idOf(it->get<std::string>());
    if (!bpe->unk) {
      error = "model.unk_token " + it->dump() + " is not in the vocabulary";
      return nullptr;
    }
  }
  bpe->fuseUnk = flag(model, "fuse_unk", false);
  bpe->byteFallback = flag(model, "byte_fallback", false);
  bpe->ignoreMerges = flag(model, "ignore_merges", false);
  return bpe;
}

std::optional<int64_t> Bpe::idOf(const std::string &token) const {
  auto it = ids.find(token);
  if (it == ids.end())
    return std::nullopt;
  return it->second;
}

const std::string *Bpe::tokenOf(int64_t id) const {
  if (id < 0 || id >= size() || !present[id])
    return nullptr;
  return &tokens[id];
}

std::optional<Bpe::Merge> Bpe::mergeOf(int64_t left, int64_t right) const {
  auto it = merges.find(pairKey(left, right));
  if (it == merges.end())
    return std::nullopt;
  return it->second;
}

std::vector<int64_t> Bpe::symbolsOf(std::string_view word) const {
  std::vector<int64_t> symbols;
  bool pendingUnk = false;
  for (size_t at = 0; at < word.size();) {
    size_t length = validSequenceLength(word, at);
    if (length == 0)
      length = 1; // pieces are valid UTF-8; never loop forever regardless
    std::string character(word.substr(at, length));
    at += length;
    if (auto id = idOf(character)) {
      if (pendingUnk)
        symbols.push_back(*unk);
      pendingUnk = false;
      symbols.push_back(*id);
      continue;
    }
    if (byteFallback) {
      std::vector<int64_t> bytes;
      for (unsigned char byte : character) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", byte);
        if (auto id = idOf(name))
          bytes.push_back(*id);
        else
          break;
      }
      if (bytes.size() == character.size()) {
        // Byte tokens do not flush a pending unknown (as the reference).
        symbols.insert(symbols.end(), bytes.begin(), bytes.end());
        continue;
      }
    }
    if (!unk)
      continue; // no unknown token: the character is dropped
    if (pendingUnk && !fuseUnk)
      symbols.push_back(*unk);
    pendingUnk = true;
  }
  if (pendingUnk)
    symbols.push_back(*unk);
  return symbols;
}

void Bpe::mergeAll(std::vector<int64_t> &symbols) const {
  size_t n = symbols.size();
  std::vector<int64_t> prev(n), next(n);
  std::vector<bool> alive(n, true);
  for (size_t i = 0; i < n; ++i) {
    prev[i] = static_cast<int64_t>(i) - 1;
    next[i] = i + 1 < n ? static_cast<int64_t>(i + 1) : -1;
  }
  struct Candidate {
    int64_t rank, pos, result;
    bool operator<(const Candidate &o) const { // lowest rank, then leftmost
      return rank != o.rank ? rank > o.rank : pos > o.pos;
    }
  };
  std::priority_queue<Candidate> queue;
  for (size_t i = 0; i + 1 < n; ++i)
    if (auto m = mergeOf(symbols[i], symbols[i + 1]))
      queue.push({m->rank, static_cast<int64_t>(i), m->result});
  while (!queue.empty()) {
    Candidate top = queue.top();
    queue.pop();
    int64_t pos = top.pos;
    if (!alive[pos] || next[pos] < 0)
      continue;
    int64_t right = next[pos];
    auto current = mergeOf(symbols[pos], symbols[right]);
    if (!current || current->result != top.result)
      continue; // a stale entry
    symbols[pos] = top.result;
    alive[right] = false;
    next[pos] = next[right];
    if (next[right] >= 0)
      prev[next[right]] = pos;
    if (prev[pos] >= 0)
      if (auto m = mergeOf(symbols[prev[pos]], symbols[pos]))
        queue.push({m->rank, prev[pos], m->result});
    if (next[pos] >= 0)
      if (auto m = mergeOf(symbols[pos], symbols[next[pos]]))
        queue.push({m->rank, pos, m->result});
  }
  std::vector<int64_t> kept;
  for (size_t i = 0; i < n; ++i)
    if (alive[i])
      kept.push_back(symbols[i]);
  symbols = std::move(kept);
}

void Bpe::encode(std::string_view word, std::vector<int64_t> &out) const {
  if (ignoreMerges)
    if (auto id = idOf(std::string(word))) {
      out.push_back(*id);
      return;
    }
  std::string key(word);
  {
    std::lock_guard<std::mutex> guard(cacheLock);
    if (auto it = cache.find(key); it != cache.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<int64_t> symbols = symbolsOf(word);
  mergeAll(symbols);
  out.insert(out.end(), symbols.begin(), symbols.end());
  std::lock_guard<std::mutex> guard(cacheLock);
  if (cache.size() >= kCacheWords)
    cache.clear();
  cache.emplace(std::move(key), std::move(symbols));
}

} // namespace helix::tok
