//===- HostAllocator.h - the CPU artifacts' allocator -----------*- C++ -*-===//
//
// Compiled code cannot handle a failed allocation (finalize-memref-to-llvm
// uses the pointer as it is). So a CPU entry point runs under
// callCatchingAllocationFailure: an allocation that fails on the calling
// thread, outside a parallel region, abandons the call (longjmp: compiled
// code has no destructors to skip; what it allocated before is lost) and the
// runtime reports it. A failure elsewhere (an OpenMP worker, a parallel
// region) cannot be unwound and aborts with a message.
//
//===----------------------------------------------------------------------===//
#ifndef MOE_LIB_RUNTIME_HOSTALLOCATOR_H
#define MOE_LIB_RUNTIME_HOSTALLOCATOR_H

#include <cstddef>

namespace moe::runtime {

using EntryCaller = void (*)(void *function, void **parameters);

/// Calls `caller(function, parameters)`; false when an allocation of the
/// call failed (its size in `failedBytes`) and the call was abandoned.
bool callCatchingAllocationFailure(EntryCaller caller, void *function,
                                   void **parameters, size_t &failedBytes);

} // namespace moe::runtime

#endif // MOE_LIB_RUNTIME_HOSTALLOCATOR_H
