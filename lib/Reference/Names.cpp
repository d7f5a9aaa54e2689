//===- Names.cpp - Attribute enum spellings ------------------------------===//
//
// The spellings are those of the IR attributes and the CLI options, so a
// layer spec or a .mlir attribute can be mapped to the reference directly.
//
//===----------------------------------------------------------------------===//

#include "moe/Reference/Reference.h"

#include <iterator>

namespace moe::ref {

namespace {

template <typename Enum> struct Spelling {
  Enum value;
  const char *name;
};

constexpr Spelling<DType> kDTypes[] = {
    {DType::F32, "f32"}, {DType::F16, "f16"}, {DType::BF16, "bf16"}};
constexpr Spelling<Scoring> kScorings[] = {{Scoring::Softmax, "softmax"},
                                           {Scoring::Sigmoid, "sigmoid"}};
constexpr Spelling<Activation> kActivations[] = {
    {Activation::None, "none"},
    {Activation::Relu, "relu"},
    {Activation::Silu, "silu"},
    {Activation::Gelu, "gelu"},
    {Activation::GeluTanh, "gelu_tanh"}};
constexpr Spelling<WeightLayout> kLayouts[] = {
    {WeightLayout::ExpertInOut, "eio"}, {WeightLayout::ExpertOutIn, "eoi"}};

template <typename Enum, size_t N>
const char *nameOf(const Spelling<Enum> (&table)[N], Enum value) {
  for (const auto &entry : table)
    if (entry.value == value)
      return entry.name;
  return "<invalid>";
}

template <typename Enum, size_t N>
std::optional<Enum> parse(const Spelling<Enum> (&table)[N],
                          std::string_view name) {
  for (const auto &entry : table)
    if (name == entry.name)
      return entry.value;
  return std::nullopt;
}

} // namespace

const char *toString(DType type) { return nameOf(kDTypes, type); }
const char *toString(Scoring scoring) { return nameOf(kScorings, scoring); }
const char *toString(Activation activation) {
  return nameOf(kActivations, activation);
}
const char *toString(WeightLayout layout) { return nameOf(kLayouts, layout); }

std::optional<DType> parseDType(std::string_view name) {
  return parse(kDTypes, name);
}
std::optional<Scoring> parseScoring(std::string_view name) {
  return parse(kScorings, name);
}
std::optional<Activation> parseActivation(std::string_view name) {
  return parse(kActivations, name);
}
std::optional<WeightLayout> parseWeightLayout(std::string_view name) {
  return parse(kLayouts, name);
}

} // namespace moe::ref
