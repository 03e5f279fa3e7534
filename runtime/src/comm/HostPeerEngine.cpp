//===- HostPeerEngine.cpp - the shared comm's host twin -------------------===//
//
// Lanes run on the host as the calls come (a copy is done when copy
// returns), so the twin is correct exactly when SharedComm.cpp's host
// ordering is. An event is a generation counter: record bumps it and
// returns the new value as the token; a wait for a token the event has
// moved past means it was recorded again before this waiter got to it (a
// pool returned it too early), and fails. With jitter, copies yield first,
// so a rank that overwrote its `in` too early shows up in peers' results.
//
//===----------------------------------------------------------------------===//
#include "SharedComm.h"

#include <atomic>
#include <cstring>
#include <new>
#include <thread>

namespace helix_rt::comm {
namespace {

struct HostEvent {
  std::atomic<uint64_t> generation{0};
};

class HostPeerEngine final : public PeerEngine {
public:
  explicit HostPeerEngine(bool jitter) : jitter(jitter) {}

  int device() const override { return 0; }
  bool bind(std::string &) override { return true; }
  void *createEvent(std::string &error) override {
    auto *event = new (std::nothrow) HostEvent;
    if (!event)
      error = "out of memory";
    return event;
  }
  void destroyEvent(void *event) override {
    delete static_cast<HostEvent *>(event);
  }
  bool record(Lane, void *event, uint64_t &token, std::string &) override {
    token = ++static_cast<HostEvent *>(event)->generation;
    return true;
  }
  bool waitFor(Lane, const PeerEvent &event, std::string &error) override {
    uint64_t now =
        static_cast<const HostEvent *>(event.handle)->generation.load();
    if (event.token != 0 && now == event.token)
      return true;
    error = "host twin: waited for record " + std::to_string(event.token) +
            " of an event now at record " + std::to_string(now) +
            (event.token == 0 ? " (never published)"
                              : " (recorded again before this wait)");
    return false;
  }
  float *allocTemp(Lane, int64_t floats, std::string &error) override {
    auto *p = new (std::nothrow) float[size_t(floats > 0 ? floats : 1)];
    if (!p)
      error = "out of memory";
    return p;
  }
  bool freeTemp(Lane, float *p, std::string &) override {
    delete[] p;
    return true;
  }
  bool copy(Lane, float *dst, const float *src, int, int64_t floats,
            std::string &) override {
    if (jitter)
      std::this_thread::yield();
    std::memcpy(dst, src, size_t(floats) * sizeof(float));
    return true;
  }
  bool sumBlocks(Lane, float *out, const float *blocks, int32_t n,
                 int64_t count, std::string &) override {
    for (int64_t i = 0; i < count; ++i) {
      float sum = blocks[i];
      for (int32_t b = 1; b < n; ++b)
        sum += blocks[int64_t(b) * count + i];
      out[i] = sum;
    }
    return true;
  }
  void drain() override {}

private:
  const bool jitter;
};

} // namespace

std::unique_ptr<PeerEngine> makeHostPeerEngine(bool jitter) {
  return std::make_unique<HostPeerEngine>(jitter);
}

} // namespace helix_rt::comm
