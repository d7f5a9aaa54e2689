//===- Report.cpp - moe-bench's results: a table or one JSON object -------===//

#include "Report.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>

namespace moe::bench {

namespace {

std::string format(const char *fmt, ...) {
  char buffer[256];
  va_list args;
  va_start(args, fmt);
  vsnprintf(buffer, sizeof buffer, fmt, args);
  va_end(args);
  return buffer;
}

double gflops(const TokenResult &r) { return r.work.flops / r.ms / 1e6; }
double gbs(const TokenResult &r) { return r.work.bytes / r.ms / 1e6; }
double rooflinePct(const TokenResult &r) {
  return 100.0 * r.rooflineMs / r.ms;
}

const char *peerStatus(PeerResult::Status status) {
  switch (status) {
  case PeerResult::Status::NotRequested:
    return "not requested";
  case PeerResult::Status::Ran:
    return "ran";
  case PeerResult::Status::Skipped:
    return "skipped";
  case PeerResult::Status::Failed:
    return "failed";
  }
  return "?";
}

/// Columns sized to their widest cell: numbers right-aligned, the check
/// column (words) left-aligned.
void printRows(const std::vector<std::vector<std::string>> &rows,
               size_t leftColumn) {
  std::vector<size_t> width;
  for (const auto &row : rows)
    for (size_t c = 0; c < row.size(); ++c) {
      width.resize(std::max(width.size(), row.size()), 0);
      width[c] = std::max(width[c], row[c].size());
    }
  for (const auto &row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      std::string pad(width[c] - row[c].size(), ' ');
      line += (c ? "  " : "") +
              (c == leftColumn ? row[c] + pad : pad + row[c]);
    }
    while (!line.empty() && line.back() == ' ')
      line.pop_back();
    printf("%s\n", line.c_str());
  }
}

nlohmann::json checkJson(const CheckResult &check) {
  nlohmann::json json;
  json["status"] = check.status == CheckResult::Status::Ok       ? "ok"
                   : check.status == CheckResult::Status::Failed ? "failed"
                                                                 : "skipped";
  if (check.status == CheckResult::Status::Skipped) {
    json["reason"] = "capacity";
    return json;
  }
  json["tokens"] = check.tokens;
  json["max_abs_error"] = check.maxAbsError;
  json["max_rel_error"] = check.maxRelError;
  json["max_abs_ref"] = check.maxRef;
  json["tolerance"] = check.tolerance;
  json["finite"] = check.finite;
  return json;
}

} // namespace

void printTable(const Report &report) {
  printf("moe-bench:  %s\n", report.shape.c_str());
  printf("layer:      %s\n", report.spec.c_str());
  printf("backend:    %s, %d thread%s (OMP_NUM_THREADS=%d)\n",
         report.backend.c_str(), report.threads,
         report.threads == 1 ? "" : "s", report.threads);
  const MachineInfo &m = report.machine;
  printf("machine:    FMA peak %.1f GFLOP/s (f32, %s, %d thread%s); read "
         "bandwidth %.1f GB/s (%.0f MiB, %s sum, best of 4)\n",
         m.fmaGflops, m.fmaIsa.c_str(), m.threads,
         m.threads == 1 ? "" : "s", m.bandwidthGbs,
         static_cast<double>(m.bandwidthBytes) / (1 << 20), m.sumIsa.c_str());
  if (report.evictBytes)
    printf("caches:     emptied before each timed run (every thread sums "
           "its part of %.0f MiB)\n",
           static_cast<double>(report.evictBytes) / (1 << 20));
  printf("compile:    %.3f ms (%s)\n", report.compile.ms,
         report.compile.cacheHit
             ? ("cache hit: " + report.compile.cache).c_str()
             : "compiled: cache miss");
  printf("checks:     runtime contract checks %s; output against the scalar "
         "reference on %s\n",
         report.compile.checks ? "on" : "off", report.checkScope.c_str());
  if (report.openblasStatus == "ran")
    printf("openblas:   %s; %s\n", report.openblasLibrary.c_str(),
           report.openblasWeights.c_str());
  else if (report.openblasStatus == "disabled")
    printf("openblas:   skipped (--no-baseline)\n");
  else
    printf("openblas:   %s\n", report.openblasLibrary.c_str());
  const PeerResult &torch = report.torch;
  if (torch.status == PeerResult::Status::Ran)
    printf("peer torch: torch %s, Qwen3MoeSparseMoeBlock expert loop%s%s\n",
           torch.version.c_str(), torch.note.empty() ? "" : "; ",
           torch.note.c_str());
  else if (torch.status != PeerResult::Status::NotRequested)
    printf("peer torch: %s (%s)\n", peerStatus(torch.status),
           torch.reason.c_str());
  printf("\n");

  std::vector<std::vector<std::string>> rows;
  rows.push_back({"T", "ms", "GFLOP/s", "GB/s", "roofline", "check",
                  "openblas ms", "ratio", "torch ms", "ratio"});
  for (const TokenResult &r : report.results) {
    std::vector<std::string> row;
    row.push_back(std::to_string(r.work.tokens));
    row.push_back(format("%.3f", r.ms));
    row.push_back(format("%.2f", gflops(r)));
    row.push_back(format("%.2f", gbs(r)));
    row.push_back(report.roofline ? format("%.3g%%", rooflinePct(r)) : "-");
    row.push_back(r.check.word());
    row.push_back(r.openblas ? format("%.3f", r.openblas->ms) : "-");
    row.push_back(r.openblas ? format("%.2f", r.ms / r.openblas->ms) : "-");
    row.push_back(r.torchMs ? format("%.3f", *r.torchMs) : "-");
    row.push_back(r.torchMs ? format("%.2f", r.ms / *r.torchMs) : "-");
    rows.push_back(std::move(row));
  }
  printRows(rows, /*leftColumn=*/5);
  printf("\nms: best of %d run%s after one warm-up%s. GB/s: weight bytes "
         "read (experts hit, router, shared expert) / time.\n",
         report.repeat, report.repeat == 1 ? "" : "s",
         report.evictBytes ? ", caches emptied before each" : "");
  printf("roofline: max(FLOPs / FMA peak, bytes / bandwidth) / time. ratio: "
         "moe-mlir ms / baseline ms (above 1: moe-mlir is slower).\n");

  for (const TokenResult &r : report.results) {
    if (r.check.status == CheckResult::Status::Failed)
      printf("check T=%lld: max abs error %.3g, max rel error %.3g (relative "
             "to max |ref| = %.4g) on the first %lld token%s; tolerance "
             "%.0e: %s\n",
             static_cast<long long>(r.work.tokens), r.check.maxAbsError,
             r.check.maxRelError, r.check.maxRef,
             static_cast<long long>(r.check.tokens),
             r.check.tokens == 1 ? "" : "s", r.check.tolerance,
             r.check.word());
    if (r.openblas &&
        r.openblas->check.status == CheckResult::Status::Failed)
      printf("warning: the openblas baseline differs from the reference at "
             "T=%lld: max rel error %.3g (tolerance %.0e)\n",
             static_cast<long long>(r.work.tokens),
             r.openblas->check.maxRelError, r.openblas->check.tolerance);
  }
}

nlohmann::json toJson(const Report &report) {
  nlohmann::json json;
  json["shape"] = report.shape;
  json["spec"] = report.spec;
  json["dtype"] = report.dtype;
  json["backend"] = report.backend;
  json["threads"] = report.threads;
  json["repeat"] = report.repeat;
  json["seed"] = report.seed;
  json["cold"] = report.evictBytes != 0;
  json["evict_bytes"] = report.evictBytes;
  const MachineInfo &m = report.machine;
  json["machine"] = {{"threads", m.threads},
                     {"fma_peak_gflops", m.fmaGflops},
                     {"fma_isa", m.fmaIsa},
                     {"bandwidth_gbs", m.bandwidthGbs},
                     {"bandwidth_bytes", m.bandwidthBytes},
                     {"sum_isa", m.sumIsa}};
  json["compile"] = {{"ms", report.compile.ms},
                     {"cache", report.compile.cache},
                     {"cache_hit", report.compile.cacheHit},
                     {"checks", report.compile.checks},
                     {"compiler", report.compile.compiler}};
  json["openblas"] = {{"status", report.openblasStatus},
                      {"library", report.openblasLibrary},
                      {"weights", report.openblasWeights}};
  nlohmann::json torch = {{"status", peerStatus(report.torch.status)}};
  if (!report.torch.reason.empty())
    torch["reason"] = report.torch.reason;
  if (!report.torch.version.empty())
    torch["version"] = report.torch.version;
  if (!report.torch.note.empty())
    torch["note"] = report.torch.note;
  json["peer_torch"] = torch;

  nlohmann::json results = nlohmann::json::array();
  for (const TokenResult &r : report.results) {
    nlohmann::json row;
    row["tokens"] = r.work.tokens;
    row["ms"] = r.ms;
    row["flops"] = r.work.flops;
    row["gflops"] = gflops(r);
    row["bytes"] = r.work.bytes;
    row["gbs"] = gbs(r);
    row["experts_hit"] = r.work.expertsHit;
    if (report.roofline) {
      row["roofline_ms"] = r.rooflineMs;
      row["roofline_pct"] = rooflinePct(r);
    } else {
      row["roofline_ms"] = nullptr;
      row["roofline_pct"] = nullptr;
    }
    row["check"] = checkJson(r.check);
    if (r.openblas)
      row["openblas"] = {{"ms", r.openblas->ms},
                         {"ratio", r.ms / r.openblas->ms},
                         {"check", checkJson(r.openblas->check)}};
    else
      row["openblas"] = nullptr;
    if (r.torchMs)
      row["torch"] = {{"ms", *r.torchMs}, {"ratio", r.ms / *r.torchMs}};
    else
      row["torch"] = nullptr;
    results.push_back(std::move(row));
  }
  json["results"] = std::move(results);
  return json;
}

} // namespace moe::bench
