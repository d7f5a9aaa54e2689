//===- moe-run.cpp - run a moe-mlir module (like iree-run-module) ---------===//
//
//   moe-run --layer SPEC | FILE.mlir | --artifact FILE.so
//           [--entry NAME] [--backend cpu|emu|cuda|hip|auto] [--tokens T]
//           [--seed S] [--input NAME=@x.npy]... [--output NAME=@y.npy]...
//           [--check] [--no-checks] [--repeat N] [--resident]
//           [--cache-dir DIR]
//           [--no-disk-cache]
//
// Runs one entry point on random inputs (or .npy files), prints where the
// module came from, compile and run times and the output shapes, and with
// --check compares a layer's output with the scalar reference. It links
// libmoe_runtime only (no LLVM): the compiler library is loaded when, and
// only when, something has to be compiled.
//
// Exit status: 0 success, 1 an error or a failed --check, 2 bad usage.
//
//===----------------------------------------------------------------------===//

#include "HostTensor.h"
#include "Npy.h"

#include "moe/Reference/Reference.h"
#include "moe/Runtime/moe_runtime.h"
#include "moe/Spec/LayerSpec.h"
#include "moe/Support/CheckedMath.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <new>
#include <string>
#include <unistd.h>
#include <vector>

using namespace moe::tools;

namespace {

/// An error already explained on stderr.
struct Failure {
  int code = 1;
};

[[noreturn]] void fail(const std::string &message, int code = 1) {
  fprintf(stderr, "moe-run: error: %s\n", message.c_str());
  throw Failure{code};
}

void check(moe_status_t status, const std::string &what = "") {
  if (status == MOE_OK)
    return;
  fail((what.empty() ? "" : what + ": ") + moe_last_error());
}

struct Options {
  std::string layer;
  std::string file;
  std::string artifact;
  std::string entry;
  std::string backend = "cpu";
  int64_t tokens = 16;
  uint64_t seed = 0;
  // As given: CLI11 saturates out-of-range 64-bit integers (and wraps -1
  // into an unsigned one) without a word, so these are parsed here.
  std::string tokensText = "16";
  std::string seedText = "0";
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  bool check = false;
  bool noChecks = false;
  int repeat = 1;
  bool resident = false;
  std::string cacheDir;
  bool noDiskCache = false;
  std::string chip;
};

/// Splits NAME=@PATH.
std::pair<std::string, std::string> splitBinding(const std::string &text,
                                                 const char *flag) {
  size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 >= text.size() ||
      text[eq + 1] != '@' || eq + 2 >= text.size())
    fail(std::string(flag) + " expects NAME=@FILE.npy, got '" + text + "'", 2);
  return {text.substr(0, eq), text.substr(eq + 2)};
}

/// U(-sqrt(3 / fanIn), sqrt(3 / fanIn)): variance 1 / fanIn (LeCun), so a
/// product with unit-variance-ish inputs keeps its scale and values stay O(1).
float weightScale(int64_t fanIn) {
  return std::sqrt(3.0f / static_cast<float>(std::max<int64_t>(fanIn, 1)));
}

/// The scale of random values for a layer's argument: weights by their
/// fan-in, a small routing bias, activations in [-1, 1).
float layerScale(const moe::LayerSpec &spec, const std::string &name) {
  if (name == "router_w" || name == "w_gate_up" || name == "shared_gate_up")
    return weightScale(spec.hidden);
  if (name == "w_down")
    return weightScale(spec.inter);
  if (name == "shared_down")
    return weightScale(spec.sharedInter);
  if (name == "router_bias")
    return 0.05f;
  return 1.0f;
}

/// The scale for an argument of a module that is not a layer: the first
/// argument (the activations) 1, other float tensors of rank >= 2 by the
/// fan-in dim -2 (the In of [.., In, Out] weights), vectors 0.1.
float genericScale(const moe_tensor_info_t &info, size_t index,
                   int64_t tokens) {
  if (index == 0)
    return 1.0f;
  if (info.rank >= 2) {
    int64_t fanIn = info.shape[info.rank - 2];
    return weightScale(fanIn < 0 ? tokens : fanIn);
  }
  return 0.1f;
}

std::string describe(const moe_tensor_info_t &info) {
  std::vector<int64_t> shape(info.shape, info.shape + info.rank);
  return std::string(moe_dtype_name(info.dtype)) + formatShape(shape);
}

/// A tensor's copy in the backend's memory (moe_device_alloc).
struct DeviceTensor {
  moe_context_t context = nullptr;
  void *data = nullptr;
  ~DeviceTensor() { moe_device_free(context, data); }
};

/// The bytes of physical memory, 0 when unknown: no run needs buffers
/// larger than that, and asking for them only ends in bad_alloc or the OOM
/// killer.
uint64_t physicalMemory() {
  long pages = sysconf(_SC_PHYS_PAGES), pageSize = sysconf(_SC_PAGE_SIZE);
  uint64_t bytes;
  if (pages <= 0 || pageSize <= 0 ||
      !moe::checkedMul<uint64_t>(pages, pageSize, bytes))
    return 0;
  return bytes;
}

/// Adds the host buffer `what` (`dtype` elements of `shape`) to the bytes
/// this run allocates, refusing before anything is allocated when a size
/// overflows or the total exceeds the machine's memory. `cause` names the
/// input the shape came from ("--tokens 4000000000000").
void reserveHostBytes(uint64_t &total, const std::string &what,
                      moe_dtype_t dtype, const std::vector<int64_t> &shape,
                      const std::string &cause) {
  std::string tensor = what + " " + moe_dtype_name(dtype) + formatShape(shape);
  int64_t bytes = 0;
  if (!moe::checkedByteSize(shape, moe_dtype_size(dtype), bytes) ||
      !moe::checkedAdd<uint64_t>(total, static_cast<uint64_t>(bytes), total))
    fail(cause + ": " + tensor + " has more bytes than fit in 64 bits");
  static const uint64_t limit = physicalMemory();
  if (limit && total > limit)
    fail(cause + ": " + tensor + " needs " + std::to_string(bytes) +
         " bytes (" + std::to_string(total) +
         " for all buffers so far), more than this machine's memory (" +
         std::to_string(limit) + " bytes)");
}

struct ModuleHandle {
  moe_module_t module = nullptr;
  ~ModuleHandle() { moe_module_release(module); }
};
struct ContextHandle {
  moe_context_t context = nullptr;
  ~ContextHandle() { moe_context_destroy(context); }
};
struct ResultsHandle {
  moe_results_t results = nullptr;
  ~ResultsHandle() { moe_results_release(results); }
};

/// The integer `text` of `flag` in [min, max]; bad usage (exit 2) naming
/// the flag and the text otherwise.
template <typename T>
T parseInteger(const char *flag, const std::string &text, T min, T max) {
  T value{};
  auto [end, ec] =
      std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() ||
      value < min || value > max)
    fail(std::string(flag) + " " + text + " is not an integer in [" +
             std::to_string(min) + ", " + std::to_string(max) + "]",
         2);
  return value;
}

int run(Options options) {
  options.tokens = parseInteger<int64_t>("--tokens", options.tokensText, 0,
                                         INT64_MAX);
  options.seed = parseInteger<uint64_t>("--seed", options.seedText, 0,
                                        UINT64_MAX);
  int sources = !options.layer.empty() + !options.file.empty() +
                !options.artifact.empty();
  if (sources != 1)
    fail("give exactly one of --layer SPEC, FILE.mlir or --artifact FILE.so",
         2);
  if (options.repeat < 1)
    fail("--repeat must be >= 1", 2);

  moe_backend_t backend;
  check(moe_backend_from_name(options.backend.c_str(), &backend));
  ContextHandle context;
  check(moe_context_create(backend, &context.context));
  moe_backend_t resolved = backend;
  check(moe_context_backend(context.context, &resolved));

  // The module.
  moe_compile_options_t compileOptions;
  moe_compile_options_init(&compileOptions);
  compileOptions.checks = options.noChecks ? 0 : 1;
  compileOptions.disk_cache = options.noDiskCache ? 0 : 1;
  if (!options.cacheDir.empty())
    compileOptions.cache_dir = options.cacheDir.c_str();
  if (!options.chip.empty())
    compileOptions.chip = options.chip.c_str();
  ModuleHandle module;
  std::string source;
  if (!options.layer.empty()) {
    source = "layer " + options.layer;
    check(moe_compile_layer(context.context, options.layer.c_str(),
                            &compileOptions, &module.module));
  } else if (!options.file.empty()) {
    source = options.file;
    check(moe_compile_mlir_file(context.context, options.file.c_str(),
                                &compileOptions, &module.module));
  } else {
    source = "artifact " + options.artifact;
    if (options.noChecks)
      fprintf(stderr, "moe-run: note: --no-checks has no effect on an "
                      "artifact (it was compiled already)\n");
    if (!options.chip.empty())
      fprintf(stderr, "moe-run: note: --chip has no effect on an artifact "
                      "(it was compiled already)\n");
    check(moe_load_artifact(context.context, options.artifact.c_str(),
                            &module.module));
  }
  moe_module_info_t info;
  check(moe_module_info(module.module, &info));

  // The layer this module computes, when it is one.
  std::optional<moe::LayerSpec> spec;
  if (info.layer_spec) {
    std::string error;
    spec = moe::LayerSpec::parse(info.layer_spec, error);
    if (!spec)
      fail("the module's layer_spec is invalid: " + error);
  }

  size_t entry = 0;
  check(moe_module_find_entry(module.module,
                              options.entry.empty() ? nullptr
                                                    : options.entry.c_str(),
                              &entry));
  moe_entry_info_t entryInfo;
  check(moe_module_entry(module.module, entry, &entryInfo));

  printf("backend:      %s%s\n", moe_backend_name(resolved),
         backend == MOE_BACKEND_AUTO ? " (auto)" : "");
  printf("module:       %s\n", source.c_str());
  printf("compiler:     %s\n", info.compiler);
  printf("cache:        %s\n",
         info.cache_state == MOE_CACHE_NONE
             ? "none (artifact loaded directly)"
             : moe_cache_state_name(info.cache_state));
  printf("%-13s %.3f ms\n",
         info.cache_state == MOE_CACHE_COMPILED ? "compile time:"
         : info.cache_state == MOE_CACHE_NONE   ? "load time:"
                                                : "lookup time:",
         info.compile_time_ms);
  printf("checks:       %s\n", info.checks ? "on" : "off");
  printf("entry:        %s\n", entryInfo.name);

  // Inputs.
  std::map<std::string, std::string> inputFiles, outputFiles;
  for (const std::string &binding : options.inputs) {
    auto [name, path] = splitBinding(binding, "--input");
    inputFiles[name] = path;
  }
  for (const std::string &binding : options.outputs) {
    auto [name, path] = splitBinding(binding, "--output");
    outputFiles[name] = path;
  }
  std::vector<moe_tensor_info_t> argInfo(entryInfo.num_args);
  std::vector<moe_tensor_info_t> resultInfo(entryInfo.num_results);
  for (size_t i = 0; i < entryInfo.num_args; ++i)
    check(moe_module_arg(module.module, entry, i, &argInfo[i]));
  for (size_t i = 0; i < entryInfo.num_results; ++i)
    check(moe_module_result(module.module, entry, i, &resultInfo[i]));
  auto names = [](const std::vector<moe_tensor_info_t> &infos) {
    std::string text;
    for (const moe_tensor_info_t &info : infos)
      text += (text.empty() ? "" : ", ") + std::string(info.name);
    return text.empty() ? std::string("none") : text;
  };
  auto known = [](const std::vector<moe_tensor_info_t> &infos,
                  const std::string &name) {
    for (const moe_tensor_info_t &info : infos)
      if (name == info.name)
        return true;
    return false;
  };
  for (const auto &binding : inputFiles)
    if (!known(argInfo, binding.first))
      fail("--input " + binding.first + ": entry '" + entryInfo.name +
           "' has no argument of that name (it has: " + names(argInfo) + ")");
  for (const auto &binding : outputFiles)
    if (!known(resultInfo, binding.first))
      fail("--output " + binding.first + ": entry '" + entryInfo.name +
           "' has no result of that name (it has: " + names(resultInfo) + ")");

  std::vector<HostTensor> inputs(entryInfo.num_args);
  uint64_t hostBytes = 0; // of the inputs and outputs, checked before each
  std::string tokensFlag = "--tokens " + std::to_string(options.tokens);
  for (size_t i = 0; i < entryInfo.num_args; ++i) {
    const moe_tensor_info_t &arg = argInfo[i];
    auto file = inputFiles.find(arg.name);
    std::string origin;
    if (file != inputFiles.end()) {
      NpyArray array;
      std::string error;
      if (!readNpy(file->second, array, error))
        fail("--input " + std::string(arg.name) + ": " + error);
      if (static_cast<int32_t>(array.shape.size()) != arg.rank)
        fail("--input " + std::string(arg.name) + ": '" + file->second +
             "' has shape " + formatShape(array.shape) +
             " but the argument is " + describe(arg));
      for (int32_t d = 0; d < arg.rank; ++d)
        if (arg.shape[d] >= 0 && array.shape[d] != arg.shape[d])
          fail("--input " + std::string(arg.name) + ": '" + file->second +
               "' has shape " + formatShape(array.shape) +
               " but the argument is " + describe(arg));
      reserveHostBytes(hostBytes, "argument " + std::string(arg.name),
                       arg.dtype, array.shape, "--input " + file->second);
      if (!fromNpy(array, arg.dtype, inputs[i], error))
        fail("--input " + std::string(arg.name) + ": '" + file->second +
             "': " + error);
      origin = file->second;
    } else {
      std::vector<int64_t> shape(arg.shape, arg.shape + arg.rank);
      for (int64_t &extent : shape)
        if (extent < 0)
          extent = options.tokens;
      reserveHostBytes(hostBytes, "argument " + std::string(arg.name),
                       arg.dtype, shape, tokensFlag);
      inputs[i] = HostTensor::zeros(arg.dtype, shape);
      float scale = spec ? layerScale(*spec, arg.name)
                         : genericScale(arg, i, options.tokens);
      fillRandom(inputs[i], options.seed, i, scale);
      origin = arg.dtype == MOE_DTYPE_I32
                   ? "zeros"
                   : "random (seed " + std::to_string(options.seed) + ")";
    }
    printf("  input  %-16s %-6s %-18s %s\n", arg.name,
           moe_dtype_name(arg.dtype), formatShape(inputs[i].shape).c_str(),
           origin.c_str());
  }

  // Run: into caller buffers when the result shapes are known (a layer's
  // out is [T, H]), else into runtime-owned results.
  // --resident: the inputs live in the backend's memory, copied there once,
  // as a serving engine keeps its weights; the runs then copy nothing.
  std::vector<moe_buffer_t> inputBuffers;
  std::vector<std::unique_ptr<DeviceTensor>> resident;
  auto place = [&](HostTensor &tensor, bool upload) {
    moe_buffer_t buffer = tensor.buffer();
    if (!options.resident || tensor.bytes.empty())
      return buffer;
    auto copy = std::make_unique<DeviceTensor>();
    copy->context = context.context;
    check(moe_device_alloc(context.context, tensor.bytes.size(), &copy->data));
    if (upload)
      check(moe_device_copy(context.context, copy->data, tensor.bytes.data(),
                            tensor.bytes.size()));
    buffer.data = copy->data;
    resident.push_back(std::move(copy));
    return buffer;
  };
  for (HostTensor &tensor : inputs)
    inputBuffers.push_back(place(tensor, /*upload=*/true));
  std::vector<HostTensor> outputs;
  bool knownShapes = spec && entryInfo.num_results == 1 && entryInfo.num_args > 0;
  if (knownShapes) {
    std::vector<int64_t> shape(resultInfo[0].shape,
                               resultInfo[0].shape + resultInfo[0].rank);
    for (int64_t &extent : shape)
      if (extent < 0)
        extent = inputs[0].shape.empty() ? options.tokens : inputs[0].shape[0];
    reserveHostBytes(hostBytes, "result " + std::string(resultInfo[0].name),
                     resultInfo[0].dtype, shape,
                     inputFiles.count(argInfo[0].name)
                         ? "--input " + inputFiles[argInfo[0].name]
                         : tokensFlag);
    outputs.push_back(HostTensor::zeros(resultInfo[0].dtype, shape));
  }
  moe_buffer_t out =
      knownShapes ? place(outputs[0], /*upload=*/false) : moe_buffer_t{};
  double best = 0;
  for (int r = 0; r < options.repeat; ++r) {
    auto start = std::chrono::steady_clock::now();
    if (knownShapes) {
      check(moe_run(module.module, entryInfo.name, inputBuffers.data(),
                    inputBuffers.size(), &out, 1));
    } else {
      ResultsHandle results;
      check(moe_run_alloc(module.module, entryInfo.name, inputBuffers.data(),
                          inputBuffers.size(), &results.results));
      if (r == options.repeat - 1) {
        outputs.clear();
        for (size_t i = 0; i < moe_results_count(results.results); ++i) {
          moe_buffer_t view;
          check(moe_results_get(results.results, i, &view));
          HostTensor tensor = HostTensor::zeros(
              view.dtype, std::vector<int64_t>(view.shape, view.shape + view.rank));
          if (!tensor.bytes.empty())
            std::memcpy(tensor.bytes.data(), view.data, tensor.bytes.size());
          outputs.push_back(std::move(tensor));
        }
      }
    }
    double ms = std::chrono::duration<double, std::milli>(
                    std::chrono::steady_clock::now() - start)
                    .count();
    best = r == 0 ? ms : std::min(best, ms);
  }
  if (knownShapes && out.data != outputs[0].buffer().data)
    check(moe_device_copy(context.context, outputs[0].bytes.data(), out.data,
                          outputs[0].bytes.size()));
  printf("run time:     %.3f ms (best of %d%s)\n", best, options.repeat,
         options.resident ? ", inputs resident on the backend" : "");

  for (size_t i = 0; i < outputs.size(); ++i) {
    const char *name = resultInfo[i].name;
    auto file = outputFiles.find(name);
    std::string where;
    if (file != outputFiles.end()) {
      std::string error;
      if (!writeNpy(file->second, toNpy(outputs[i]), error))
        fail("--output " + std::string(name) + ": " + error);
      where = "-> " + file->second +
              (outputs[i].dtype == MOE_DTYPE_BF16 ? " (bf16 stored as f32)"
                                                  : "");
    }
    printf("  output %-16s %-6s %-18s %s\n", name,
           moe_dtype_name(outputs[i].dtype),
           formatShape(outputs[i].shape).c_str(), where.c_str());
  }

  if (!options.check)
    return 0;
  if (!spec)
    fail("--check compares a layer with the reference, but this module is "
         "not a layer: use --layer, or an artifact compiled from a layer spec "
         "(its manifest has a layer_spec)");

  // The reference on the same inputs.
  std::vector<moe::LayerSpec::Tensor> expected = spec->arguments();
  if (expected.size() != inputs.size())
    fail("the entry's arguments do not match its layer_spec");
  std::map<std::string, moe::ref::Tensor> tensors;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (expected[i].name != argInfo[i].name)
      fail("the entry's argument #" + std::to_string(i) + " is '" +
           argInfo[i].name + "' but its layer_spec says '" + expected[i].name +
           "'");
    tensors[expected[i].name] =
        moe::ref::Tensor{inputs[i].shape, inputs[i].toFloats()};
  }
  auto find = [&](const char *name) -> const moe::ref::Tensor * {
    auto it = tensors.find(name);
    return it == tensors.end() ? nullptr : &it->second;
  };
  moe::ref::LayerWeights weights;
  weights.routerW = find("router_w");
  weights.routerBias = find("router_bias");
  weights.wGateUp = find("w_gate_up");
  weights.wDown = find("w_down");
  weights.sharedGateUp = find("shared_gate_up");
  weights.sharedDown = find("shared_down");
  moe::ref::Tensor reference =
      moe::ref::layer(tensors.at("x"), weights, spec->referenceOptions());
  std::vector<float> got = outputs.at(0).toFloats();
  if (reference.data.size() != got.size())
    fail("the reference output has " + std::to_string(reference.data.size()) +
         " elements, the module's " + std::to_string(got.size()));
  double maxAbs = 0, maxRef = 0;
  bool finite = true;
  for (size_t i = 0; i < got.size(); ++i) {
    double diff = std::fabs(static_cast<double>(got[i]) - reference.data[i]);
    if (!std::isfinite(got[i]) || std::isnan(diff))
      finite = false;
    maxAbs = std::max(maxAbs, diff);
    maxRef = std::max(maxRef, std::fabs(static_cast<double>(reference.data[i])));
  }
  double tolerance = spec->dtype == moe::ref::DType::F32 ? 1e-5 : 1e-2;
  double rel = maxRef > 0 ? maxAbs / maxRef : maxAbs;
  bool ok = finite && rel <= tolerance;
  printf("check:        max abs error %.3g, max rel error %.3g (relative to "
         "max |ref| = %.4g); tolerance %.0e (%s): %s\n",
         maxAbs, rel, maxRef, tolerance, moe::ref::toString(spec->dtype),
         ok ? "ok" : finite ? "FAILED" : "FAILED (non-finite output)");
  return ok ? 0 : 1;
}

} // namespace

int main(int argc, char **argv) {
  Options options;
  CLI::App app{"Runs a moe-mlir module (a layer spec, an .mlir file or a "
               "compiled artifact) on random or .npy inputs.",
               "moe-run"};
  app.add_option("--layer", options.layer,
                 "compile and run a layer spec "
                 "(experts=8,k=2,hidden=64,inter=32,dtype=f32,...)");
  app.add_option("file", options.file, "an .mlir module to compile and run");
  app.add_option("--artifact", options.artifact,
                 "run an artifact written by moe-compile --emit so");
  app.add_option("--entry", options.entry,
                 "the entry point to run (default: the only one)");
  app.add_option("--backend", options.backend, "cpu | emu | cuda | hip | auto")
      ->capture_default_str();
  app.add_option("--tokens", options.tokensText,
                 "the token count (every dynamic extent of random inputs)")
      ->capture_default_str();
  app.add_option("--seed", options.seedText, "seed of the random inputs")
      ->capture_default_str();
  app.add_option("--input", options.inputs,
                 "NAME=@x.npy: read an argument from a .npy file (floats are "
                 "rounded to the argument's dtype; bf16 also from <u2 bits)");
  app.add_option("--output", options.outputs,
                 "NAME=@y.npy: write a result to a .npy file (bf16 is "
                 "written as f32)");
  app.add_flag("--check", options.check,
               "compare a layer's output with the scalar reference");
  app.add_flag("--no-checks", options.noChecks,
               "compile without runtime contract checks");
  app.add_option("--repeat", options.repeat,
                 "run N times and report the best time")
      ->capture_default_str();
  app.add_flag("--resident", options.resident,
               "copy the inputs to the backend's memory once and run on them "
               "there (the output too): run times without host transfers");
  app.add_option("--cache-dir", options.cacheDir,
                 "the compile cache directory (default: $MOE_CACHE_DIR, "
                 "$XDG_CACHE_HOME/moe-mlir or ~/.cache/moe-mlir)");
  app.add_flag("--no-disk-cache", options.noDiskCache,
               "do not read or write the on-disk compile cache");
  app.add_option("--chip", options.chip,
                 "cuda, hip: the GPU chip to compile for (sm_80, gfx90a, ...; "
                 "default: the device's); emu: the chip whose kernels the "
                 "emulator runs (default: its own)");
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
  if (!options.file.empty() && options.file.size() > 3 &&
      options.file.compare(options.file.size() - 3, 3, ".so") == 0 &&
      options.artifact.empty()) {
    options.artifact = options.file;
    options.file.clear();
  }
  try {
    return run(options);
  } catch (const Failure &failure) {
    return failure.code;
  } catch (const std::bad_alloc &) {
    // Sizes are checked against the machine's memory first; this is what
    // is left (memory taken by others, limits).
    fprintf(stderr, "moe-run: error: out of memory (std::bad_alloc)\n");
    return 1;
  } catch (const std::exception &e) {
    fprintf(stderr, "moe-run: error: internal error: %s\n", e.what());
    return 1;
  }
}
