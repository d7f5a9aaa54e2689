//===- Files.cpp - small POSIX file helpers -------------------------------===//

#include "Files.h"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <random>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace moe::runtime {

std::string systemError(int errnum) {
  char buffer[256];
  buffer[0] = '\0';
  // The GNU strerror_r returns the message (maybe not in buffer), the XSI
  // one an int; handle both.
  auto result = strerror_r(errnum, buffer, sizeof(buffer));
  if constexpr (std::is_same_v<decltype(result), char *>)
    return result ? std::string(result) : std::string(buffer);
  else
    return result == 0 ? std::string(buffer)
                       : "error " + std::to_string(errnum);
}

Error readFd(int fd, const std::string &path, std::string &bytes) {
  bytes.clear();
  struct stat info;
  if (fstat(fd, &info) == 0 && info.st_size > 0)
    bytes.reserve(static_cast<size_t>(info.st_size));
  char chunk[1 << 16];
  off_t position = 0;
  for (;;) {
    ssize_t n = pread(fd, chunk, sizeof(chunk), position);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return makeError(MOE_ERROR_IO,
                       "cannot read " + quoted(path) + ": " + systemError(errno));
    }
    if (n == 0)
      break;
    bytes.append(chunk, static_cast<size_t>(n));
    position += n;
  }
  return Error::ok();
}

Error readFile(const std::string &path, std::string &bytes) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return makeError(MOE_ERROR_IO,
                     "cannot open " + quoted(path) + ": " + systemError(errno));
  struct stat info;
  if (fstat(fd, &info) == 0 && S_ISDIR(info.st_mode)) {
    close(fd);
    return makeError(MOE_ERROR_IO,
                     "cannot read " + quoted(path) + ": it is a directory");
  }
  Error error = readFd(fd, path, bytes);
  close(fd);
  return error;
}

namespace {

/// "a FIFO", "a directory", ...: what a non-regular file is, for messages.
const char *fileKind(mode_t mode) {
  if (S_ISDIR(mode))
    return "a directory";
  if (S_ISFIFO(mode))
    return "a FIFO";
  if (S_ISCHR(mode))
    return "a character device";
  if (S_ISBLK(mode))
    return "a block device";
  if (S_ISSOCK(mode))
    return "a socket";
  return "not a regular file";
}

} // namespace

Error readRegularFile(const std::string &path, std::string &bytes,
                      uint64_t maxBytes) {
  // O_NONBLOCK: opening a FIFO without a writer would wait for one.
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return makeError(MOE_ERROR_IO,
                     "cannot open " + quoted(path) + ": " + systemError(errno));
  struct stat info;
  if (fstat(fd, &info) != 0) {
    int saved = errno;
    close(fd);
    return makeError(MOE_ERROR_IO,
                     "cannot stat " + quoted(path) + ": " + systemError(saved));
  }
  if (!S_ISREG(info.st_mode)) {
    close(fd);
    return makeError(MOE_ERROR_IO, "cannot read " + quoted(path) + ": it is " +
                                       fileKind(info.st_mode) +
                                       ", not a regular file");
  }
  if (static_cast<uint64_t>(info.st_size) > maxBytes) {
    close(fd);
    return makeError(MOE_ERROR_IO,
                     "cannot read " + quoted(path) + ": it has " +
                         std::to_string(info.st_size) +
                         " bytes, more than the " + std::to_string(maxBytes) +
                         " expected");
  }
  Error error = readFd(fd, path, bytes);
  close(fd);
  if (!error && bytes.size() > maxBytes) // it grew while being read
    return makeError(MOE_ERROR_IO, "cannot read " + quoted(path) +
                                       ": it grew past " +
                                       std::to_string(maxBytes) + " bytes");
  return error;
}

Error writeNewFile(const std::string &path, const std::string &bytes,
                   int mode) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0)
    return makeError(MOE_ERROR_IO, "cannot create " + quoted(path) + ": " +
                                       systemError(errno));
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      int saved = errno;
      close(fd);
      unlink(path.c_str());
      return makeError(MOE_ERROR_IO, "cannot write " + quoted(path) + ": " +
                                         systemError(saved));
    }
    done += static_cast<size_t>(n);
  }
  if (close(fd) != 0) {
    int saved = errno;
    unlink(path.c_str());
    return makeError(MOE_ERROR_IO,
                     "cannot write " + quoted(path) + ": " + systemError(saved));
  }
  return Error::ok();
}

Error makeDirectories(const std::string &path) {
  if (path.empty())
    return makeError(MOE_ERROR_IO, "empty directory name");
  std::string prefix;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos)
      slash = path.size();
    prefix = path.substr(0, slash);
    start = slash + 1;
    if (prefix.empty())
      continue; // the root of an absolute path
    if (mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST)
      return makeError(MOE_ERROR_IO, "cannot create directory " +
                                         quoted(prefix) + ": " +
                                         systemError(errno));
  }
  struct stat info;
  if (stat(path.c_str(), &info) != 0 || !S_ISDIR(info.st_mode))
    return makeError(MOE_ERROR_IO, quoted(path) + " is not a directory");
  return Error::ok();
}

std::string uniqueSuffix() {
  static std::atomic<uint64_t> counter{0};
  static const uint64_t processRandom = [] {
    std::random_device device;
    return (uint64_t(device()) << 32) ^ device() ^
           uint64_t(std::chrono::steady_clock::now().time_since_epoch().count());
  }();
  uint64_t thread = std::hash<std::thread::id>()(std::this_thread::get_id());
  char text[96];
  snprintf(text, sizeof(text), "%ld-%llx-%llu-%llx", static_cast<long>(getpid()),
           static_cast<unsigned long long>(thread & 0xffffffffu),
           static_cast<unsigned long long>(counter.fetch_add(1)),
           static_cast<unsigned long long>(processRandom & 0xffffffffffffull));
  return text;
}

std::string fileIdentity(const std::string &path) {
  struct stat info;
  if (path.empty() || stat(path.c_str(), &info) != 0)
    return {};
  return std::to_string(static_cast<unsigned long long>(info.st_dev)) + ":" +
         std::to_string(static_cast<unsigned long long>(info.st_ino)) + ":" +
         std::to_string(static_cast<long long>(info.st_size)) + ":" +
         std::to_string(static_cast<long long>(info.st_mtim.tv_sec)) + "." +
         std::to_string(static_cast<long long>(info.st_mtim.tv_nsec));
}

std::string tempDirectory() {
  const char *dir = getenv("TMPDIR");
  if (dir && *dir)
    return dir;
  return "/tmp";
}

std::string directoryOf(const std::string &path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos)
    return ".";
  if (slash == 0)
    return "/";
  return path.substr(0, slash);
}

} // namespace moe::runtime
