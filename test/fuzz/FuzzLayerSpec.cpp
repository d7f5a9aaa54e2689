//===- FuzzLayerSpec.cpp - libFuzzer target: the layer-spec parser ---------===//
//
// The input is a layer spec (`experts=8,k=2,...`). LayerSpec::parse must
// accept or refuse it with a message; an accepted spec's canonical form must
// parse to the same spec, and everything derived from it (module text,
// argument list, reference options) must be computable without a crash.
//
//===----------------------------------------------------------------------===//
#include "moe/Spec/LayerSpec.h"

#include "FuzzCheck.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

void check(bool condition, const char *what) {
  moe::fuzz::check(condition, "FuzzLayerSpec", what);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view text(reinterpret_cast<const char *>(data), size);
  std::string error;
  std::optional<moe::LayerSpec> spec = moe::LayerSpec::parse(text, error);
  if (!spec) {
    check(!error.empty(), "parse failed without a message");
    return 0;
  }
  std::string canonical = spec->str();
  std::optional<moe::LayerSpec> again = moe::LayerSpec::parse(canonical, error);
  check(again.has_value(), "the canonical form of a spec does not parse");
  check(again->str() == canonical, "the canonical form is not a fixed point");
  std::string module = spec->toMlir();
  check(!module.empty(), "toMlir returned nothing");
  auto arguments = spec->arguments();
  check(!arguments.empty(), "a layer without arguments");
  (void)spec->result();
  (void)spec->referenceOptions();
  return 0;
}
