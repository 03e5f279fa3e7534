//===- ReusedBlocks.cpp - big host buffers kept from step to step ---------===//
#include "ReusedBlocks.h"

#include <cstdlib>

namespace helix_rt {

ReusedBlocks::~ReusedBlocks() {
  for (auto &[size, p] : spare)
    std::free(p);
}

void *ReusedBlocks::take(size_t size) {
  std::lock_guard<std::mutex> lock(mutex);
  void *p = nullptr;
  if (auto it = spare.find(size); it != spare.end()) {
    p = it->second;
    spare.erase(it);
    spareSize -= size;
  } else {
    p = std::aligned_alloc(64, size);
    if (!p)
      return nullptr;
  }
  out.emplace(p, size);
  return p;
}

bool ReusedBlocks::give(void *p) {
  std::lock_guard<std::mutex> lock(mutex);
  auto it = out.find(p);
  if (it == out.end())
    return false;
  size_t size = it->second;
  out.erase(it);
  if (spareSize + size > kMaxSpare) {
    std::free(p);
    return true;
  }
  spare.emplace(size, p);
  spareSize += size;
  return true;
}

size_t ReusedBlocks::spareBytes() const {
  std::lock_guard<std::mutex> lock(mutex);
  return spareSize;
}

} // namespace helix_rt
