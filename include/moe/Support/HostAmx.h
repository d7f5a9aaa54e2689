//===- HostAmx.h - the process's permission to use AMX tiles ----*- C++ -*-===//
//
// Linux gives a process the AMX tile data state only on request
// (arch_prctl ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA); until then every AMX
// instruction faults. The runtime asks before it loads an artifact, and the
// compiler targets AMX on the host only where the request was granted.
//
//===----------------------------------------------------------------------===//
#ifndef MOE_SUPPORT_HOSTAMX_H
#define MOE_SUPPORT_HOSTAMX_H

#if defined(__linux__) && defined(__x86_64__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace moe {

/// Whether this process may execute AMX tile instructions, asking Linux for
/// them the first time (later calls return the first answer). False on other
/// systems and where the CPU or the kernel has no AMX.
inline bool requestAmxTiles() {
#if defined(__linux__) && defined(__x86_64__)
  static const bool granted = [] {
    constexpr long archReqXcompPerm = 0x1023, xfeatureXtiledata = 18;
    return syscall(SYS_arch_prctl, archReqXcompPerm, xfeatureXtiledata) == 0;
  }();
  return granted;
#else
  return false;
#endif
}

} // namespace moe

#endif // MOE_SUPPORT_HOSTAMX_H
