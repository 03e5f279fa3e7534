//===- MappedFile.cpp - A read-only memory-mapped file --------------------===//
#include "MappedFile.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace helix::rt {

namespace {

Failure systemFailure(const std::string &path, const char *what, int error) {
  return {HELIX_ERROR_IO, path + ": " + what + ": " + std::strerror(error)};
}

/// Closes a descriptor on every return path; the mapping outlives it.
struct FdCloser {
  int fd;
  ~FdCloser() { ::close(fd); }
};

} // namespace

Failure MappedFile::open(const std::string &path,
                         std::unique_ptr<MappedFile> &result) {
  result.reset();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return systemFailure(path, "cannot open", errno);
  FdCloser closer{fd};

  struct stat info;
  if (::fstat(fd, &info) != 0)
    return systemFailure(path, "cannot stat", errno);
  if (!S_ISREG(info.st_mode))
    return {HELIX_ERROR_IO, path + ": not a regular file"};

  // Built before mapping so that the destructor owns the mapping at once.
  std::unique_ptr<MappedFile> file(new MappedFile(path, nullptr, 0));
  auto size = static_cast<size_t>(info.st_size);
  if (size > 0) {
    void *mapping = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (mapping == MAP_FAILED)
      return systemFailure(path, "cannot mmap", errno);
    file->bytes = static_cast<const uint8_t *>(mapping);
    file->byteCount = size;
  }
  result = std::move(file);
  return {};
}

MappedFile::~MappedFile() {
  if (bytes)
    ::munmap(const_cast<uint8_t *>(bytes), byteCount);
}

} // namespace helix::rt
