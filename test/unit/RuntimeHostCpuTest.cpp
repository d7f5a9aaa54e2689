//===- RuntimeHostCpuTest.cpp - CPU features and the artifact load check --===//
//
// The runtime reads this CPU's features with CPUID; here they are compared
// with the compiler's own reading (__builtin_cpu_supports), and an artifact
// whose manifest asks for a feature this CPU lacks must be refused, naming
// it, before any of its code runs.
//
//===----------------------------------------------------------------------===//
#include "HostCpu.h"
#include "Manifest.h"
#include "RuntimeTestUtil.h"

#include "moe/Support/CpuFeatures.h"
#include "moe/Support/HostAmx.h"

#include <gtest/gtest.h>

#include <algorithm>

using namespace moe::runtime;
using namespace moe::runtime::test;

namespace {

TEST(RuntimeHostCpu, FeaturesAgreeWithTheCompilersReading) {
#if !defined(__x86_64__)
  GTEST_SKIP() << "CPU features are read on x86-64 only";
#else
  struct Reading {
    const char *feature;
    bool present;
  };
  // Every feature here is also in kRecordedCpuFeatures; the rest of that
  // list (avxifma, amx-fp16, ...) is newer than the compilers' tables.
  const Reading readings[] = {
      {"sse4.2", !!__builtin_cpu_supports("sse4.2")},
      {"avx", !!__builtin_cpu_supports("avx")},
      {"avx2", !!__builtin_cpu_supports("avx2")},
      {"fma", !!__builtin_cpu_supports("fma")},
      {"f16c", !!__builtin_cpu_supports("f16c")},
      {"bmi", !!__builtin_cpu_supports("bmi")},
      {"bmi2", !!__builtin_cpu_supports("bmi2")},
      {"avx512f", !!__builtin_cpu_supports("avx512f")},
      {"avx512dq", !!__builtin_cpu_supports("avx512dq")},
      {"avx512cd", !!__builtin_cpu_supports("avx512cd")},
      {"avx512bw", !!__builtin_cpu_supports("avx512bw")},
      {"avx512vl", !!__builtin_cpu_supports("avx512vl")},
      {"avx512vnni", !!__builtin_cpu_supports("avx512vnni")},
      {"avx512bf16", !!__builtin_cpu_supports("avx512bf16")},
      {"avx512fp16", !!__builtin_cpu_supports("avx512fp16")},
      {"avxvnni", !!__builtin_cpu_supports("avxvnni")},
      // AMX counts only once Linux granted the tiles.
      {"amx-tile", __builtin_cpu_supports("amx-tile") && moe::requestAmxTiles()},
      {"amx-bf16", __builtin_cpu_supports("amx-bf16") && moe::requestAmxTiles()},
      {"amx-int8", __builtin_cpu_supports("amx-int8") && moe::requestAmxTiles()},
  };
  const std::set<std::string> &host = hostCpuFeatures();
  for (const Reading &reading : readings) {
    EXPECT_NE(std::find(moe::kRecordedCpuFeatures.begin(),
                        moe::kRecordedCpuFeatures.end(), reading.feature),
              moe::kRecordedCpuFeatures.end())
        << reading.feature;
    EXPECT_EQ(host.count(reading.feature) == 1, reading.present)
        << reading.feature;
  }
  for (const std::string &feature : host)
    EXPECT_NE(std::find(moe::kRecordedCpuFeatures.begin(),
                        moe::kRecordedCpuFeatures.end(), feature),
              moe::kRecordedCpuFeatures.end())
        << feature;
#endif
}

TEST(RuntimeHostCpu, MissingFeaturesKeepTheManifestsOrder) {
  std::set<std::string> host = {"avx", "avx2", "fma"};
  EXPECT_EQ(missingCpuFeatures({"avx2", "avx512f", "fma", "amx-tile"}, host),
            (std::vector<std::string>{"avx512f", "amx-tile"}));
  EXPECT_TRUE(missingCpuFeatures({}, host).empty());
  // A name this runtime cannot check is missing: running it could crash.
  EXPECT_EQ(missingCpuFeatures({"avx", "avx10.7"}, host),
            (std::vector<std::string>{"avx10.7"}));
}

/// The template artifact (an empty-entry manifest stamped into its slot)
/// asking for `features`.
std::string artifactAsking(const TempDir &dir, const std::string &name,
                           const std::string &features) {
  std::string bytes = readBytes(MOE_TEST_ARTIFACT_TEMPLATE);
  size_t slot = bytes.find("MOE-FAKE-MANIFEST-SLOT");
  EXPECT_NE(slot, std::string::npos);
  std::string manifest =
      "{\"format\": 2, \"compiler\": \"test\", \"target\": \"cpu\", "
      "\"cpu\": \"somecpu\", \"cpu_features\": [" +
      features + "], \"checks\": false, \"entries\": []}";
  bytes.replace(slot, manifest.size() + 1, manifest + '\0');
  std::string path = dir.file(name);
  writeBytes(path, bytes);
  return path;
}

TEST(RuntimeHostCpu, ArtifactNeedingAFeatureThisCpuLacksIsRefused) {
  const std::set<std::string> &host = hostCpuFeatures();
  auto absent = std::find_if(
      moe::kRecordedCpuFeatures.begin(), moe::kRecordedCpuFeatures.end(),
      [&](std::string_view feature) {
        return !host.count(std::string(feature));
      });
  if (absent == moe::kRecordedCpuFeatures.end())
    GTEST_SKIP() << "this CPU has every feature the runtime checks";
  std::string missing(*absent);

  Context context;
  TempDir dir;
  // What this CPU has loads.
  std::string present;
  for (const std::string &feature : host)
    present += (present.empty() ? "\"" : ", \"") + feature + "\"";
  Module fits;
  EXPECT_EQ(moe_load_artifact(context, artifactAsking(dir, "fits.so", present)
                                           .c_str(),
                              fits.out()),
            MOE_OK)
      << moe_last_error();

  std::string path = artifactAsking(
      dir, "other-cpu.so",
      present + (present.empty() ? "\"" : ", \"") + missing + "\"");
  Module refused;
  EXPECT_EQ(moe_load_artifact(context, path.c_str(), refused.out()),
            MOE_ERROR_INVALID_ARGUMENT);
  std::string message = moe_last_error();
  EXPECT_NE(message.find("cannot run artifact '" + path + "' here"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("compiled for CPU 'somecpu' and uses " + missing +
                         ", which this CPU lacks"),
            std::string::npos)
      << message;
}

TEST(RuntimeHostCpu, CpuFeaturesMustBeStrings) {
  Manifest manifest;
  Error error = parseManifest(
      "{\"format\": 2, \"compiler\": \"c\", \"target\": \"cpu\", "
      "\"cpu_features\": [\"avx\", 3], \"entries\": []}",
      manifest);
  EXPECT_NE(error.message.find("\"cpu_features\" holds a value that is not "
                               "a string"),
            std::string::npos)
      << error.message;
  error = parseManifest("{\"format\": 2, \"compiler\": \"c\", \"target\": "
                        "\"cpu\", \"cpu_features\": [\"avx\", \"fma\"], "
                        "\"entries\": []}",
                        manifest);
  EXPECT_TRUE(error.message.empty()) << error.message;
  EXPECT_EQ(manifest.cpuFeatures, (std::vector<std::string>{"avx", "fma"}));
}

} // namespace
