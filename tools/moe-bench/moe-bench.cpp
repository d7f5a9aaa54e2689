//===- moe-bench.cpp - time a MoE layer against the machine's roofline ----===//
//
//   moe-bench --shape qwen3-30b-a3b|mixtral-8x7b|deepseek-v3|SPEC
//             [--tokens 1,32,128,512,2048] [--backend cpu] [--dtype bf16]
//             [--threads N] [--repeat N] [--seed S] [--json]
//             [--peer torch] [--no-baseline] [--tile-table FILE]
//
// Compiles the layer once through libmoe_runtime (one artifact serves every
// T), runs it at each token count and prints ms, GFLOP/s, GB/s of weights
// read and the % of the roofline measured on this machine at start, checks
// the result against the scalar reference, and times the same layer, inputs
// and routing in a per-expert OpenBLAS loop (and, with --peer torch, in the
// Hugging Face PyTorch block) in the same run (DESIGN.md §6).
//
// Exit status: 0 success, 1 an error or a failed check, 2 bad usage.
//
//===----------------------------------------------------------------------===//

#include "Baseline.h"
#include "Check.h"
#include "Inputs.h"
#include "Machine.h"
#include "PeerTorch.h"
#include "Report.h"
#include "Shapes.h"
#include "Timing.h"
#include "Workload.h"

#include "moe/Reference/Reference.h"
#include "moe/Runtime/moe_runtime.h"
#include "moe/Spec/LayerSpec.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace moe::bench;

namespace {

/// An error already explained on stderr.
struct Failure {
  int code = 1;
};

[[noreturn]] void fail(const std::string &message, int code = 1) {
  fprintf(stderr, "moe-bench: error: %s\n", message.c_str());
  throw Failure{code};
}

void check(moe_status_t status, const std::string &what) {
  if (status != MOE_OK)
    fail(what + ": " + moe_last_error());
}

struct Options {
  std::string shape;
  std::string tokens = "1,32,128,512,2048";
  std::string backend = "cpu";
  std::string dtype;
  int threads = 0;
  bool threadsGiven = false; // else every core
  int repeat = 5;
  uint64_t seed = 0;
  bool json = false;
  std::string peer;
  bool noBaseline = false;
  std::string tileTable;
  bool cold = false;
};

struct ModuleHandle {
  moe_module_t module = nullptr;
  ~ModuleHandle() { moe_module_release(module); }
};
struct ContextHandle {
  moe_context_t context = nullptr;
  ~ContextHandle() { moe_context_destroy(context); }
};

/// Progress on a terminal: a real shape takes minutes, and the table only
/// comes at the end.
void progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void progress(const char *fmt, ...) {
  static const bool tty = isatty(STDERR_FILENO);
  if (!tty)
    return;
  va_list args;
  va_start(args, fmt);
  fprintf(stderr, "moe-bench: ");
  vfprintf(stderr, fmt, args);
  fprintf(stderr, "\n");
  va_end(args);
}

/// /proc/meminfo's MemAvailable in bytes, or 0 when unknown.
double availableMemory() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  double kib = 0;
  std::string unit;
  while (meminfo >> key >> kib >> unit)
    if (key == "MemAvailable:")
      return kib * 1024;
  return 0;
}

int run(const Options &options) {
  // Usage first: every mistake in the arguments exits 2 before any work.
  std::string error;
  std::optional<std::vector<int64_t>> tokenList =
      parseTokenList(options.tokens, error);
  if (!tokenList)
    fail(error, 2);
  if (options.shape.empty())
    fail("--shape is required: one of " + namedShapeList() +
             ", or a layer spec (experts=8,k=2,hidden=64,inter=32,...)",
         2);
  std::optional<moe::LayerSpec> spec =
      resolveShape(options.shape, options.dtype, error);
  if (!spec)
    fail(error, 2);
  if (options.repeat < 1)
    fail("--repeat must be >= 1", 2);
  if (options.threadsGiven && options.threads < 1)
    fail("--threads must be >= 1", 2);
  moe_backend_t backend;
  if (moe_backend_from_name(options.backend.c_str(), &backend) != MOE_OK)
    fail("--backend " + options.backend +
             " is not one of cpu, emu, cuda, hip, auto",
         2);

  // The thread count, before anything that starts threads is loaded: the
  // compiled CPU code's OpenMP runtime reads OMP_NUM_THREADS when the
  // artifact is loaded, and OpenBLAS is told directly (it read the variable
  // when the process started).
  int threads = options.threads;
  if (!options.threadsGiven)
    threads = std::max(1u, std::thread::hardware_concurrency());
  setenv("OMP_NUM_THREADS", std::to_string(threads).c_str(), 1);
  openblasSetThreads(threads);

  const std::vector<int64_t> &tokens = *tokenList;
  const int64_t maxTokens = *std::max_element(tokens.begin(), tokens.end());
  double needed = inputBytes(*spec, maxTokens);
  double available = availableMemory();
  if (available > 0 && needed > 0.9 * available) {
    char message[320];
    snprintf(message, sizeof message,
             "the layer's inputs need %.1f GiB here (f32 values for the "
             "reference and the baseline, plus the compiled code's copy when "
             "the dtype is not f32) but only %.1f GiB of memory is available",
             needed / (1 << 30), available / (1 << 30));
    fail(message);
  }

  Report report;
  report.shape = options.shape;
  report.spec = spec->str();
  report.dtype = moe::ref::toString(spec->dtype);
  report.threads = threads;
  report.repeat = options.repeat;
  report.seed = options.seed;
  report.checkScope = spec->capacityFactor
                          ? "all T tokens while T <= 64 (a capacity factor "
                            "couples the tokens), none past that"
                          : "the first min(T, 16) tokens";

  progress("measuring the machine on %d threads", threads);
  report.machine = measureMachine(threads);
  std::unique_ptr<CacheEvictor> evictor;
  std::function<void()> beforeEachRun;
  if (options.cold) {
    evictor = std::make_unique<CacheEvictor>(threads);
    report.evictBytes = evictor->bytes();
    beforeEachRun = [&evictor] { evictor->evict(); };
  }

  if (options.peer == "torch") {
    progress("running the PyTorch peer");
    report.torch = runPeerTorch(report.spec, tokens, threads, options.repeat,
                                options.seed, report.evictBytes);
  }

  ContextHandle context;
  check(moe_context_create(backend, &context.context), "creating a context");
  moe_backend_t resolved = backend;
  check(moe_context_backend(context.context, &resolved), "the context");
  report.backend = moe_backend_name(resolved);
  report.roofline = resolved == MOE_BACKEND_CPU;

  progress("compiling %s", report.spec.c_str());
  moe_compile_options_t compileOptions;
  moe_compile_options_init(&compileOptions);
  if (!options.tileTable.empty())
    compileOptions.tile_table = options.tileTable.c_str();
  ModuleHandle module;
  check(moe_compile_layer(context.context, report.spec.c_str(),
                          &compileOptions, &module.module),
        "compiling the layer");
  moe_module_info_t info;
  check(moe_module_info(module.module, &info), "the module");
  report.compile.ms = info.compile_time_ms;
  report.compile.cache = moe_cache_state_name(info.cache_state);
  report.compile.cacheHit = info.cache_state == MOE_CACHE_MEMORY ||
                            info.cache_state == MOE_CACHE_DISK;
  report.compile.checks = info.checks != 0;
  report.compile.compiler = info.compiler ? info.compiler : "";

  progress("making random inputs for T <= %lld",
           static_cast<long long>(maxTokens));
  LayerInputs inputs(*spec, maxTokens, options.seed);
  Routing routing(*spec, inputs);

  // The compiled layer at every T first, then the baseline at every T: the
  // two thread pools (OpenMP's and OpenBLAS's) spin for a while after each
  // call, and must not steal each other's cores while timed.
  const int64_t hidden = spec->hidden;
  std::map<int64_t, moe::ref::Tensor> references; // by tokens covered
  std::vector<moe::ref::Tensor> referenceOf(tokens.size());
  for (size_t n = 0; n < tokens.size(); ++n) {
    const int64_t t = tokens[n];
    progress("T=%lld: moe-mlir", static_cast<long long>(t));
    std::vector<moe_buffer_t> in = inputs.buffers(t);
    LayerOutput out(spec->dtype, inputs.args[0].dtype, t, hidden);
    TokenResult result;
    result.ms = bestMs(options.repeat, [&] {
      check(moe_run(module.module, nullptr, in.data(), in.size(),
                    &out.buffer(), 1),
            "running the layer at T=" + std::to_string(t));
    }, beforeEachRun);
    result.work = workload(*spec, t, routing.expertsHit(t));
    result.rooflineMs = rooflineMs(result.work, report.machine);

    int64_t checked = checkedTokens(*spec, t);
    if (checked > 0) {
      progress("T=%lld: reference on %lld tokens", static_cast<long long>(t),
               static_cast<long long>(checked));
      // Without a capacity factor the first 16 tokens are the same for
      // every T >= 16: one reference run serves them all.
      auto it = references.find(checked);
      if (spec->capacityFactor || it == references.end())
        it = references.insert_or_assign(
                           checked, referenceOutput(*spec, inputs, checked))
                 .first;
      referenceOf[n] = it->second;
      std::vector<float> got = out.values(checked * hidden);
      result.check = compare(referenceOf[n], got.data(), spec->dtype);
    } else {
      result.check = skippedCheck();
    }
    auto torch = report.torch.ms.find(t);
    if (torch != report.torch.ms.end())
      result.torchMs = torch->second;
    report.results.push_back(std::move(result));
  }

  if (options.noBaseline) {
    report.openblasStatus = "disabled";
  } else if (!openblasAvailable()) {
    report.openblasStatus = "unavailable";
    report.openblasLibrary = openblasDescription();
  } else {
    report.openblasStatus = "ran";
    report.openblasLibrary = openblasDescription();
    report.openblasWeights =
        spec->dtype == moe::ref::DType::F32
            ? std::string("f32 weights, the same as moe-mlir's")
            : std::string("f32 weights converted from ") + report.dtype +
                  " once, before timing (moe-mlir reads " + report.dtype +
                  ")";
    OpenBlasBaseline baseline(*spec, inputs, routing);
    for (size_t n = 0; n < tokens.size(); ++n) {
      const int64_t t = tokens[n];
      progress("T=%lld: openblas", static_cast<long long>(t));
      baseline.prepare(t);
      BaselineRun run;
      run.ms = bestMs(options.repeat, [&] { baseline.run(); }, beforeEachRun);
      TokenResult &result = report.results[n];
      run.check = result.check.status == CheckResult::Status::Skipped
                      ? skippedCheck()
                      : compare(referenceOf[n], baseline.output().data(),
                                spec->dtype);
      result.openblas = run;
    }
  }

  if (options.json)
    printf("%s\n", toJson(report).dump(2).c_str());
  else
    printTable(report);
  for (const TokenResult &r : report.results)
    if (r.check.status == CheckResult::Status::Failed)
      return 1;
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  Options options;
  CLI::App app{"Times a MoE layer at several token counts: ms, GFLOP/s, GB/s "
               "of weights and % of the roofline measured on this machine, "
               "checked against the reference and compared with an OpenBLAS "
               "per-expert loop.",
               "moe-bench"};
  app.add_option("--shape", options.shape,
                 "qwen3-30b-a3b | mixtral-8x7b | deepseek-v3 | a layer spec "
                 "(experts=8,k=2,hidden=64,inter=32,...)");
  app.add_option("--tokens", options.tokens,
                 "the token counts, comma-separated")
      ->capture_default_str();
  app.add_option("--backend", options.backend, "cpu | emu | cuda | hip | auto")
      ->capture_default_str();
  app.add_option("--dtype", options.dtype,
                 "f32 | f16 | bf16: the layer's dtype (default bf16; a layer "
                 "spec may carry its own)");
  app.add_option("--threads", options.threads,
                 "threads of the compiled code (OMP_NUM_THREADS), the "
                 "baseline and the probes (default: every core)");
  app.add_option("--repeat", options.repeat,
                 "timed runs per T after one warm-up; the best is reported")
      ->capture_default_str();
  app.add_option("--seed", options.seed,
                 "seed of the random inputs (those of moe-run --seed)")
      ->capture_default_str();
  app.add_flag("--json", options.json, "print one JSON object, no table");
  app.add_option("--peer", options.peer,
                 "torch: also time the Hugging Face MoE block in PyTorch "
                 "(peer_torch.py)")
      ->check(CLI::IsMember({"torch"}));
  app.add_flag("--no-baseline", options.noBaseline,
               "skip the OpenBLAS baseline");
  app.add_flag("--cold", options.cold,
               "empty the caches before each timed run (of moe-mlir, the "
               "baseline and the peer): weights come from memory, as in a "
               "model whose other layers ran in between");
  app.add_option("--tile-table", options.tileTable,
                 "cpu: a tuning table (JSON, written by moe-tune) replacing "
                 "the built-in tuning/cpu-tiles.json");
  app.set_version_flag("--version", moe_runtime_version());
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp &e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp &e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion &e) {
    return app.exit(e);
  } catch (const CLI::ParseError &e) {
    app.exit(e);
    return 2;
  }
  options.threadsGiven = app.count("--threads") > 0;
  try {
    return run(options);
  } catch (const Failure &failure) {
    return failure.code;
  } catch (const std::bad_alloc &) {
    fprintf(stderr, "moe-bench: error: out of memory\n");
    return 1;
  } catch (const std::exception &e) {
    fprintf(stderr, "moe-bench: error: %s\n", e.what());
    return 1;
  }
}
