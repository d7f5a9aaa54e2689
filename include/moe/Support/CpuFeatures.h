//===- CpuFeatures.h - the CPU features an artifact records -----*- C++ -*-===//
//
// A CPU artifact's code may use any vector or matrix feature of the CPU it
// was compiled for; run elsewhere it dies on an illegal instruction. The
// compiler records in the manifest which of these features the target has,
// and the runtime refuses an artifact whose features this CPU lacks
// (lib/Runtime/HostCpu.cpp reads them with CPUID). LLVM's names.
//
//===----------------------------------------------------------------------===//
#ifndef MOE_SUPPORT_CPUFEATURES_H
#define MOE_SUPPORT_CPUFEATURES_H

#include <array>
#include <string_view>

namespace moe {

inline constexpr std::array<std::string_view, 23> kRecordedCpuFeatures = {
    "sse4.2",     "avx",        "avx2",       "fma",         "f16c",
    "bmi",        "bmi2",       "avx512f",    "avx512dq",    "avx512cd",
    "avx512bw",   "avx512vl",   "avx512vnni", "avx512bf16",  "avx512fp16",
    "avxvnni",    "avxifma",    "avxvnniint8", "avxneconvert", "amx-tile",
    "amx-bf16",   "amx-int8",   "amx-fp16"};

} // namespace moe

#endif // MOE_SUPPORT_CPUFEATURES_H
