//===- SharedCudaComm.cpp - shared comm engine on CUDA streams ------------===//
//
// The PeerEngine of comm/SharedComm.h on CUDA: a rank is a CUDA device and
// two streams, the caller's compute stream (helix_comm_cuda_set_stream) and
// a comm stream of its own; events are cudaEvent_t (no timing), copies
// cudaMemcpyAsync on one device and cudaMemcpyPeerAsync across devices,
// scratch from the stream-ordered allocator, the sum the device's
// sumShards kernel. Every call only enqueues: the host never waits for the
// GPU here (drain, at the world's end, excepted).
//
//===----------------------------------------------------------------------===//
#include "CudaStatus.h"
#include "DeviceOps.h"
#include "comm/SharedComm.h"
#include "helix_rt/cuda_comm.h"
#include "helix_rt/cuda_kernels.h"

#include <string>
#include <vector>

using namespace helix_rt::comm;

namespace helix_rt::cuda {
namespace {

bool checked(cudaError_t code, const char *what, std::string &error) {
  if (code == cudaSuccess)
    return true;
  error = std::string(what) + ": " + cudaGetErrorString(code);
  return false;
}

class CudaPeerEngine final : public PeerEngine {
public:
  explicit CudaPeerEngine(int device) : gpu(device) {}
  ~CudaPeerEngine() override {
    if (commStream) {
      cudaSetDevice(gpu);
      cudaStreamDestroy(commStream);
    }
  }

  bool init(std::string &error) {
    return checked(cudaSetDevice(gpu), "cudaSetDevice", error) &&
           checked(cudaStreamCreateWithFlags(&commStream,
                                             cudaStreamNonBlocking),
                   "creating the comm stream", error);
  }

  int device() const override { return gpu; }
  bool bind(std::string &error) override {
    return checked(cudaSetDevice(gpu), "cudaSetDevice", error);
  }
  void *createEvent(std::string &error) override {
    cudaEvent_t event = nullptr;
    if (!checked(cudaEventCreateWithFlags(&event, cudaEventDisableTiming),
                 "cudaEventCreate", error))
      return nullptr;
    return event;
  }
  void destroyEvent(void *event) override {
    cudaEventDestroy(static_cast<cudaEvent_t>(event));
  }
  bool record(Lane lane, void *event, uint64_t &token,
              std::string &error) override {
    token = 1; // a CUDA wait sees the latest record; the pool ensures it is ours
    return checked(cudaEventRecord(static_cast<cudaEvent_t>(event),
                                   stream(lane)),
                   "cudaEventRecord", error);
  }
  bool waitFor(Lane lane, const PeerEvent &event,
               std::string &error) override {
    return checked(cudaStreamWaitEvent(stream(lane),
                                       static_cast<cudaEvent_t>(event.handle),
                                       0),
                   "cudaStreamWaitEvent", error);
  }
  float *allocTemp(Lane lane, int64_t floats, std::string &error) override {
    void *p = nullptr;
    if (!checked(cudaMallocAsync(&p, size_t(floats > 0 ? floats : 1) * 4,
                                 stream(lane)),
                 "cudaMallocAsync", error))
      return nullptr;
    return static_cast<float *>(p);
  }
  bool freeTemp(Lane lane, float *p, std::string &error) override {
    return checked(cudaFreeAsync(p, stream(lane)), "cudaFreeAsync", error);
  }
  bool copy(Lane lane, float *dst, const float *src, int srcDevice,
            int64_t floats, std::string &error) override {
    size_t bytes = size_t(floats) * sizeof(float);
    if (srcDevice == gpu)
      return checked(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice,
                                     stream(lane)),
                     "cudaMemcpyAsync", error);
    return checked(cudaMemcpyPeerAsync(dst, gpu, src, srcDevice, bytes,
                                       stream(lane)),
                   "cudaMemcpyPeerAsync", error);
  }
  bool sumBlocks(Lane lane, float *out, const float *blocks, int32_t n,
                 int64_t count, std::string &error) override {
    if (ops::sumShards(blocks, n, 1, count, out, stream(lane)) == HELIX_OK)
      return true;
    error = lastError();
    return false;
  }
  void drain() override {
    if (commStream)
      cudaStreamSynchronize(commStream);
  }

  cudaStream_t compute = nullptr; // the caller's (default: legacy stream)

private:
  cudaStream_t stream(Lane lane) const {
    return lane == Lane::Compute ? compute : commStream;
  }

  const int gpu;
  cudaStream_t commStream = nullptr;
};

helix_status fail(helix_status status, const std::string &message) {
  return setThreadError(status, message);
}

} // namespace
} // namespace helix_rt::cuda

using namespace helix_rt::cuda;

extern "C" {

helix_status helix_comm_cuda_threads_create(int32_t world_size,
                                            const int32_t *devices,
                                            int64_t timeout_ms,
                                            helix_comm **ranks) {
  const char *what = "helix_comm_cuda_threads_create";
  if (world_size <= 0 || timeout_ms < 0 || !ranks)
    return fail(HELIX_ERROR_INVALID_ARGUMENT,
                std::string(what) + ": bad world size, timeout or ranks array");
  int count = 0;
  if (cudaError_t e = cudaGetDeviceCount(&count); e != cudaSuccess || !count)
    return fail(HELIX_ERROR_COMM,
                std::string(what) + ": no CUDA device: " +
                    (e != cudaSuccess ? cudaGetErrorString(e)
                                      : "none is visible"));
  int previous = 0;
  cudaGetDevice(&previous);
  std::vector<std::unique_ptr<PeerEngine>> engines;
  std::string error;
  for (int32_t r = 0; r < world_size; ++r) {
    int device = devices ? devices[r] : r % count;
    if (device < 0 || device >= count) {
      cudaSetDevice(previous);
      return fail(HELIX_ERROR_INVALID_ARGUMENT,
                  std::string(what) + ": rank " + std::to_string(r) +
                      " names device " + std::to_string(device) + " of " +
                      std::to_string(count));
    }
    auto engine = std::make_unique<CudaPeerEngine>(device);
    if (!engine->init(error)) {
      cudaSetDevice(previous);
      return fail(HELIX_ERROR_COMM, std::string(what) + ": " + error);
    }
    engines.push_back(std::move(engine));
  }
  cudaSetDevice(previous);
  return sharedCreate("shared-cuda", std::move(engines), timeout_ms, ranks);
}

helix_status helix_comm_cuda_set_stream(helix_comm *comm,
                                        cudaStream_t compute) {
  if (comm && std::string(comm->ops->backendName) == "nccl")
    return helix_comm_nccl_set_stream(comm, compute);
  if (!comm || std::string(comm->ops->backendName) != "shared-cuda")
    return fail(HELIX_ERROR_INVALID_ARGUMENT,
                "helix_comm_cuda_set_stream: not a CUDA endpoint (NCCL or "
                "helix_comm_cuda_threads_create)");
  static_cast<CudaPeerEngine *>(sharedEngine(comm))->compute = compute;
  return HELIX_OK;
}

int helix_comm_cuda_device(const helix_comm *comm) {
  if (!comm || std::string(comm->ops->backendName) != "shared-cuda")
    return -1;
  return sharedEngine(const_cast<helix_comm *>(comm))->device();
}

helix_status helix_comm_cuda_reserve(helix_comm *comm, int64_t bytes) {
  const char *what = "helix_comm_cuda_reserve";
  if (!comm || bytes < 0)
    return fail(HELIX_ERROR_INVALID_ARGUMENT,
                std::string(what) + ": null communicator or negative bytes");
  int device = 0;
  std::vector<int64_t> needs{bytes};
  std::vector<int> devices{0};
  if (std::string(comm->ops->backendName) == "shared-cuda") {
    if (helix_status s = sharedExchange(comm, bytes, needs, devices))
      return s;
    device = helix_comm_cuda_device(comm);
    cudaSetDevice(device);
  } else {
    cudaGetDevice(&device);
    devices[0] = device;
  }
  int64_t need = 0, sharers = 0;
  for (size_t j = 0; j < needs.size(); ++j)
    if (devices[j] == device) {
      need += needs[j];
      ++sharers;
    }
  size_t freeBytes = 0, totalBytes = 0;
  if (cudaError_t e = cudaMemGetInfo(&freeBytes, &totalBytes))
    return fail(HELIX_ERROR_COMM, std::string(what) + ": cudaMemGetInfo: " +
                                      cudaGetErrorString(e));
  if (need <= int64_t(freeBytes))
    return HELIX_OK;
  std::string message =
      (sharers > 1 ? "the " + std::to_string(sharers) + " ranks on GPU "
                   : "the rank on GPU ") +
      std::to_string(device) + " need " + std::to_string(need) +
      " bytes for weights and KV cache but only " + std::to_string(freeBytes) +
      " of " + std::to_string(totalBytes) + " bytes are free";
  comm->localError = message;
  return fail(HELIX_ERROR_OUT_OF_RANGE, message);
}

} // extern "C"
