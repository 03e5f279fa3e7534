//===- AbiComm.cpp - collective entry points the compiled step calls ------===//
#include "Device.h"
#include "MemRef.h"
#include "RankContext.h"
#include "helix_rt/abi.h"

using namespace helix_rt;

namespace {

RankContext *context(int64_t ctx) { return reinterpret_cast<RankContext *>(ctx); }

bool check(RankContext *c, helix_status status, const char *what) {
  if (status == HELIX_OK)
    return true;
  c->fail(std::string(what) + " failed: " + helix_comm_error(c->world()));
  return false;
}

/// Copies on the rank's device.
void move(RankContext *c, const StridedView &src, const StridedView &dst) {
  c->device()->copy(*c, src, dst);
}

StridedView view3(float *base, const int64_t (&sizes)[3],
                  const int64_t (&strides)[3]) {
  StridedView v;
  v.base = reinterpret_cast<char *>(base);
  v.rank = 3;
  for (int d = 0; d < 3; ++d) {
    v.sizes[d] = sizes[d];
    v.strides[d] = strides[d];
  }
  return v;
}

/// [1, B, heads, W] -> [peers][B][heads/peers][W]: the block for peer j is
/// its heads of every sequence, made contiguous.
Scratch packHeads(RankContext *c, const F32x4 *in, int64_t peers) {
  int64_t batch = in->size(1), heads = in->size(2), width = in->size(3);
  int64_t per = heads / peers;
  Scratch packed(*c->device(), in->count());
  if (!packed.data())
    return packed;
  move(c,
       view3(in->data(), {peers, batch, per * width},
             {per * width, heads * width, 1}),
       view3(packed.data(), {peers, batch, per * width},
             {batch * per * width, per * width, 1}));
  return packed;
}

/// [peers][B][cols] as gathered -> [B][peers * cols], the concatenation of
/// every peer's columns.
void interleaveColumns(RankContext *c, float *gathered, int64_t peers,
                       int64_t batch, int64_t cols, float *out) {
  move(c, view3(gathered, {peers, batch, cols}, {batch * cols, cols, 1}),
       view3(out, {peers, batch, cols}, {cols, peers * cols, 1}));
}

bool allocated(RankContext *c, Scratch &scratch) {
  if (scratch.data())
    return true;
  c->fail("out of memory: a collective's exchange buffer");
  return false;
}

} // namespace

extern "C" {

int64_t _mlir_ciface_helix_rt_grid_coord(int64_t ctx, int64_t grid,
                                         int64_t axis) {
  RankContext *c = context(ctx);
  const char *name = abi::gridName(grid);
  if (!name) {
    c->fail("grid_coord: unknown grid code " + std::to_string(grid));
    return 0;
  }
  return c->coord(name, axis);
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
  Scratch packed = packHeads(c, in, peers);
  if (allocated(c, packed))
    check(c,
          helix_comm_all_to_all(comm, packed.data(), out->data(),
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
  Scratch gathered(*c->device(), in->count() * peers);
  if (allocated(c, gathered) &&
      check(
          c,
          helix_comm_all_gather(comm, in->data(), gathered.data(), in->count()),
          "all-gather"))
    interleaveColumns(c, gathered.data(), peers, in->size(0), in->size(1),
                      out->data());
}

int64_t _mlir_ciface_helix_rt_start_all_gather_columns(int64_t ctx,
                                                       int64_t group, F32x2 *in,
                                                       F32x2 *out) {
  RankContext *c = context(ctx);
  PendingCollective entry;
  if (!c->failed()) {
    helix_comm *comm = c->group(group);
    int64_t peers = helix_comm_size(comm);
    entry.landing = Scratch(*c->device(), in->count() * peers);
    if (allocated(c, entry.landing) &&
        check(c,
              helix_comm_start_all_gather(comm, in->data(),
                                          entry.landing.data(), in->count(),
                                          &entry.request),
              "all-gather")) {
      int64_t batch = in->size(0), cols = in->size(1);
      float *dst = out->data();
      // The receive buffer moves with the entry; the reorder gets it back.
      entry.finish = [c, peers, batch, cols, dst](PendingCollective &done) {
        interleaveColumns(c, done.landing.data(), peers, batch, cols, dst);
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
    entry.staging = packHeads(c, in, peers);
    if (allocated(c, entry.staging))
      check(c,
            helix_comm_start_all_to_all(comm, entry.staging.data(), out->data(),
                                        in->count() / peers, &entry.request),
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
    entry.finish(entry);
}

} // extern "C"
