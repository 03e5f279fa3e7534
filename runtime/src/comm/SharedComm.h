//===- SharedComm.h - ranks that read each other's buffers ------*- C++ -*-===//
//
// A world whose ranks are threads of one process and whose buffers live
// where every rank can copy from them (one GPU, GPUs of one process, or
// host memory). Each rank has two lanes, compute (the caller's) and comm
// (the backend's), and a PeerEngine that enqueues on them: record an
// event, wait for one, copy, sum. SharedComm.cpp holds everything else (the
// per-group operation slots, the host rendezvous, which events each lane
// waits for and when an event may be recorded again) once for every
// engine: CUDA's (libhelix_rt_cuda, cudaStream_t + cudaEvent_t) and the
// host twin (HostPeerEngine.cpp: synchronous copies, events as generation
// counters that check the order), which is how the logic is tested without
// a GPU.
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_RT_COMM_SHAREDCOMM_H
#define HELIX_RT_COMM_SHAREDCOMM_H

#include "CommImpl.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace helix_rt {
namespace comm {

enum class Lane { Compute, Comm };

// One record of an event: the handle and which record it was (the host
// twin checks that a wait sees the record it was told about).
struct PeerEvent {
  void *handle = nullptr;
  uint64_t token = 0;
};

// What one rank's lanes can do. Every call enqueues and returns; false
// with `error` on failure. Called only from the rank's own thread, except
// destroyEvent/drain (at the world's end, after every rank is done).
class PeerEngine {
public:
  virtual ~PeerEngine() = default;
  // Where this rank's buffers live (a CUDA device; 0 on the host).
  virtual int device() const = 0;
  // Makes the rank's device current on the calling thread.
  virtual bool bind(std::string &error) = 0;
  virtual void *createEvent(std::string &error) = 0;
  virtual void destroyEvent(void *event) = 0;
  // Marks `lane`'s work so far with `event`; `token` names this record.
  virtual bool record(Lane lane, void *event, uint64_t &token,
                      std::string &error) = 0;
  // Later work on `lane` waits for a record (this rank's or a peer's).
  virtual bool waitFor(Lane lane, const PeerEvent &event,
                       std::string &error) = 0;
  // Stream-ordered scratch on `lane`.
  virtual float *allocTemp(Lane lane, int64_t floats, std::string &error) = 0;
  virtual bool freeTemp(Lane lane, float *p, std::string &error) = 0;
  // dst (this rank's device) = src (on srcDevice), `floats` values.
  virtual bool copy(Lane lane, float *dst, const float *src, int srcDevice,
                    int64_t floats, std::string &error) = 0;
  // out[i] = sum over b < n of blocks[b * count + i], added in b order.
  virtual bool sumBlocks(Lane lane, float *out, const float *blocks, int32_t n,
                         int64_t count, std::string &error) = 0;
  // Waits for the comm lane's work (before the world's events go).
  virtual void drain() = 0;
};

// Creates the endpoints of a world whose rank r enqueues on engines[r].
// backendName is what the endpoints' CommOps report ("shared-cuda",
// "shared-host"); timeoutMs bounds every host wait (0: 600000).
helix_status sharedCreate(const char *backendName,
                          std::vector<std::unique_ptr<PeerEngine>> engines,
                          int64_t timeoutMs, helix_comm **ranks);

// True for endpoints made by sharedCreate.
bool isShared(const helix_comm *comm);
// The engine of a shared endpoint's rank (shared by its splits).
PeerEngine *sharedEngine(helix_comm *comm);
// Collective over comm, on the host only: values[j] and devices[j] are
// rank j's `value` and device.
helix_status sharedExchange(helix_comm *comm, int64_t value,
                            std::vector<int64_t> &values,
                            std::vector<int> &devices);

// The host twin engine (HostPeerEngine.cpp). With jitter its copies yield
// first, widening the windows a missing wait would leave open.
std::unique_ptr<PeerEngine> makeHostPeerEngine(bool jitter);

} // namespace comm
} // namespace helix_rt

#endif // HELIX_RT_COMM_SHAREDCOMM_H
