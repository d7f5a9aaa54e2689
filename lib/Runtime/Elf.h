//===- Elf.h - is a file a whole shared object? -----------------*- C++ -*-===//
//
// dlopen() trusts the file it maps: a shared object cut short (a copy that
// ran out of disk, a download that stopped) maps segments past the end of
// the file, and touching them raises SIGBUS/SIGSEGV inside the loader. So
// every object the runtime dlopen()s (artifacts, emu device binaries, the
// compiler library) is checked here first.
//
//===----------------------------------------------------------------------===//
#ifndef MOE_RUNTIME_ELF_H
#define MOE_RUNTIME_ELF_H

#include <cstddef>
#include <string>

namespace moe::runtime {

/// Whether `data` (`size` bytes) is a complete ELF shared object of this
/// host's class and byte order: the ELF header, the program and section
/// header tables and the file range of every segment all lie within `size`.
/// On false, `reason` says what is wrong ("its program headers end at byte
/// 4096 but the file has 2000").
bool checkSharedObject(const void *data, size_t size, std::string &reason);

/// checkSharedObject on the file at `path` (mapped, not read). A `path`
/// without a slash is left to dlopen()'s search and passes.
bool checkSharedObjectFile(const std::string &path, std::string &reason);

} // namespace moe::runtime

#endif // MOE_RUNTIME_ELF_H
