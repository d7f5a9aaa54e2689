//===- Shapes.cpp - moe-bench's named shapes and token lists --------------===//

#include "Shapes.h"

#include <algorithm>
#include <charconv>

namespace moe::bench {

namespace {

struct NamedShape {
  const char *name;
  const char *spec;
};

// The MoE blocks of the public model configs (config.json of each model).
const NamedShape kShapes[] = {
    {"qwen3-30b-a3b", "experts=128,k=8,hidden=2048,inter=768,renormalize=1"},
    {"mixtral-8x7b", "experts=8,k=2,hidden=4096,inter=14336"},
    {"deepseek-v3",
     "experts=256,k=8,hidden=7168,inter=2048,scoring=sigmoid,groups=8,"
     "group_topk=4,scaling=2.5,router_bias=1,shared_inter=2048,"
     "renormalize=1"},
};

/// The value of `key` in a key=value,... text, when present.
std::optional<std::string> specValue(const std::string &text,
                                     const std::string &key) {
  size_t begin = 0;
  while (begin <= text.size()) {
    size_t end = text.find(',', begin);
    if (end == std::string::npos)
      end = text.size();
    std::string item = text.substr(begin, end - begin);
    if (item.compare(0, key.size() + 1, key + "=") == 0)
      return item.substr(key.size() + 1);
    begin = end + 1;
  }
  return std::nullopt;
}

} // namespace

std::optional<std::string> namedShape(const std::string &name) {
  for (const NamedShape &shape : kShapes)
    if (name == shape.name)
      return std::string(shape.spec);
  return std::nullopt;
}

std::string namedShapeList() {
  std::string text;
  for (const NamedShape &shape : kShapes)
    text += (text.empty() ? "" : ", ") + std::string(shape.name);
  return text;
}

std::optional<LayerSpec> resolveShape(const std::string &shape,
                                      const std::string &dtype,
                                      std::string &error) {
  if (!dtype.empty() && !ref::parseDType(dtype)) {
    error = "--dtype " + dtype + " is not one of f32, f16, bf16";
    return std::nullopt;
  }
  std::string text;
  if (std::optional<std::string> named = namedShape(shape)) {
    text = *named + ",dtype=" + (dtype.empty() ? "bf16" : dtype);
  } else if (shape.find('=') != std::string::npos) {
    std::optional<std::string> own = specValue(shape, "dtype");
    if (own && !dtype.empty() && *own != dtype) {
      error = "--shape says dtype=" + *own + " but --dtype says " + dtype +
              " (give one of them)";
      return std::nullopt;
    }
    text = own ? shape : shape + ",dtype=" + (dtype.empty() ? "bf16" : dtype);
  } else {
    error = "--shape '" + shape + "' is neither a known shape (" +
            namedShapeList() +
            ") nor a layer spec (experts=8,k=2,hidden=64,inter=32,...)";
    return std::nullopt;
  }
  std::optional<LayerSpec> spec = LayerSpec::parse(text, error);
  if (!spec)
    error = "--shape: " + error;
  return spec;
}

std::optional<std::vector<int64_t>> parseTokenList(const std::string &text,
                                                   std::string &error) {
  std::vector<int64_t> tokens;
  size_t begin = 0;
  while (true) {
    size_t end = text.find(',', begin);
    if (end == std::string::npos)
      end = text.size();
    std::string item = text.substr(begin, end - begin);
    int64_t value = 0;
    auto [last, ec] =
        std::from_chars(item.data(), item.data() + item.size(), value);
    if (item.empty() || ec != std::errc() ||
        last != item.data() + item.size() || value < 1) {
      error = "--tokens: '" + item +
              "' is not a positive integer (expected a list such as "
              "1,32,128,512,2048)";
      return std::nullopt;
    }
    if (std::find(tokens.begin(), tokens.end(), value) != tokens.end()) {
      error = "--tokens: " + item + " is given twice";
      return std::nullopt;
    }
    tokens.push_back(value);
    if (end == text.size())
      break;
    begin = end + 1;
  }
  return tokens;
}

} // namespace moe::bench
