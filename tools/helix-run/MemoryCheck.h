//===- MemoryCheck.h - a run's memory against the machine's ----*- C++ -*-===//
#ifndef HELIX_TOOLS_HELIXRUN_MEMORYCHECK_H
#define HELIX_TOOLS_HELIXRUN_MEMORYCHECK_H

#include "helix/Model/ModelConfig.h"
#include "helix_rt/helix_rt.h"

#include <cstdint>
#include <string>

namespace helix::run {

/// What a CPU run holds, all ranks together: the checkpoint's tensors in
/// their stored type (the CPU device keeps f32 as f32 and bf16/f16 as
/// they are; sharding splits them without adding), and the KV cache (fp32,
/// or bf16 with `bf16Cache`) of `batch` sequences of `context` tokens.
struct RunMemory {
  int64_t weights = 0, cache = 0;
  const char *cacheDtype = "float32";
  int64_t total() const { return weights + cache; }
};
RunMemory runMemory(const helix_checkpoint *checkpoint,
                    const ModelConfig &config, int64_t batch, int64_t context,
                    bool bf16Cache);

/// False with one line naming the bytes when `need` exceeds what the
/// machine has available now (MemAvailable; a machine that does not say is
/// not checked). Checked before compiling, so a run that cannot fit fails
/// at once instead of in an allocation minutes later.
bool checkMemory(const RunMemory &need, std::string &error);

} // namespace helix::run

#endif // HELIX_TOOLS_HELIXRUN_MEMORYCHECK_H
