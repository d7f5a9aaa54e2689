//===- Files.h - small POSIX file helpers -----------------------*- C++ -*-===//
#ifndef MOE_RUNTIME_FILES_H
#define MOE_RUNTIME_FILES_H

#include "Errors.h"

#include <cstdint>
#include <string>

namespace moe::runtime {

/// Reads the whole file at `path` into `bytes` (MOE_ERROR_IO naming the path
/// and the system's reason on failure).
Error readFile(const std::string &path, std::string &bytes);

/// Reads the file at `path` only when it is a regular file of at most
/// `maxBytes` bytes: for files the runtime finds rather than is given (the
/// compile cache), where a FIFO would block the open or the read forever and
/// a device (/dev/zero) would never end. MOE_ERROR_IO naming the path and
/// what it is otherwise.
Error readRegularFile(const std::string &path, std::string &bytes,
                      uint64_t maxBytes);

/// Reads the whole of the open file `fd` from its start.
Error readFd(int fd, const std::string &path, std::string &bytes);

/// Creates `path` exclusively (it must not exist) and writes `bytes` to it.
Error writeNewFile(const std::string &path, const std::string &bytes,
                   int mode = 0644);

/// `mkdir -p path`.
Error makeDirectories(const std::string &path);

/// A name part unique among the threads and processes of this machine:
/// pid, thread, a counter and random bits.
std::string uniqueSuffix();

/// $TMPDIR when set and non-empty, else /tmp.
std::string tempDirectory();

/// The directory part of `path` ("." when it has none).
std::string directoryOf(const std::string &path);

/// "device:inode:size:mtime" of the file at `path`, empty when it cannot be
/// stat()ed: a cheap identity of one build of a file.
std::string fileIdentity(const std::string &path);

/// strerror(errnum) in a thread-safe way.
std::string systemError(int errnum);

} // namespace moe::runtime

#endif // MOE_RUNTIME_FILES_H
