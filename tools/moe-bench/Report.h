//===- Report.h - moe-bench's results: a table or a JSON object -*- C++ -*-===//
#ifndef MOE_TOOLS_MOE_BENCH_REPORT_H
#define MOE_TOOLS_MOE_BENCH_REPORT_H

#include "Check.h"
#include "Machine.h"
#include "PeerTorch.h"
#include "Workload.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace moe::bench {

struct CompileInfo {
  double ms = 0;
  std::string cache; ///< moe_cache_state_name: compiled, memory, disk
  bool cacheHit = false;
  bool checks = true;
  std::string compiler;
};

struct BaselineRun {
  double ms = 0;
  CheckResult check; ///< the baseline against the same reference
};

struct TokenResult {
  Workload work;
  double ms = 0;
  double rooflineMs = 0;
  CheckResult check;
  std::optional<BaselineRun> openblas;
  std::optional<double> torchMs;
};

struct Report {
  std::string shape; ///< --shape as given
  std::string spec;  ///< the canonical layer spec
  std::string dtype;
  std::string backend;
  int threads = 1;
  int repeat = 1;
  uint64_t seed = 0;
  MachineInfo machine;
  /// --cold: the bytes read to empty the caches before each timed run (0:
  /// caches stay warm between runs).
  int64_t evictBytes = 0;
  /// The roofline is the host's, so it is only reported for the cpu backend.
  bool roofline = true;
  CompileInfo compile;
  /// Which tokens of each T are compared with the reference.
  std::string checkScope;
  /// "ran", "disabled" (--no-baseline) or "unavailable" (built without it).
  std::string openblasStatus;
  std::string openblasLibrary;
  std::string openblasWeights; ///< how the baseline reads the weights
  PeerResult torch;
  std::vector<TokenResult> results;
};

void printTable(const Report &report);
nlohmann::json toJson(const Report &report);

} // namespace moe::bench

#endif // MOE_TOOLS_MOE_BENCH_REPORT_H
