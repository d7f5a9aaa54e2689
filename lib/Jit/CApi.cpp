//===- CApi.cpp - libmoe_jit's C entry points -----------------------------===//
#include "moe/Jit/moe_jit.h"
#include "moe/Jit/Compiler.h"

#include <cstdlib>
#include <cstring>
#include <fstream>

static char *copyString(const std::string &text) {
  char *copy = static_cast<char *>(std::malloc(text.size() + 1));
  if (copy)
    std::memcpy(copy, text.c_str(), text.size() + 1);
  return copy;
}

extern "C" int moe_jit_compile(const char *source, int sourceIsLayerSpec,
                               const char *target, int checks,
                               const char *outPath, char **error) {
  return moe_jit_compile_chip(source, sourceIsLayerSpec, target,
                              /*chip=*/nullptr, /*chip_is_device=*/0, checks,
                              outPath, error);
}

extern "C" int moe_jit_compile_chip(const char *source, int sourceIsLayerSpec,
                                    const char *target, const char *chip,
                                    int chipIsDevice, int checks,
                                    const char *outPath, char **error) {
  auto fail = [&](const std::string &message) {
    if (error)
      *error = copyString(message);
    return 1;
  };
  if (!source || !outPath)
    return fail("moe_jit_compile: source and out_path are required");
  moe::jit::CompileOptions options;
  options.target = target ? target : "cpu";
  options.chip = chip ? chip : "";
  options.chipIsDevice = chipIsDevice != 0;
  if (options.target == "cpu" && !options.chip.empty())
    return fail("moe_jit_compile_chip: a chip applies to GPU targets only, "
                "not cpu");
  options.checks = checks != 0;
  options.emit = moe::jit::Emit::So;
  auto result = sourceIsLayerSpec ? moe::jit::compileLayer(source, options)
                                  : moe::jit::compile(source, options);
  if (!result)
    return fail(llvm::toString(result.takeError()));
  std::ofstream out(outPath, std::ios::binary | std::ios::trunc);
  out.write(result->bytes.data(),
            static_cast<std::streamsize>(result->bytes.size()));
  out.close();
  if (!out)
    return fail(std::string("cannot write ") + outPath);
  return 0;
}

extern "C" const char *moe_jit_version(void) {
  return moe::jit::compilerVersion().c_str();
}

extern "C" void moe_jit_free(void *pointer) { std::free(pointer); }
