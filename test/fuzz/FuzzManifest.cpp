//===- FuzzManifest.cpp - libFuzzer target: the artifact manifest reader ---===//
//
// The input is the JSON an artifact's moe_artifact_manifest() returns
// (docs/abi.md). parseManifest must accept it or return MOE_ERROR_IO with a
// message, never crash or throw.
//
//===----------------------------------------------------------------------===//
#include "Manifest.h"

#include "FuzzCheck.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

void check(bool condition, const char *what) {
  moe::fuzz::check(condition, "FuzzManifest", what);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string text(reinterpret_cast<const char *>(data), size);
  moe::runtime::Manifest manifest;
  moe::runtime::Error error = moe::runtime::parseManifest(text, manifest);
  if (error) {
    check(!error.message.empty(), "parseManifest failed without a message");
    return 0;
  }
  // What the runtime does next with an accepted manifest: name the shapes.
  for (const auto &entry : manifest.entries) {
    for (const auto &arg : entry.args)
      (void)moe::runtime::formatShape(arg.shape);
    for (const auto &result : entry.results)
      (void)moe::runtime::formatShape(result.shape);
  }
  return 0;
}
