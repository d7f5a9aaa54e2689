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
  moe_jit_request_t request{};
  request.source = source;
  request.source_is_layer_spec = sourceIsLayerSpec;
  request.target = target;
  request.checks = checks;
  request.out_path = outPath;
  return moe_jit_compile_request(&request, error);
}

extern "C" int moe_jit_compile_request(const moe_jit_request_t *request,
                                       char **error) {
  auto fail = [&](const std::string &message) {
    if (error)
      *error = copyString(message);
    return 1;
  };
  if (!request || !request->source || !request->out_path)
    return fail("moe_jit_compile: source and out_path are required");
  const char *outPath = request->out_path;
  moe::jit::CompileOptions options;
  options.target = request->target ? request->target : "cpu";
  options.chip = request->chip ? request->chip : "";
  options.chipIsDevice = request->chip_is_device != 0;
  if (options.target == "cpu" && !options.chip.empty())
    return fail("moe_jit_compile: a chip applies to GPU targets only, not "
                "cpu");
  options.tileTable = request->tile_table ? request->tile_table : "";
  if (options.target != "cpu" && !options.tileTable.empty())
    return fail("moe_jit_compile: a tile table applies to the cpu target "
                "only");
  options.checks = request->checks != 0;
  options.emit = moe::jit::Emit::So;
  auto result = request->source_is_layer_spec
                    ? moe::jit::compileLayer(request->source, options)
                    : moe::jit::compile(request->source, options);
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
