//===- Isa.cpp - The instruction set of the half-precision loops ----------===//
//
// Chosen once, at first use, from cpuid (__builtin_cpu_supports, which also
// checks that the OS saves the wide registers) unless HELIX_CPU_ISA names
// another supported one; tests switch it with setIsa.
//
//===----------------------------------------------------------------------===//
#include "HalfOps.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <initializer_list>

namespace helix_rt::kernels {

namespace {

Isa bestIsa() {
  for (Isa isa : {Isa::Avx512, Isa::Avx2})
    if (isaSupported(isa))
      return isa;
  return Isa::Portable;
}

Isa initialIsa() {
  if (const char *name = std::getenv("HELIX_CPU_ISA"))
    for (Isa isa : {Isa::Portable, Isa::Avx2, Isa::Avx512})
      if (std::strcmp(name, isaName(isa)) == 0 && isaSupported(isa))
        return isa;
  return bestIsa();
}

std::atomic<int> &active() {
  static std::atomic<int> isa{static_cast<int>(initialIsa())};
  return isa;
}

} // namespace

bool isaSupported(Isa isa) {
  switch (isa) {
  case Isa::Portable:
    return true;
#if defined(__x86_64__)
  case Isa::Avx2:
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
           __builtin_cpu_supports("f16c");
  case Isa::Avx512:
    return __builtin_cpu_supports("avx512f") && isaSupported(Isa::Avx2);
#else
  default:
    return false;
#endif
  }
  return false;
}

Isa activeIsa() { return static_cast<Isa>(active().load()); }

bool setIsa(Isa isa) {
  if (!isaSupported(isa))
    return false;
  active().store(static_cast<int>(isa));
  return true;
}

const char *isaName(Isa isa) {
  switch (isa) {
  case Isa::Portable:
    return "portable";
  case Isa::Avx2:
    return "avx2";
  case Isa::Avx512:
    return "avx512";
  }
  return "?";
}

void toFloat(Weights w, int64_t count, float *dst) {
  if (w.isF32())
    std::memcpy(dst, w.f32(), static_cast<size_t>(count) * sizeof(float));
  else
    detail::halfOps().toFloat(w.type, w.half(), count, dst);
}

void toBf16(const float *src, int64_t count, uint16_t *dst) {
  detail::halfOps().toBf16(src, count, dst);
}

namespace detail {

const HalfOps &halfOps() {
  switch (activeIsa()) {
#if defined(__x86_64__)
  case Isa::Avx512:
    return kAvx512HalfOps;
  case Isa::Avx2:
    return kAvx2HalfOps;
#endif
  default:
    return kPortableHalfOps;
  }
}

} // namespace detail
} // namespace helix_rt::kernels
