//===- status.cpp - names of runtime status codes -------------------------===//
#include "helix_rt/status.h"

extern "C" const char *helix_status_string(helix_status status) {
  switch (status) {
  case HELIX_OK:
    return "ok";
  case HELIX_ERROR_INVALID_ARGUMENT:
    return "invalid argument";
  case HELIX_ERROR_IO:
    return "i/o error";
  case HELIX_ERROR_FORMAT:
    return "malformed input";
  case HELIX_ERROR_OUT_OF_RANGE:
    return "out of range";
  case HELIX_ERROR_COMM:
    return "communication failure";
  case HELIX_ERROR_INTERNAL:
    return "internal error";
  }
  return "unknown status";
}
