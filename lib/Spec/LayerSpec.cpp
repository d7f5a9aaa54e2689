//===- LayerSpec.cpp - the `--layer` specification of a MoE block ---------===//
#include "moe/Spec/LayerSpec.h"

#include "moe/Support/CheckedMath.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

using namespace moe;

namespace {

std::optional<int64_t> parseInt(std::string_view text) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size())
    return std::nullopt;
  return value;
}

std::optional<float> parseFloat(std::string_view text) {
  std::string copy(text);
  char *end = nullptr;
  float value = std::strtof(copy.c_str(), &end);
  if (copy.empty() || end != copy.c_str() + copy.size())
    return std::nullopt;
  return value;
}

std::optional<bool> parseBool(std::string_view text) {
  if (text == "1" || text == "true")
    return true;
  if (text == "0" || text == "false")
    return false;
  return std::nullopt;
}

/// Shortest text that reads back as the same float, both directly (strtof:
/// parse) and through a double (MLIR parses a literal as a double, then
/// rounds it to f32). Nine significant digits always do.
std::string floatText(float value) {
  char buffer[32];
  for (int precision = 1; precision <= 9; ++precision) {
    std::snprintf(buffer, sizeof buffer, "%.*g", precision, value);
    if (std::strtof(buffer, nullptr) == value &&
        static_cast<float>(std::strtod(buffer, nullptr)) == value)
      break;
  }
  return buffer;
}

/// A float literal MLIR reads as a float. Its lexer wants digits, a '.' and
/// digits before any exponent: "1" becomes "1.0" and "1e+05" (what %g
/// prints for 1e5) "1.0e+05"; "1e+05" alone lexes as the integer 1.
std::string mlirFloat(float value) {
  std::string text = floatText(value);
  if (text.find('.') == std::string::npos) {
    size_t exponent = text.find_first_of("eE");
    text.insert(exponent == std::string::npos ? text.size() : exponent, ".0");
  }
  return text;
}

const char *mlirType(ref::DType dtype) {
  switch (dtype) {
  case ref::DType::F32:
    return "f32";
  case ref::DType::F16:
    return "f16";
  case ref::DType::BF16:
    return "bf16";
  }
  return "f32";
}

std::string tensorType(const LayerSpec::Tensor &tensor) {
  std::string text = "tensor<";
  for (int64_t dim : tensor.shape)
    text += (dim < 0 ? std::string("?") : std::to_string(dim)) + "x";
  return text + mlirType(tensor.dtype) + ">";
}

/// Bytes per element (f16 and bf16 take 2).
size_t bytesOf(ref::DType dtype) {
  return dtype == ref::DType::F32 ? 4 : 2;
}

/// Whether every size computed from `spec` fits in int64; else `error` names
/// the tensor and its shape.
bool checkSizes(const LayerSpec &spec, std::string &error) {
  // The gated widths first: arguments() computes them.
  const std::pair<const char *, int64_t> widths[] = {
      {"inter", spec.inter}, {"shared_inter", spec.sharedInter}};
  for (const auto &[key, value] : widths) {
    int64_t widened;
    if (spec.gated && !checkedMul<int64_t>(2, value, widened)) {
      error = std::string("layer spec: ") + key + " = " +
              std::to_string(value) + " is too large: the gated width 2 * " +
              key + " overflows a 64-bit integer";
      return false;
    }
  }
  // Every weight's byte size, and one token's row of every activation (the
  // token count is dynamic), and their sum, must fit in int64: the compiler,
  // the runtime and moe-run all compute them.
  int64_t total = 0;
  for (const LayerSpec::Tensor &tensor : spec.arguments()) {
    std::vector<int64_t> shape = tensor.shape;
    for (int64_t &extent : shape)
      extent = extent < 0 ? 1 : extent;
    int64_t bytes = 0;
    bool fits = checkedByteSize(shape, bytesOf(tensor.dtype), bytes);
    if (!fits || !checkedAdd(total, bytes, total)) {
      std::string dims;
      for (int64_t extent : tensor.shape)
        dims += (dims.empty() ? "" : ", ") +
                (extent < 0 ? std::string("T") : std::to_string(extent));
      error = "layer spec: the sizes are too large: " + tensor.name + " [" +
              dims + "] of " + ref::toString(tensor.dtype) +
              (fits ? " (with the tensors before it)" : "") +
              " has more bytes than fit in a 64-bit integer";
      return false;
    }
  }
  return true;
}

} // namespace

std::optional<LayerSpec> LayerSpec::parse(std::string_view text,
                                          std::string &error) {
  LayerSpec spec;
  bool seen[4] = {false, false, false, false}; // experts, k, hidden, inter
  bool seenDtype = false, seenGroupTopk = false;
  std::map<std::string, bool> keys;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view()
                                           : text.substr(comma + 1);
    if (item.empty())
      continue;
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      error = "layer spec: expected key=value, got '" + std::string(item) + "'";
      return std::nullopt;
    }
    std::string key(item.substr(0, eq));
    std::string_view value = item.substr(eq + 1);
    if (!keys.emplace(key, true).second) {
      error = "layer spec: key '" + key + "' given twice";
      return std::nullopt;
    }
    auto bad = [&](const char *expected) {
      error = "layer spec: " + key + "=" + std::string(value) + " is not " +
              expected;
      return std::nullopt;
    };
    auto positive = [&](int64_t &field, int index) -> bool {
      std::optional<int64_t> v = parseInt(value);
      if (!v || *v < 1)
        return false;
      field = *v;
      if (index >= 0)
        seen[index] = true;
      return true;
    };
    if (key == "experts") {
      if (!positive(spec.experts, 0))
        return bad("a positive integer");
    } else if (key == "k") {
      if (!positive(spec.k, 1))
        return bad("a positive integer");
    } else if (key == "hidden") {
      if (!positive(spec.hidden, 2))
        return bad("a positive integer");
    } else if (key == "inter") {
      if (!positive(spec.inter, 3))
        return bad("a positive integer");
    } else if (key == "dtype") {
      std::optional<ref::DType> dtype = ref::parseDType(value);
      if (!dtype)
        return bad("one of f32, f16, bf16");
      spec.dtype = *dtype;
      seenDtype = true;
    } else if (key == "scoring") {
      std::optional<ref::Scoring> scoring = ref::parseScoring(value);
      if (!scoring)
        return bad("one of softmax, sigmoid");
      spec.scoring = *scoring;
    } else if (key == "renormalize") {
      std::optional<bool> v = parseBool(value);
      if (!v)
        return bad("0 or 1");
      spec.renormalize = *v;
    } else if (key == "groups") {
      if (!positive(spec.groups, -1))
        return bad("a positive integer");
    } else if (key == "group_topk") {
      if (!positive(spec.groupTopk, -1))
        return bad("a positive integer");
      seenGroupTopk = true;
    } else if (key == "scaling") {
      std::optional<float> v = parseFloat(value);
      if (!v || !std::isfinite(*v) || *v <= 0)
        return bad("a finite positive number");
      spec.scaling = *v;
    } else if (key == "activation") {
      std::optional<ref::Activation> activation = ref::parseActivation(value);
      if (!activation)
        return bad("one of none, relu, silu, gelu, gelu_tanh");
      spec.activation = *activation;
    } else if (key == "gated") {
      std::optional<bool> v = parseBool(value);
      if (!v)
        return bad("0 or 1");
      spec.gated = *v;
    } else if (key == "shared_inter") {
      std::optional<int64_t> v = parseInt(value);
      if (!v || *v < 0)
        return bad("a non-negative integer");
      spec.sharedInter = *v;
    } else if (key == "capacity_factor") {
      std::optional<float> v = parseFloat(value);
      if (!v || !std::isfinite(*v) || *v <= 0)
        return bad("a finite positive number");
      spec.capacityFactor = *v;
    } else if (key == "weight_layout") {
      std::optional<ref::WeightLayout> layout = ref::parseWeightLayout(value);
      if (!layout)
        return bad("one of eio, eoi");
      spec.layout = *layout;
    } else if (key == "router_bias") {
      std::optional<bool> v = parseBool(value);
      if (!v)
        return bad("0 or 1");
      spec.routerBias = *v;
    } else {
      error = "layer spec: unknown key '" + key +
              "' (known: experts, k, hidden, inter, dtype, scoring, "
              "renormalize, groups, group_topk, scaling, activation, gated, "
              "shared_inter, capacity_factor, weight_layout, router_bias)";
      return std::nullopt;
    }
  }
  const char *required[4] = {"experts", "k", "hidden", "inter"};
  for (int i = 0; i < 4; ++i)
    if (!seen[i]) {
      error = std::string("layer spec: missing required key '") + required[i] +
              "'";
      return std::nullopt;
    }
  if (!seenDtype) {
    error = "layer spec: missing required key 'dtype'";
    return std::nullopt;
  }
  if (!seenGroupTopk)
    spec.groupTopk = spec.groups;
  // The static contracts of moe.route / moe.layer (DESIGN.md §4.1).
  if (spec.k > spec.experts) {
    error = "layer spec: k = " + std::to_string(spec.k) +
            " must not exceed experts = " + std::to_string(spec.experts);
    return std::nullopt;
  }
  if (spec.experts % spec.groups != 0) {
    error = "layer spec: groups = " + std::to_string(spec.groups) +
            " must divide experts = " + std::to_string(spec.experts);
    return std::nullopt;
  }
  if (spec.groupTopk > spec.groups) {
    error = "layer spec: group_topk = " + std::to_string(spec.groupTopk) +
            " must be in [1, groups = " + std::to_string(spec.groups) + "]";
    return std::nullopt;
  }
  if (spec.k > spec.groupTopk * (spec.experts / spec.groups)) {
    error = "layer spec: k = " + std::to_string(spec.k) +
            " must not exceed group_topk * experts / groups = " +
            std::to_string(spec.groupTopk * (spec.experts / spec.groups));
    return std::nullopt;
  }
  if (!checkSizes(spec, error))
    return std::nullopt;
  return spec;
}


std::string LayerSpec::str() const {
  std::ostringstream out;
  out << "experts=" << experts << ",k=" << k << ",hidden=" << hidden
      << ",inter=" << inter << ",dtype=" << ref::toString(dtype)
      << ",scoring=" << ref::toString(scoring)
      << ",renormalize=" << (renormalize ? 1 : 0) << ",groups=" << groups
      << ",group_topk=" << groupTopk << ",scaling=" << floatText(scaling)
      << ",activation=" << ref::toString(activation)
      << ",gated=" << (gated ? 1 : 0) << ",shared_inter=" << sharedInter;
  if (capacityFactor)
    out << ",capacity_factor=" << floatText(*capacityFactor);
  out << ",weight_layout=" << ref::toString(layout)
      << ",router_bias=" << (routerBias ? 1 : 0);
  return out.str();
}

std::vector<LayerSpec::Tensor> LayerSpec::arguments() const {
  bool eio = layout == ref::WeightLayout::ExpertInOut;
  int64_t gateUp = gated ? 2 * inter : inter;
  std::vector<Tensor> args;
  args.push_back({"x", {-1, hidden}, dtype});
  args.push_back({"router_w", {hidden, experts}, dtype});
  if (routerBias)
    args.push_back({"router_bias", {experts}, ref::DType::F32});
  args.push_back({"w_gate_up",
                  eio ? std::vector<int64_t>{experts, hidden, gateUp}
                      : std::vector<int64_t>{experts, gateUp, hidden},
                  dtype});
  args.push_back({"w_down",
                  eio ? std::vector<int64_t>{experts, inter, hidden}
                      : std::vector<int64_t>{experts, hidden, inter},
                  dtype});
  if (sharedInter > 0) {
    int64_t sharedGateUp = gated ? 2 * sharedInter : sharedInter;
    args.push_back({"shared_gate_up",
                    eio ? std::vector<int64_t>{hidden, sharedGateUp}
                        : std::vector<int64_t>{sharedGateUp, hidden},
                    dtype});
    args.push_back({"shared_down",
                    eio ? std::vector<int64_t>{sharedInter, hidden}
                        : std::vector<int64_t>{hidden, sharedInter},
                    dtype});
  }
  return args;
}

LayerSpec::Tensor LayerSpec::result() const {
  return {"out", {-1, hidden}, dtype};
}

std::string LayerSpec::toMlir() const {
  std::vector<Tensor> args = arguments();
  std::ostringstream out;
  out << "// moe-mlir layer: " << str() << "\n";
  out << "func.func @moe_layer(";
  for (size_t i = 0; i < args.size(); ++i)
    out << (i ? ", " : "") << "%" << args[i].name << ": "
        << tensorType(args[i]) << " {moe.name = \"" << args[i].name << "\"}";
  out << ") -> (" << tensorType(result()) << " {moe.name = \"out\"}) {\n";
  out << "  %out = moe.layer %x, %router_w, %w_gate_up, %w_down";
  if (routerBias)
    out << " bias(%router_bias : " << tensorType(args[2]) << ")";
  if (sharedInter > 0)
    out << " shared(%shared_gate_up, %shared_down : "
        << tensorType(args[args.size() - 2]) << ", "
        << tensorType(args.back()) << ")";
  out << " top_k(" << k << ") scoring<" << ref::toString(scoring) << ">";
  if (groups > 1)
    out << " groups(" << groups << ", " << groupTopk << ")";
  if (renormalize)
    out << " renormalize";
  out << " scaling(" << mlirFloat(scaling) << ")";
  out << " activation<" << ref::toString(activation) << ">";
  if (gated)
    out << " gated";
  out << " layout<" << ref::toString(layout) << ">";
  if (capacityFactor)
    out << " capacity_factor(" << mlirFloat(*capacityFactor) << ")";
  out << " : " << tensorType(args[0]) << ", " << tensorType(args[1]) << ", "
      << tensorType(args[routerBias ? 3 : 2]) << ", "
      << tensorType(args[routerBias ? 4 : 3]) << "\n";
  out << "  return %out : " << tensorType(result()) << "\n}\n";
  return out.str();
}

ref::LayerOptions LayerSpec::referenceOptions() const {
  ref::LayerOptions options;
  options.route.k = k;
  options.route.scoring = scoring;
  options.route.renormalize = renormalize;
  options.route.scaling = scaling;
  options.route.groups = groups;
  options.route.groupTopk = groupTopk;
  options.activation = activation;
  options.gated = gated;
  options.layout = layout;
  if (capacityFactor)
    options.capacityFactor = static_cast<double>(*capacityFactor);
  options.dtype = dtype;
  return options;
}
