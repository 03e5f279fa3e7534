//===- Layout.h - A parallel layout of one decode deployment ----*- C++ -*-===//
#ifndef HELIX_PLANNER_LAYOUT_H
#define HELIX_PLANNER_LAYOUT_H

#include "helix_rt/layout.h"

#include <cstdint>
#include <string>

namespace helix::planner {

enum class Strategy {
  Helix,        // attention KVP x TPA, FFN TPF x EP over the same N GPUs
  TensorParallel, // attention and FFN TP over N, KV duplicated beyond K
  Pipeline,     // PP stages of TP groups, micro-batches fill the pipeline
  DataParallelAttention, // attention DP groups of TPA, FFN TPF x EP over N
  Medha,        // attention KVP x TPA, FFN TP over the TPA group only
};

/// Stable short name used in output ("helix", "tp", "pp", ...).
const char *strategyKey(Strategy strategy);

/// All degrees; the ones a strategy does not use stay 1.
struct Layout {
  Strategy strategy = Strategy::Helix;
  int64_t kvp = 1;  // KV split along the sequence
  int64_t tpa = 1;  // attention heads split
  int64_t dp = 1;   // data-parallel attention groups
  int64_t tpf = 1;  // FFN tensor parallel
  int64_t ep = 1;   // FFN expert parallel
  int64_t pp = 1;   // pipeline stages
  int64_t microbatches = 1; // HOP-B micro-batches (Helix only)
  bool latentMerge = false; // MLA: merge partials in latent space

  /// GPUs of one attention stage (kvp * tpa * dp) times the stages.
  int64_t gpus() const { return kvp * tpa * dp * pp; }
  /// e.g. "kvp=8,tpa=8,tpf=64,ep=1,mb=4".
  std::string str() const;
  /// The Helix degrees as the compiler and runtime take them (kv_block at
  /// its default); meaningful for Strategy::Helix.
  helix_rt::Layout helix() const {
    helix_rt::Layout l;
    l.kvp = kvp;
    l.tpa = tpa;
    l.tpf = tpf;
    l.ep = ep;
    l.microbatches = microbatches;
    return l;
  }
  /// The Helix layout the compiler and runtime take (`helix()` reversed).
  static Layout fromHelix(const helix_rt::Layout &h) {
    Layout l;
    l.kvp = h.kvp;
    l.tpa = h.tpa;
    l.tpf = h.tpf;
    l.ep = h.ep;
    l.microbatches = h.microbatches;
    return l;
  }
};

} // namespace helix::planner

#endif // HELIX_PLANNER_LAYOUT_H
