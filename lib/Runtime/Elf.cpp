//===- Elf.cpp - is a file a whole shared object? -------------------------===//

#include "Elf.h"

#include "Files.h"

#include "moe/Support/CheckedMath.h"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace moe::runtime {

namespace {

// The ELF types of this host (ElfW: Elf64_* on 64-bit hosts).
using Ehdr = ElfW(Ehdr);
using Phdr = ElfW(Phdr);
using Shdr = ElfW(Shdr);
constexpr unsigned char kHostClass =
    sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32;

unsigned char hostByteOrder() {
  const uint16_t probe = 1;
  unsigned char first;
  std::memcpy(&first, &probe, 1);
  return first ? ELFDATA2LSB : ELFDATA2MSB;
}

/// Whether the table of `count` entries of `entrySize` bytes at `offset`
/// lies within `size`; else says where it ends.
bool tableFits(const char *what, uint64_t offset, uint64_t count,
               uint64_t entrySize, size_t size, std::string &reason) {
  uint64_t bytes, end;
  if (!checkedMul(count, entrySize, bytes) ||
      !checkedAdd(offset, bytes, end)) {
    reason = std::string("its ") + what + " overflow the address range";
    return false;
  }
  if (end > size) {
    reason = std::string("its ") + what + " end at byte " +
             std::to_string(end) + " but the file has " + std::to_string(size);
    return false;
  }
  return true;
}

} // namespace

bool checkSharedObject(const void *data, size_t size, std::string &reason) {
  const auto *bytes = static_cast<const unsigned char *>(data);
  if (size < sizeof(Ehdr)) {
    reason = "it has " + std::to_string(size) + " bytes, fewer than an ELF "
             "header (" + std::to_string(sizeof(Ehdr)) + ")";
    return false;
  }
  Ehdr header;
  std::memcpy(&header, bytes, sizeof header);
  if (std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0) {
    reason = "it has no ELF header";
    return false;
  }
  if (header.e_ident[EI_CLASS] != kHostClass ||
      header.e_ident[EI_DATA] != hostByteOrder()) {
    reason = "it is an ELF object of another class or byte order than this "
             "host's";
    return false;
  }
  if (header.e_type != ET_DYN) {
    reason = "it is an ELF object of type " + std::to_string(header.e_type) +
             ", not a shared object (ET_DYN)";
    return false;
  }
  if (header.e_phnum == 0 || header.e_phentsize != sizeof(Phdr)) {
    reason = "it has no valid program header table";
    return false;
  }
  if (!tableFits("program headers", header.e_phoff, header.e_phnum,
                 sizeof(Phdr), size, reason))
    return false;
  // Sections are not mapped, but a table cut off says the file is.
  if (header.e_shoff != 0 &&
      !tableFits("section headers", header.e_shoff,
                 header.e_shnum ? header.e_shnum : 1,
                 header.e_shentsize ? header.e_shentsize : sizeof(Shdr), size,
                 reason))
    return false;
  for (size_t i = 0; i < header.e_phnum; ++i) {
    Phdr segment;
    std::memcpy(&segment, bytes + header.e_phoff + i * sizeof(Phdr),
                sizeof segment);
    uint64_t end;
    if (!checkedAdd<uint64_t>(segment.p_offset, segment.p_filesz, end) ||
        end > size) {
      reason = "its segment #" + std::to_string(i) +
               (segment.p_type == PT_LOAD ? " (PT_LOAD)" : "") +
               " needs file bytes up to " +
               std::to_string(segment.p_offset) + " + " +
               std::to_string(segment.p_filesz) + " but the file has " +
               std::to_string(size);
      return false;
    }
  }
  return true;
}

bool checkSharedObjectFile(const std::string &path, std::string &reason) {
  if (path.find('/') == std::string::npos)
    return true;
  // O_NONBLOCK: a FIFO must not block the open; it is refused below.
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    reason = "cannot open it: " + systemError(errno);
    return false;
  }
  struct stat info;
  if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    close(fd);
    reason = "it is not a regular file";
    return false;
  }
  size_t size = static_cast<size_t>(info.st_size);
  if (size == 0) {
    close(fd);
    return checkSharedObject("", 0, reason);
  }
  void *map = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (map == MAP_FAILED) {
    reason = "cannot map it: " + systemError(errno);
    return false;
  }
  bool ok = checkSharedObject(map, size, reason);
  munmap(map, size);
  return ok;
}

} // namespace moe::runtime
