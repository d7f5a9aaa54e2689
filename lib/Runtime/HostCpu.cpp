//===- HostCpu.cpp - the features of the CPU the runtime runs on ----------===//
//
// Intel SDM vol. 2A, CPUID: leaf 1 ECX, leaf 7 sub-leaves 0 and 1; the
// registers' state must also be enabled by the OS in XCR0 (AVX: YMM;
// AVX-512: opmask and ZMM; AMX: tile config and data).
//
//===----------------------------------------------------------------------===//
#include "HostCpu.h"

#include "moe/Support/CpuFeatures.h"
#include "moe/Support/HostAmx.h"

#include <iterator>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace moe::runtime {

namespace {

#if defined(__x86_64__)
struct CpuidBit {
  const char *feature;
  unsigned leaf, subleaf;
  enum Register { Eax, Ebx, Ecx, Edx } reg;
  unsigned bit;
  enum State { None, Avx, Avx512, Amx } state;
};

constexpr CpuidBit kCpuidBits[] = {
    {"sse4.2", 1, 0, CpuidBit::Ecx, 20, CpuidBit::None},
    {"avx", 1, 0, CpuidBit::Ecx, 28, CpuidBit::Avx},
    {"fma", 1, 0, CpuidBit::Ecx, 12, CpuidBit::Avx},
    {"f16c", 1, 0, CpuidBit::Ecx, 29, CpuidBit::Avx},
    {"bmi", 7, 0, CpuidBit::Ebx, 3, CpuidBit::None},
    {"avx2", 7, 0, CpuidBit::Ebx, 5, CpuidBit::Avx},
    {"bmi2", 7, 0, CpuidBit::Ebx, 8, CpuidBit::None},
    {"avx512f", 7, 0, CpuidBit::Ebx, 16, CpuidBit::Avx512},
    {"avx512dq", 7, 0, CpuidBit::Ebx, 17, CpuidBit::Avx512},
    {"avx512cd", 7, 0, CpuidBit::Ebx, 28, CpuidBit::Avx512},
    {"avx512bw", 7, 0, CpuidBit::Ebx, 30, CpuidBit::Avx512},
    {"avx512vl", 7, 0, CpuidBit::Ebx, 31, CpuidBit::Avx512},
    {"avx512vnni", 7, 0, CpuidBit::Ecx, 11, CpuidBit::Avx512},
    {"avx512fp16", 7, 0, CpuidBit::Edx, 23, CpuidBit::Avx512},
    {"amx-bf16", 7, 0, CpuidBit::Edx, 22, CpuidBit::Amx},
    {"amx-tile", 7, 0, CpuidBit::Edx, 24, CpuidBit::Amx},
    {"amx-int8", 7, 0, CpuidBit::Edx, 25, CpuidBit::Amx},
    {"avxvnni", 7, 1, CpuidBit::Eax, 4, CpuidBit::Avx},
    {"avx512bf16", 7, 1, CpuidBit::Eax, 5, CpuidBit::Avx512},
    {"amx-fp16", 7, 1, CpuidBit::Eax, 21, CpuidBit::Amx},
    {"avxifma", 7, 1, CpuidBit::Eax, 23, CpuidBit::Avx},
    {"avxvnniint8", 7, 1, CpuidBit::Edx, 4, CpuidBit::Avx},
    {"avxneconvert", 7, 1, CpuidBit::Edx, 5, CpuidBit::Avx},
};
static_assert(std::size(kCpuidBits) == kRecordedCpuFeatures.size(),
              "every recorded feature has its CPUID bit");

std::set<std::string> readHostCpuFeatures() {
  std::set<std::string> features;
  unsigned maxLeaf = __get_cpuid_max(0, nullptr);
  unsigned eax, ebx, ecx, edx;
  if (maxLeaf < 1 || !__get_cpuid(1, &eax, &ebx, &ecx, &edx))
    return features;
  // XCR0 through XGETBV, which exists only where the OS set OSXSAVE.
  unsigned long long xcr0 = 0;
  if (ecx & (1u << 27)) {
    unsigned low, high;
    __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    xcr0 = (static_cast<unsigned long long>(high) << 32) | low;
  }
  bool avxState = (xcr0 & 0x6) == 0x6;                 // SSE, YMM
  bool avx512State = avxState && (xcr0 & 0xe0) == 0xe0; // opmask, ZMM
  bool amxState = (xcr0 & 0x60000) == 0x60000 &&        // XTILECFG, XTILEDATA
                  ::moe::requestAmxTiles();
  for (const CpuidBit &entry : kCpuidBits) {
    if (entry.leaf > maxLeaf ||
        !__get_cpuid_count(entry.leaf, entry.subleaf, &eax, &ebx, &ecx, &edx))
      continue;
    unsigned value = entry.reg == CpuidBit::Eax   ? eax
                     : entry.reg == CpuidBit::Ebx ? ebx
                     : entry.reg == CpuidBit::Ecx ? ecx
                                                  : edx;
    bool state = entry.state == CpuidBit::None     ? true
                 : entry.state == CpuidBit::Avx    ? avxState
                 : entry.state == CpuidBit::Avx512 ? avx512State
                                                   : amxState;
    if ((value >> entry.bit) & 1 && state)
      features.insert(entry.feature);
  }
  return features;
}
#endif

} // namespace

const std::set<std::string> &hostCpuFeatures() {
#if defined(__x86_64__)
  static const std::set<std::string> features = readHostCpuFeatures();
#else
  static const std::set<std::string> features;
#endif
  return features;
}

std::vector<std::string> missingCpuFeatures(
    const std::vector<std::string> &required, const std::set<std::string> &host) {
  // `host` holds recorded features only, so a name this runtime does not
  // know is missing as well.
  std::vector<std::string> missing;
  for (const std::string &feature : required)
    if (!host.count(feature))
      missing.push_back(feature);
  return missing;
}

} // namespace moe::runtime
