//===- MemoryCheck.cpp - a run's memory against the machine's -------------===//
#include "MemoryCheck.h"

#include <fstream>
#include <sstream>

namespace helix::run {

RunMemory runMemory(const helix_checkpoint *checkpoint,
                    const ModelConfig &config, int64_t batch, int64_t context,
                    bool bf16Cache) {
  RunMemory m;
  m.cacheDtype = bf16Cache ? "bfloat16" : "float32";
  char message[256];
  for (int64_t i = 0, n = helix_checkpoint_size(checkpoint); i < n; ++i) {
    helix_tensor_info info;
    if (helix_checkpoint_info(checkpoint, helix_checkpoint_name(checkpoint, i),
                              &info, message, sizeof message) != HELIX_OK)
      continue;
    int64_t count = 1;
    for (int32_t d = 0; d < info.rank; ++d)
      count *= info.shape[d];
    m.weights += count * (info.dtype == HELIX_DTYPE_F32 ? 4 : 2);
  }
  // Sizes are bounded (ModelConfig's limits, --max-context), so this cannot
  // overflow for any run that reaches here; saturate anyway.
  const double cache =
      double(batch) * double(context) * double(config.numLayers) *
      double(config.kvBytesPerTokenPerLayer(bf16Cache ? 2 : 4));
  m.cache = cache > 9e18 ? INT64_MAX / 2 : int64_t(cache);
  return m;
}

namespace {

/// MemAvailable from /proc/meminfo, in bytes; -1 where there is none.
int64_t availableBytes() {
  std::ifstream in("/proc/meminfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string key;
    int64_t kb = 0;
    if (fields >> key >> kb && key == "MemAvailable:")
      return kb * 1024;
  }
  return -1;
}

std::string gb(int64_t bytes) {
  std::ostringstream out;
  out.precision(3);
  out << double(bytes) / 1e9 << " GB";
  return out.str();
}

} // namespace

bool checkMemory(const RunMemory &need, std::string &error) {
  const int64_t available = availableBytes();
  if (available < 0 || need.total() <= available)
    return true;
  error = "the run needs about " + std::to_string(need.total()) + " bytes (" +
          gb(need.total()) + ": weights " + gb(need.weights) + ", KV cache " +
          gb(need.cache) + " as " + need.cacheDtype + ") but the machine has " +
          std::to_string(available) + " bytes (" + gb(available) +
          ") available; fewer prompts or a shorter --max-context need less";
  return false;
}

} // namespace helix::run
