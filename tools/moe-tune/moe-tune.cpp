//===- moe-tune.cpp - measure a layer's grouped GEMM tiles ----------------===//
//
//   moe-tune --shape qwen3-30b-a3b|mixtral-8x7b|deepseek-v3|SPEC
//            [--dtype bf16] [--backend cpu] [--tokens 32,128,512]
//            [--table tuning/cpu-tiles.json] [--repeat 3] [--threads N]
//            [--knobs tile.block_k,...] [--margin 0.02]
//
// Finds, for each grouped GEMM of the layer (gate/up and down), the tiles
// that run the whole layer fastest on this machine, and writes them into
// the tuning table that moe-select-tiles reads (TileTable.h). The search is
// coordinate descent from the table's current entry (else the heuristic of
// lib/Tiles/CpuTiles.cpp): one tile size at a time takes each candidate
// value, the layer is compiled with a table holding the candidate and timed
// at every --tokens count in turns with the best layer so far, and the
// candidate is kept when the geometric mean of its time ratios is below 1 by
// more than the noise margin. Every candidate's output is checked against
// the scalar reference first.
//
// Exit status: 0 success, 1 an error or a failed check, 2 bad usage.
//
//===----------------------------------------------------------------------===//

#include "Check.h"
#include "Inputs.h"
#include "Shapes.h"
#include "Timing.h"

#include "moe/Runtime/moe_runtime.h"
#include "moe/Spec/LayerSpec.h"
#include "moe/Tiles/CpuTiles.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace moe::bench;
using moe::tiles::TileSizes;
using nlohmann::json;

namespace {

struct Failure {
  int code = 1;
};

[[noreturn]] void fail(const std::string &message, int code = 1) {
  fprintf(stderr, "moe-tune: error: %s\n", message.c_str());
  throw Failure{code};
}

void check(moe_status_t status, const std::string &what) {
  if (status != MOE_OK)
    fail(what + ": " + moe_last_error());
}

struct Options {
  std::string shape;
  std::string dtype;
  std::string backend = "cpu";
  std::string tokens = "32,128,512";
  std::string table = MOE_TUNE_DEFAULT_TABLE;
  int repeat = 3;
  int threads = 0;
  uint64_t seed = 0;
  double margin = 0.02;
  std::string knobs; // comma-separated knob names; empty: all
};

/// One grouped GEMM of the layer: its table key and its tiles.
struct Gemm {
  std::string name; // gate_up, down
  json key;
  TileSizes tile;
  std::optional<TileSizes> smallTile, mediumTile;
};

json toJson(const TileSizes &tile) {
  return {{"block_m", tile.blockM},   {"block_n", tile.blockN},
          {"block_k", tile.blockK},   {"thread_m", tile.threadM},
          {"thread_n", tile.threadN}};
}

TileSizes tileFromJson(const json &value) {
  return {value.at("block_m").get<int64_t>(), value.at("block_n").get<int64_t>(),
          value.at("block_k").get<int64_t>(),
          value.at("thread_m").get<int64_t>(),
          value.at("thread_n").get<int64_t>()};
}

std::string describe(const TileSizes &tile) {
  char text[96];
  snprintf(text, sizeof text, "%lldx%lld k%lld reg %lldx%lld",
           static_cast<long long>(tile.blockM),
           static_cast<long long>(tile.blockN),
           static_cast<long long>(tile.blockK),
           static_cast<long long>(tile.threadM),
           static_cast<long long>(tile.threadN));
  return text;
}

/// A GEMM's tiles on one line: "tile ..., small ...[, medium ...]".
std::string describeTiles(const TileSizes &tile,
                          const std::optional<TileSizes> &small,
                          const std::optional<TileSizes> &medium) {
  std::string text = "tile " + describe(tile) + ", small " +
                     (small ? describe(*small) : std::string("-"));
  if (medium)
    text += ", medium " + describe(*medium);
  return text;
}

json keyOf(const std::string &isa, const moe::LayerSpec &spec, int64_t in,
           int64_t out, bool gated) {
  return {{"target", "cpu"},
          {"isa", isa},
          {"weights", moe::ref::toString(spec.dtype)},
          {"layout", spec.layout == moe::ref::WeightLayout::ExpertInOut
                         ? "eio"
                         : "eoi"},
          {"in", in},
          {"out", out},
          {"gated", gated}};
}

bool sameKey(const json &entry, const json &key) {
  for (const auto &[name, value] : key.items()) {
    if (name == "layout" && !entry.contains("layout")) {
      if (value != "eio")
        return false;
      continue;
    }
    if (!entry.contains(name) || entry.at(name) != value)
      return false;
  }
  return true;
}

/// The table file's JSON; a new table when it does not exist.
json readTable(const std::string &path) {
  std::ifstream in(path);
  if (!in)
    return {{"format", 1}, {"entries", json::array()}};
  json table;
  try {
    table = json::parse(in);
  } catch (const json::exception &e) {
    fail("tile table " + path + ": " + e.what());
  }
  if (!table.is_object() || table.value("format", 0) != 1 ||
      !table.contains("entries") || !table.at("entries").is_array())
    fail("tile table " + path +
         ": not a format-1 table (an object with \"format\": 1 and an "
         "\"entries\" array)");
  return table;
}

/// `table` with each GEMM's entry replaced (or appended).
json withEntries(json table, const std::vector<Gemm> &gemms,
                 const json &tuned = json()) {
  json &entries = table["entries"];
  for (const Gemm &gemm : gemms) {
    json entry = gemm.key;
    entry["tile"] = toJson(gemm.tile);
    entry["small_tile"] = gemm.smallTile ? toJson(*gemm.smallTile) : json();
    if (gemm.mediumTile)
      entry["medium_tile"] = toJson(*gemm.mediumTile);
    if (!tuned.is_null())
      entry["tuned"] = tuned;
    json kept = json::array();
    for (const json &old : entries)
      if (!sameKey(old, gemm.key))
        kept.push_back(old);
    kept.push_back(entry);
    entries = kept;
  }
  return table;
}

void writeFile(const std::string &path, const std::string &text) {
  std::string temporary = path + ".tmp." + std::to_string(getpid());
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << text;
    if (!out)
      fail("cannot write " + temporary);
  }
  if (rename(temporary.c_str(), path.c_str()) != 0)
    fail("cannot replace " + path);
}

/// A compiled layer.
class Module {
public:
  Module() = default;
  explicit Module(moe_module_t module) : module_(module) {}
  Module(Module &&other) noexcept : module_(other.module_) {
    other.module_ = nullptr;
  }
  Module &operator=(Module &&other) noexcept {
    std::swap(module_, other.module_);
    return *this;
  }
  ~Module() { moe_module_release(module_); }
  moe_module_t get() const { return module_; }

private:
  moe_module_t module_ = nullptr;
};

/// Both layers' best-of-N times at every T, measured alternately.
struct Comparison {
  std::vector<double> baseMs, candidateMs;
  /// The geometric mean over T of candidate / base.
  double ratio = 1;
};

/// Compiles the layer with given tiles, checks it, and times two compiled
/// layers against each other. The machine is shared and its speed drifts,
/// so a candidate is never compared with a time taken earlier: both run in
/// turns, at every T, and each keeps its best time.
class Evaluator {
public:
  Evaluator(const Options &options, const moe::LayerSpec &spec,
            const std::vector<int64_t> &tokens, json baseTable)
      : options_(options), spec_(spec), tokens_(tokens),
        baseTable_(std::move(baseTable)),
        inputs_(spec, *std::max_element(tokens.begin(), tokens.end()),
                options.seed) {
    check(moe_context_create(MOE_BACKEND_CPU, &context_), "creating a context");
    char name[] = "/tmp/moe-tune-XXXXXX";
    int fd = mkstemp(name);
    if (fd < 0)
      fail("cannot create a temporary tile table");
    close(fd);
    candidatePath_ = name;
    checkTokens_ = checkedTokens(spec, maxTokens());
    if (checkTokens_ > 0)
      reference_ = referenceOutput(spec, inputs_, checkTokens_);
  }
  ~Evaluator() {
    moe_context_destroy(context_);
    unlink(candidatePath_.c_str());
  }

  /// The layer with the tiles of `gemms`, checked against the reference.
  Module compile(const std::vector<Gemm> &gemms) {
    writeFile(candidatePath_, withEntries(baseTable_, gemms).dump(2));
    moe_compile_options_t compileOptions;
    moe_compile_options_init(&compileOptions);
    compileOptions.disk_cache = 0;
    compileOptions.tile_table = candidatePath_.c_str();
    moe_module_t raw = nullptr;
    check(moe_compile_layer(context_, spec_.str().c_str(), &compileOptions,
                            &raw),
          "compiling the layer");
    Module module(raw);
    if (checkTokens_ > 0) {
      int64_t t = maxTokens();
      std::vector<moe_buffer_t> in = inputs_.buffers(t);
      LayerOutput out(spec_.dtype, inputs_.args[0].dtype, t, spec_.hidden);
      run(module, in, out, t);
      std::vector<float> got = out.values(checkTokens_ * spec_.hidden);
      CheckResult result = moe::bench::compare(reference_, got.data(), spec_.dtype);
      if (result.status == CheckResult::Status::Failed)
        fail("tiles gave a wrong result at T=" + std::to_string(t) +
             " (max abs error " + std::to_string(result.maxAbsError) +
             "): a compiler bug, please report it with the tiles above");
    }
    return module;
  }

  Comparison compare(const Module &base, const Module &candidate) {
    Comparison result;
    double logSum = 0;
    for (int64_t t : tokens_) {
      std::vector<moe_buffer_t> in = inputs_.buffers(t);
      LayerOutput out(spec_.dtype, inputs_.args[0].dtype, t, spec_.hidden);
      run(base, in, out, t);
      run(candidate, in, out, t);
      double baseBest = 0, candidateBest = 0;
      for (int r = 0; r < options_.repeat; ++r) {
        double b = time(base, in, out, t), c = time(candidate, in, out, t);
        baseBest = r == 0 ? b : std::min(baseBest, b);
        candidateBest = r == 0 ? c : std::min(candidateBest, c);
      }
      result.baseMs.push_back(baseBest);
      result.candidateMs.push_back(candidateBest);
      logSum += std::log(candidateBest / baseBest);
    }
    result.ratio = std::exp(logSum / static_cast<double>(tokens_.size()));
    return result;
  }

private:
  int64_t maxTokens() const {
    return *std::max_element(tokens_.begin(), tokens_.end());
  }

  void run(const Module &module, std::vector<moe_buffer_t> &in,
           LayerOutput &out, int64_t t) {
    check(moe_run(module.get(), nullptr, in.data(), in.size(), &out.buffer(),
                  1),
          "running the layer at T=" + std::to_string(t));
  }

  double time(const Module &module, std::vector<moe_buffer_t> &in,
              LayerOutput &out, int64_t t) {
    auto start = std::chrono::steady_clock::now();
    run(module, in, out, t);
    return std::chrono::duration<double, std::milli>(
               std::chrono::steady_clock::now() - start)
        .count();
  }

  const Options &options_;
  const moe::LayerSpec &spec_;
  std::vector<int64_t> tokens_;
  json baseTable_;
  LayerInputs inputs_;
  moe_context_t context_ = nullptr;
  std::string candidatePath_;
  int64_t checkTokens_ = 0;
  moe::ref::Tensor reference_;
};

/// The values to try for one tile size, given the current tiles.
/// One candidate for a GEMM's tiles.
struct Choice {
  TileSizes tile;
  std::optional<TileSizes> small, medium;
  static Choice of(const Gemm &gemm) {
    return {gemm.tile, gemm.smallTile, gemm.mediumTile};
  }
  void applyTo(Gemm &gemm) const {
    gemm.tile = tile;
    gemm.smallTile = small;
    gemm.mediumTile = medium;
  }
  bool operator==(const Choice &other) const {
    return tile == other.tile && small == other.small &&
           medium == other.medium;
  }
};

struct Knob {
  const char *name;
  std::function<std::vector<Choice>(const Gemm &)> candidates;
};

std::vector<int64_t> multiplesUpTo(int64_t step, int64_t limit,
                                   std::initializer_list<int64_t> factors) {
  std::vector<int64_t> values;
  for (int64_t factor : factors)
    if (step * factor <= limit)
      values.push_back(step * factor);
  return values;
}

std::vector<Knob> knobs(const moe::tiles::VectorUnit &unit, int64_t in,
                        int64_t width) {
  std::vector<Knob> list;
  auto large = [](const Gemm &g, auto &&edit) {
    Choice choice = Choice::of(g);
    edit(choice.tile);
    return choice;
  };
  auto small = [](const Gemm &g, auto &&edit) {
    Choice choice = Choice::of(g);
    edit(*choice.small);
    return choice;
  };
  auto medium = [](const Gemm &g, auto &&edit) {
    Choice choice = Choice::of(g);
    edit(*choice.medium);
    return choice;
  };
  list.push_back({"tile.block_k", [=](const Gemm &g) {
                    std::vector<Choice> out;
                    for (int64_t k : {32, 64, 128, 256, 512})
                      if (k <= in)
                        out.push_back(large(g, [&](TileSizes &t) { t.blockK = k; }));
                    return out;
                  }});
  list.push_back({"tile.block_n", [=](const Gemm &g) {
                    std::vector<Choice> out;
                    for (int64_t n : multiplesUpTo(g.tile.threadN, width,
                                                   {1, 2, 4, 8, 16, 32}))
                      out.push_back(large(g, [&](TileSizes &t) { t.blockN = n; }));
                    return out;
                  }});
  list.push_back({"tile.block_m", [=](const Gemm &g) {
                    std::vector<Choice> out;
                    for (int64_t m : multiplesUpTo(g.tile.threadM, 1 << 20,
                                                   {2, 4, 8, 16}))
                      out.push_back(large(g, [&](TileSizes &t) { t.blockM = m; }));
                    return out;
                  }});
  list.push_back({"tile.register", [=](const Gemm &g) {
                    std::vector<Choice> out;
                    for (int64_t vectors : {1, 2, 4}) {
                      int64_t columns = vectors * unit.lanes;
                      if (width % columns)
                        continue;
                      int64_t most = (unit.registers - vectors - 2) / vectors;
                      for (int64_t rows : {4, 6, 8, 12})
                        if (rows <= most)
                          out.push_back(large(g, [&](TileSizes &t) {
                            int64_t rowTiles = t.blockM / t.threadM;
                            t.threadM = rows;
                            t.threadN = columns;
                            t.blockM = rows * rowTiles;
                            t.blockN = std::max(columns,
                                                t.blockN / columns * columns);
                          }));
                    }
                    return out;
                  }});
  list.push_back({"small_tile.block_m", [=](const Gemm &g) {
                    std::vector<Choice> out;
                    if (!g.smallTile)
                      return out;
                    for (int64_t m : {1, 2, 4, 8, 16, 32})
                      if (m % g.smallTile->threadM == 0)
                        out.push_back(small(g, [&](TileSizes &t) { t.blockM = m; }));
                    return out;
                  }});
  list.push_back({"small_tile.block_k", [=](const Gemm &g) {
                    std::vector<Choice> out;
                    if (!g.smallTile)
                      return out;
                    for (int64_t k : {1, 2, 4, 8, 16})
                      out.push_back(small(g, [&](TileSizes &t) { t.blockK = k; }));
                    return out;
                  }});
  // The medium tile's rows: more than the small tile's, at most the
  // tile's; its k-block stays below the packed depth (weights in place).
  list.push_back({"medium_tile.block_m", [=](const Gemm &g) {
                    std::vector<Choice> out;
                    if (!g.mediumTile)
                      return out;
                    for (int64_t m : multiplesUpTo(g.mediumTile->threadM,
                                                   g.tile.blockM,
                                                   {1, 2, 4, 8, 16}))
                      if (!g.smallTile || m > g.smallTile->blockM)
                        out.push_back(medium(g, [&](TileSizes &t) { t.blockM = m; }));
                    return out;
                  }});
  list.push_back({"medium_tile.block_k", [=](const Gemm &g) {
                    std::vector<Choice> out;
                    if (!g.mediumTile)
                      return out;
                    for (int64_t k : {4, 8, 16})
                      out.push_back(medium(g, [&](TileSizes &t) { t.blockK = k; }));
                    return out;
                  }});
  // The small tile's register tile: rows x vectors accumulators, the
  // vectors of one weight row and a broadcast must fit the registers.
  list.push_back({"small_tile.register", [=](const Gemm &g) {
                    std::vector<Choice> out;
                    if (!g.smallTile)
                      return out;
                    for (int64_t rows : {1, 2, 4})
                      for (int64_t vectors : {1, 2, 4, 8}) {
                        int64_t n = vectors * unit.lanes;
                        if (g.smallTile->blockN % n ||
                            rows * vectors + vectors + 1 > unit.registers)
                          continue;
                        out.push_back(small(g, [&](TileSizes &t) {
                          t.threadM = rows;
                          t.threadN = n;
                          t.blockM = std::max(rows, t.blockM / rows * rows);
                        }));
                      }
                    return out;
                  }});
  return list;
}

/// A time with about four significant digits.
std::string msText(double ms) {
  char text[32];
  snprintf(text, sizeof text, ms < 10 ? "%.3f" : ms < 100 ? "%.2f" : "%.1f",
           ms);
  return text;
}

std::string msList(const std::vector<double> &ms) {
  std::string text;
  for (double value : ms)
    text += (text.empty() ? "" : " / ") + msText(value);
  return text;
}

int run(const Options &options) {
  std::string error;
  std::optional<std::vector<int64_t>> tokens =
      parseTokenList(options.tokens, error);
  if (!tokens)
    fail(error, 2);
  if (options.shape.empty())
    fail("--shape is required: one of " + namedShapeList() +
             ", or a layer spec (experts=8,k=2,hidden=64,inter=32,...)",
         2);
  if (options.backend != "cpu")
    fail("--backend " + options.backend +
             ": moe-tune tunes the cpu backend only (GPU tiles are the GPU "
             "lowering's chip defaults)",
         2);
  if (options.repeat < 1)
    fail("--repeat must be >= 1", 2);
  if (options.threads < 0)
    fail("--threads must be >= 1", 2);
  std::optional<moe::LayerSpec> spec =
      resolveShape(options.shape, options.dtype, error);
  if (!spec)
    fail(error, 2);
  int threads = options.threads > 0
                    ? options.threads
                    : static_cast<int>(
                          std::max(1u, std::thread::hardware_concurrency()));
  setenv("OMP_NUM_THREADS", std::to_string(threads).c_str(), 1);

  __builtin_cpu_init();
  moe::tiles::VectorUnit unit = moe::tiles::vectorUnit(
      __builtin_cpu_supports("avx512f"),
      __builtin_cpu_supports("avx2") || __builtin_cpu_supports("avx"));
  std::string isa = moe::tiles::isaName(unit);
  bool wide = spec->dtype == moe::ref::DType::F32;
  std::vector<std::string> knobNames;
  for (const Knob &knob : knobs(unit, 1, 1))
    knobNames.push_back(knob.name);
  std::vector<std::string> chosen;
  for (size_t begin = 0; !options.knobs.empty() && begin <= options.knobs.size();) {
    size_t end = std::min(options.knobs.find(',', begin), options.knobs.size());
    std::string name = options.knobs.substr(begin, end - begin);
    if (std::find(knobNames.begin(), knobNames.end(), name) == knobNames.end()) {
      std::string all;
      for (const std::string &known : knobNames)
        all += (all.empty() ? "" : ", ") + known;
      fail("--knobs: unknown knob '" + name + "' (knobs: " + all + ")", 2);
    }
    chosen.push_back(name);
    begin = end + 1;
  }

  json table = readTable(options.table);
  // The layer's grouped GEMMs, from the table's entry or the heuristic.
  struct Shape {
    const char *name;
    int64_t in, out;
    bool gated;
  };
  int64_t gateUpOut = spec->gated ? 2 * spec->inter : spec->inter;
  std::vector<Shape> shapes = {{"gate_up", spec->hidden, gateUpOut, spec->gated},
                               {"down", spec->inter, spec->hidden, false}};
  std::vector<Gemm> gemms;
  for (const Shape &shape : shapes) {
    Gemm gemm;
    gemm.name = shape.name;
    gemm.key = keyOf(isa, *spec, shape.in, shape.out, shape.gated);
    int64_t width = shape.gated ? shape.out / 2 : shape.out;
    moe::tiles::CpuTiles heuristic = moe::tiles::cpuTiles(width, wide, unit);
    gemm.tile = heuristic.large;
    gemm.smallTile = heuristic.small;
    gemm.mediumTile = heuristic.medium;
    for (const json &entry : table.at("entries"))
      if (sameKey(entry, gemm.key)) {
        gemm.tile = tileFromJson(entry.at("tile"));
        gemm.smallTile = entry.contains("small_tile") &&
                                 !entry.at("small_tile").is_null()
                             ? std::optional(tileFromJson(entry.at("small_tile")))
                             : std::nullopt;
        gemm.mediumTile = entry.contains("medium_tile") &&
                                  !entry.at("medium_tile").is_null()
                              ? std::optional(tileFromJson(entry.at("medium_tile")))
                              : std::nullopt;
      }
    gemms.push_back(gemm);
  }

  // Every candidate table names both GEMMs, so the built-in table never
  // decides a tile that is being timed.
  printf("moe-tune: %s, %s weights, %s, %d threads, T = %s, best of %d\n",
         spec->str().c_str(), moe::ref::toString(spec->dtype), isa.c_str(),
         threads, options.tokens.c_str(), options.repeat);
  Evaluator evaluator(options, *spec, *tokens, table);
  Module start = evaluator.compile(gemms);
  Module best = evaluator.compile(gemms);
  for (const Gemm &gemm : gemms)
    printf("start: %-8s %s\n", gemm.name.c_str(),
           describeTiles(gemm.tile, gemm.smallTile, gemm.mediumTile).c_str());
  fflush(stdout);

  for (size_t g = 0; g < gemms.size(); ++g) {
    int64_t width = shapes[g].gated ? shapes[g].out / 2 : shapes[g].out;
    for (const Knob &knob : knobs(unit, shapes[g].in, width)) {
      if (!chosen.empty() &&
          std::find(chosen.begin(), chosen.end(), knob.name) == chosen.end())
        continue;
      for (const Choice &choice : knob.candidates(gemms[g])) {
        if (choice == Choice::of(gemms[g]))
          continue;
        std::vector<Gemm> trial = gemms;
        choice.applyTo(trial[g]);
        Module candidate = evaluator.compile(trial);
        Comparison comparison = evaluator.compare(best, candidate);
        bool kept = comparison.ratio < 1 - options.margin;
        printf("%-8s %-19s %s %s ms against %s ms: %.3f%s\n",
               gemms[g].name.c_str(), knob.name,
               describeTiles(choice.tile, choice.small, choice.medium).c_str(),
               msList(comparison.candidateMs).c_str(),
               msList(comparison.baseMs).c_str(), comparison.ratio,
               kept ? "  kept" : "");
        fflush(stdout);
        if (kept) {
          gemms = trial;
          best = std::move(candidate);
        }
      }
    }
  }

  // The tuned layer against the start, once more, side by side.
  Comparison overall = evaluator.compare(start, best);
  std::vector<double> startMs = overall.baseMs, bestTimes = overall.candidateMs;
  char date[32];
  time_t now = time(nullptr);
  strftime(date, sizeof date, "%Y-%m-%d", gmtime(&now));
  json tuned = {{"shape", options.shape},
                {"tokens", *tokens},
                {"threads", threads},
                {"ms", bestTimes},
                {"start_ms", startMs},
                {"date", date}};
  writeFile(options.table, withEntries(table, gemms, tuned).dump(2) + "\n");
  printf("tuned: %s ms, start %s ms: %.3f\n", msList(bestTimes).c_str(),
         msList(startMs).c_str(), overall.ratio);
  for (const Gemm &gemm : gemms)
    printf("%-8s %s\n", gemm.name.c_str(),
           describeTiles(gemm.tile, gemm.smallTile, gemm.mediumTile).c_str());
  printf("wrote %s\n", options.table.c_str());
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  Options options;
  CLI::App app{"Measures the grouped GEMM tiles that run a MoE layer fastest "
               "on this CPU and writes them into the tuning table that "
               "moe-select-tiles reads.",
               "moe-tune"};
  app.add_option("--shape", options.shape,
                 "qwen3-30b-a3b | mixtral-8x7b | deepseek-v3 | a layer spec "
                 "(experts=8,k=2,hidden=64,inter=32,...)");
  app.add_option("--dtype", options.dtype,
                 "f32 | f16 | bf16 (default bf16; a layer spec may carry its "
                 "own)");
  app.add_option("--backend", options.backend, "cpu (the only one tuned)")
      ->capture_default_str();
  app.add_option("--tokens", options.tokens,
                 "the token counts timed, comma-separated; a candidate is "
                 "scored by the geometric mean of its time ratios to the "
                 "best so far")
      ->capture_default_str();
  app.add_option("--table", options.table,
                 "the tuning table to update (created when missing)")
      ->capture_default_str();
  app.add_option("--repeat", options.repeat,
                 "timed runs per T of each layer compared, in turns, after "
                 "one warm-up; the best counts")
      ->capture_default_str();
  app.add_option("--threads", options.threads,
                 "threads of the compiled code (default: every core)");
  app.add_option("--seed", options.seed, "seed of the random inputs")
      ->capture_default_str();
  app.add_option("--margin", options.margin,
                 "a candidate is kept when it is faster by more than this "
                 "fraction (the noise margin)")
      ->capture_default_str();
  app.add_option("--knobs", options.knobs,
                 "the tile sizes to search, comma-separated (default: all): "
                 "tile.block_k, tile.block_n, tile.block_m, tile.register "
                 "(thread_m x thread_n), small_tile.block_m, small_tile.block_k, "
                 "small_tile.register");
  app.set_version_flag("--version", moe_runtime_version());
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp &e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion &e) {
    return app.exit(e);
  } catch (const CLI::ParseError &e) {
    app.exit(e);
    return 2;
  }
  try {
    return run(options);
  } catch (const Failure &failure) {
    return failure.code;
  } catch (const std::exception &e) {
    fprintf(stderr, "moe-tune: error: %s\n", e.what());
    return 1;
  }
}
