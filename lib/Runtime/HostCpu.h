//===- HostCpu.h - the features of the CPU the runtime runs on --*- C++ -*-===//
//
// An artifact's manifest lists the CPU features its code may use
// (moe/Support/CpuFeatures.h); these say which of them this CPU has, so that
// an artifact compiled for another CPU is refused with the features it
// lacks instead of dying on an illegal instruction.
//
//===----------------------------------------------------------------------===//
#ifndef MOE_RUNTIME_HOSTCPU_H
#define MOE_RUNTIME_HOSTCPU_H

#include <set>
#include <string>
#include <vector>

namespace moe::runtime {

/// The features of kRecordedCpuFeatures that this CPU has and the operating
/// system lets this process use (CPUID and XGETBV on x86-64; AMX only once
/// Linux granted the tiles). Empty on other architectures.
const std::set<std::string> &hostCpuFeatures();

/// The features of `required` missing from `host`, in `required`'s order.
/// A name outside kRecordedCpuFeatures is missing too: this runtime cannot
/// tell whether the CPU has it.
std::vector<std::string> missingCpuFeatures(
    const std::vector<std::string> &required, const std::set<std::string> &host);

} // namespace moe::runtime

#endif // MOE_RUNTIME_HOSTCPU_H
