//===- AbiComm.cpp - collective entry points the compiled step calls ------===//
#include "MemRef.h"
#include "RankContext.h"
#include <algorithm>

using namespace helix_rt;

namespace {

RankContext *context(int64_t ctx) { return reinterpret_cast<RankContext *>(ctx); }

const char *gridName(int64_t grid) {
  return grid == 0 ? "helix_attention" : "helix_ffn";
}

bool check(RankContext *c, helix_status status, const char *what) {
  if (status == HELIX_OK)
    return true;
  c->fail(std::string(what) + " failed: " + helix_comm_error(c->world()));
  return false;
}

/// [1, B, heads, W] -> [peers][B][heads/peers][W]: the block for peer j is
/// its heads of every sequence, made contiguous.
std::vector<float> packHeads(const F32x4 *in, int64_t peers) {
  int64_t batch = in->size(1), heads = in->size(2), width = in->size(3);
  int64_t per = heads / peers;
  std::vector<float> packed(static_cast<size_t>(in->count()));
  float *dst = packed.data();
  for (int64_t j = 0; j < peers; ++j)
    for (int64_t b = 0; b < batch; ++b) {
      const float *src = in->data() + (b * heads + j * per) * width;
      dst = std::copy_n(src, per * width, dst);
    }
  return packed;
}

/// [peers][B][cols] as gathered -> [B][peers * cols], the concatenation of
/// every peer's columns.
void interleaveColumns(const std::vector<float> &gathered, int64_t peers,
                       int64_t batch, int64_t cols, float *out) {
  for (int64_t j = 0; j < peers; ++j)
    for (int64_t b = 0; b < batch; ++b)
      std::copy_n(gathered.data() + (j * batch + b) * cols, cols,
                  out + b * peers * cols + j * cols);
}

} // namespace

extern "C" {

int64_t _mlir_ciface_helix_rt_grid_coord(int64_t ctx, int64_t grid,
                                         int64_t axis) {
  return context(ctx)->coord(gridName(grid), axis);
}

void _mlir_ciface_helix_rt_all_reduce(int64_t ctx, int64_t group, F32x2 *in,
                                      F32x2 *out) {
  RankContext *c = context(ctx);
  if (!c->failed())
    check(c, helix_comm_all_reduce_sum(c->group(group), in->data(), out->data(),
                                       in->count()),
          "all-reduce");
}

void _mlir_ciface_helix_rt_all_to_all(int64_t ctx, int64_t group, F32x4 *in,
                                      F32x4 *out) {
  RankContext *c = context(ctx);
  if (c->failed())
    return;
  helix_comm *comm = c->group(group);
  int64_t peers = helix_comm_size(comm);
  std::vector<float> packed = packHeads(in, peers);
  check(c, helix_comm_all_to_all(comm, packed.data(), out->data(),
                                 in->count() / peers),
        "all-to-all");
}

void _mlir_ciface_helix_rt_all_gather(int64_t ctx, int64_t group, F32x3 *in,
                                      F32x3 *out) {
  RankContext *c = context(ctx);
  if (!c->failed())
    check(c, helix_comm_all_gather(c->group(group), in->data(), out->data(),
                                   in->count()),
          "all-gather");
}

void _mlir_ciface_helix_rt_all_gather_columns(int64_t ctx, int64_t group,
                                              F32x2 *in, F32x2 *out) {
  RankContext *c = context(ctx);
  if (c->failed())
    return;
  helix_comm *comm = c->group(group);
  int64_t peers = helix_comm_size(comm);
  std::vector<float> gathered(static_cast<size_t>(in->count() * peers));
  if (check(c, helix_comm_all_gather(comm, in->data(), gathered.data(),
                                     in->count()),
            "all-gather"))
    interleaveColumns(gathered, peers, in->size(0), in->size(1), out->data());
}

int64_t _mlir_ciface_helix_rt_start_all_gather_columns(int64_t ctx,
                                                       int64_t group, F32x2 *in,
                                                       F32x2 *out) {
  RankContext *c = context(ctx);
  PendingCollective entry;
  if (!c->failed()) {
    helix_comm *comm = c->group(group);
    int64_t peers = helix_comm_size(comm);
    entry.landing.resize(static_cast<size_t>(in->count() * peers));
    if (check(c, helix_comm_start_all_gather(comm, in->data(),
                                             entry.landing.data(), in->count(),
                                             &entry.request),
              "all-gather")) {
      int64_t batch = in->size(0), cols = in->size(1);
      float *dst = out->data();
      // The receive buffer moves with the entry; the reorder gets it back.
      entry.finish = [peers, batch, cols, dst](const std::vector<float> &got) {
        interleaveColumns(got, peers, batch, cols, dst);
      };
    }
  }
  return c->startCollective(std::move(entry));
}

int64_t _mlir_ciface_helix_rt_start_all_reduce(int64_t ctx, int64_t group,
                                               F32x2 *in, F32x2 *out) {
  RankContext *c = context(ctx);
  PendingCollective entry;
  if (!c->failed())
    check(c, helix_comm_start_all_reduce_sum(c->group(group), in->data(),
                                             out->data(), in->count(),
                                             &entry.request),
          "all-reduce");
  return c->startCollective(std::move(entry));
}

int64_t _mlir_ciface_helix_rt_start_all_to_all(int64_t ctx, int64_t group,
                                               F32x4 *in, F32x4 *out) {
  RankContext *c = context(ctx);
  PendingCollective entry;
  if (!c->failed()) {
    helix_comm *comm = c->group(group);
    int64_t peers = helix_comm_size(comm);
    entry.staging = packHeads(in, peers);
    check(c, helix_comm_start_all_to_all(comm, entry.staging.data(),
                                         out->data(), in->count() / peers,
                                         &entry.request),
          "all-to-all");
  }
  return c->startCollective(std::move(entry));
}

int64_t _mlir_ciface_helix_rt_start_all_gather(int64_t ctx, int64_t group,
                                               F32x3 *in, F32x3 *out) {
  RankContext *c = context(ctx);
  PendingCollective entry;
  if (!c->failed())
    check(c, helix_comm_start_all_gather(c->group(group), in->data(),
                                         out->data(), in->count(),
                                         &entry.request),
          "all-gather");
  return c->startCollective(std::move(entry));
}

void _mlir_ciface_helix_rt_wait(int64_t ctx, int64_t request) {
  RankContext *c = context(ctx);
  PendingCollective entry = c->takeCollective(request);
  if (entry.request && check(c, helix_comm_wait(entry.request),
                             "collective wait") &&
      entry.finish)
    entry.finish(entry.landing);
}

} // extern "C"
