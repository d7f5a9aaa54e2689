//===- Shapes.h - moe-bench's named shapes and token lists ------*- C++ -*-===//
#ifndef MOE_TOOLS_MOE_BENCH_SHAPES_H
#define MOE_TOOLS_MOE_BENCH_SHAPES_H

#include "moe/Spec/LayerSpec.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace moe::bench {

/// The layer spec (without dtype) of a named model shape, or nullopt when
/// `name` is none of qwen3-30b-a3b, mixtral-8x7b, deepseek-v3.
std::optional<std::string> namedShape(const std::string &name);

/// "qwen3-30b-a3b, mixtral-8x7b, deepseek-v3".
std::string namedShapeList();

/// The layer of `--shape` (a name or a spec) at `--dtype` (empty when the
/// flag was not given). A named shape takes --dtype (bf16 when absent); a spec
/// keeps its own dtype, takes --dtype when it has none, and conflicting ones
/// are an error. On error returns nullopt and sets `error`.
std::optional<LayerSpec> resolveShape(const std::string &shape,
                                      const std::string &dtype,
                                      std::string &error);

/// Parses "1,32,128": positive integers, no duplicates. On error returns
/// nullopt and sets `error`.
std::optional<std::vector<int64_t>> parseTokenList(const std::string &text,
                                                   std::string &error);

} // namespace moe::bench

#endif // MOE_TOOLS_MOE_BENCH_SHAPES_H
