/*===- status.h - status codes of the helix runtime C API --------*- C -*-===*/
#ifndef HELIX_RT_STATUS_H
#define HELIX_RT_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

/* Every fallible call returns a status; the message of a failure is written
 * to a caller-provided buffer or kept by the object that failed. */
typedef enum helix_status {
  HELIX_OK = 0,
  HELIX_ERROR_INVALID_ARGUMENT = 1, /* bad input from the user or caller */
  HELIX_ERROR_IO = 2,               /* file missing, unreadable, truncated */
  HELIX_ERROR_FORMAT = 3,           /* malformed file contents */
  HELIX_ERROR_OUT_OF_RANGE = 4,     /* capacity exceeded, index out of range */
  HELIX_ERROR_COMM = 5,             /* a collective failed or was aborted */
  HELIX_ERROR_INTERNAL = 6
} helix_status;

/* A short name for a status ("ok", "invalid argument", ...). */
const char *helix_status_string(helix_status status);

#ifdef __cplusplus
}
#endif

#endif /* HELIX_RT_STATUS_H */
