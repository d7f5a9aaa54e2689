//===- Manifest.cpp - the JSON manifest of an artifact --------------------===//

#include "Manifest.h"

#include <nlohmann/json.hpp>

#include <cstring>

namespace moe::runtime {

using nlohmann::json;

namespace {

Error bad(const std::string &what) {
  return makeError(MOE_ERROR_IO, "invalid artifact manifest: " + what);
}

bool parseDType(const std::string &name, moe_dtype_t &dtype) {
  return moe_dtype_from_name(name.c_str(), &dtype) == MOE_OK;
}

Error parseTensor(const json &value, const std::string &where,
                  TensorSignature &tensor) {
  if (!value.is_object())
    return bad(where + " is not an object");
  auto name = value.find("name");
  if (name == value.end() || !name->is_string())
    return bad(where + " has no string \"name\"");
  tensor.name = name->get<std::string>();
  auto dtype = value.find("dtype");
  if (dtype == value.end() || !dtype->is_string())
    return bad(where + " (" + tensor.name + ") has no string \"dtype\"");
  if (!parseDType(dtype->get<std::string>(), tensor.dtype))
    return bad(where + " (" + tensor.name + ") has unknown dtype '" +
               dtype->get<std::string>() + "'");
  auto shape = value.find("shape");
  if (shape == value.end() || !shape->is_array())
    return bad(where + " (" + tensor.name + ") has no array \"shape\"");
  for (const json &extent : *shape) {
    // A value above INT64_MAX is an unsigned JSON number that would wrap.
    if (!extent.is_number_integer() ||
        (extent.is_number_unsigned() &&
         extent.get<uint64_t>() > uint64_t(INT64_MAX)) ||
        extent.get<int64_t>() < -1)
      return bad(where + " (" + tensor.name +
                 ") has a shape extent that is not an integer >= -1");
    tensor.shape.push_back(extent.get<int64_t>());
  }
  return Error::ok();
}

Error parseTensors(const json &entry, const char *key, const std::string &where,
                   std::vector<TensorSignature> &tensors) {
  auto list = entry.find(key);
  if (list == entry.end() || !list->is_array())
    return bad(where + " has no array \"" + key + "\"");
  for (size_t i = 0; i < list->size(); ++i) {
    TensorSignature tensor;
    if (Error error = parseTensor((*list)[i],
                                  where + " " + key + "[" + std::to_string(i) +
                                      "]",
                                  tensor))
      return error;
    tensors.push_back(std::move(tensor));
  }
  return Error::ok();
}

Error parseEntry(const json &value, size_t index, EntrySignature &entry) {
  std::string where = "entries[" + std::to_string(index) + "]";
  if (!value.is_object())
    return bad(where + " is not an object");
  auto name = value.find("name");
  if (name == value.end() || !name->is_string() ||
      name->get<std::string>().empty())
    return bad(where + " has no \"name\"");
  entry.name = name->get<std::string>();
  where = "entry '" + entry.name + "'";
  auto symbol = value.find("symbol");
  if (symbol == value.end())
    entry.symbol = "_mlir_ciface_" + entry.name;
  else if (symbol->is_string() && !symbol->get<std::string>().empty())
    entry.symbol = symbol->get<std::string>();
  else
    return bad(where + " has a \"symbol\" that is not a string");
  auto status = value.find("status");
  if (status != value.end()) {
    if (!status->is_boolean())
      return bad(where + " has a \"status\" that is not a boolean");
    entry.status = status->get<bool>();
  }
  if (Error error = parseTensors(value, "args", where, entry.args))
    return error;
  return parseTensors(value, "results", where, entry.results);
}

Error parseContract(const json &value, size_t index, ContractSite &site) {
  std::string where = "contracts[" + std::to_string(index) + "]";
  if (!value.is_object())
    return bad(where + " is not an object");
  auto op = value.find("op");
  auto kind = value.find("kind");
  auto tensor = value.find("tensor");
  if (op == value.end() || !op->is_string())
    return bad(where + " has no string \"op\"");
  if (kind == value.end() || !kind->is_string())
    return bad(where + " has no string \"kind\"");
  if (tensor == value.end() || !tensor->is_string())
    return bad(where + " has no string \"tensor\"");
  site.op = op->get<std::string>();
  site.tensor = tensor->get<std::string>();
  std::optional<ref::ContractKind> parsed =
      ref::parseContractKind(kind->get<std::string>());
  if (!parsed)
    return bad(where + " has unknown kind '" + kind->get<std::string>() + "'");
  site.kind = *parsed;
  for (auto [key, field] : {std::pair<const char *, std::string *>{
                                 "contract", &site.contract},
                             {"bound", &site.bound}}) {
    auto text = value.find(key);
    if (text == value.end())
      continue;
    if (!text->is_string())
      return bad(where + " has a \"" + key + "\" that is not a string");
    *field = text->get<std::string>();
  }
  if (site.kind == ref::ContractKind::Shape && site.contract.empty())
    return bad(where + " is a shape contract without its \"contract\" text");
  auto rank = value.find("rank");
  if (rank != value.end()) {
    if (!rank->is_number_integer())
      return bad(where + " has a \"rank\" that is not an integer");
    site.rank = rank->get<int64_t>();
  }
  return Error::ok();
}

} // namespace

Error parseManifest(const std::string &text, Manifest &manifest) {
  manifest = Manifest();
  manifest.json = text;
  json root = json::parse(text, /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded())
    return bad("not valid JSON");
  if (!root.is_object())
    return bad("not a JSON object");
  auto format = root.find("format");
  if (format == root.end() || !format->is_number_integer())
    return bad("no integer \"format\"");
  manifest.format = format->get<int64_t>();
  if (manifest.format != kManifestFormat)
    return makeError(MOE_ERROR_IO,
                     "artifact manifest format " +
                         std::to_string(manifest.format) +
                         " is not supported by this runtime (it reads format " +
                         std::to_string(kManifestFormat) + ")");
  auto compiler = root.find("compiler");
  if (compiler == root.end() || !compiler->is_string())
    return bad("no string \"compiler\"");
  manifest.compiler = compiler->get<std::string>();
  auto target = root.find("target");
  if (target == root.end() || !target->is_string())
    return bad("no string \"target\"");
  manifest.target = target->get<std::string>();
  auto chip = root.find("chip");
  if (chip != root.end()) {
    if (!chip->is_string())
      return bad("\"chip\" is not a string");
    manifest.chip = chip->get<std::string>();
  }
  auto cpu = root.find("cpu");
  if (cpu != root.end()) {
    if (!cpu->is_string())
      return bad("\"cpu\" is not a string");
    manifest.cpu = cpu->get<std::string>();
  }
  auto cpuFeatures = root.find("cpu_features");
  if (cpuFeatures != root.end()) {
    if (!cpuFeatures->is_array())
      return bad("\"cpu_features\" is not an array");
    for (const json &feature : *cpuFeatures) {
      if (!feature.is_string())
        return bad("\"cpu_features\" holds a value that is not a string");
      manifest.cpuFeatures.push_back(feature.get<std::string>());
    }
  }
  auto checks = root.find("checks");
  if (checks != root.end()) {
    if (!checks->is_boolean())
      return bad("\"checks\" is not a boolean");
    manifest.checks = checks->get<bool>();
  }
  auto spec = root.find("layer_spec");
  if (spec != root.end() && !spec->is_null()) {
    if (!spec->is_string())
      return bad("\"layer_spec\" is not a string");
    manifest.layerSpec = spec->get<std::string>();
  }
  auto entries = root.find("entries");
  if (entries == root.end() || !entries->is_array())
    return bad("no array \"entries\"");
  for (size_t i = 0; i < entries->size(); ++i) {
    EntrySignature entry;
    if (Error error = parseEntry((*entries)[i], i, entry))
      return error;
    for (const EntrySignature &other : manifest.entries)
      if (other.name == entry.name)
        return bad("two entries are named '" + entry.name + "'");
    manifest.entries.push_back(std::move(entry));
  }
  auto contracts = root.find("contracts");
  if (contracts != root.end()) {
    if (!contracts->is_array())
      return bad("\"contracts\" is not an array");
    for (size_t i = 0; i < contracts->size(); ++i) {
      ContractSite site;
      if (Error error = parseContract((*contracts)[i], i, site))
        return error;
      manifest.contracts.push_back(std::move(site));
    }
  }
  return Error::ok();
}

std::string formatShape(const int64_t *shape, int64_t rank) {
  std::string text = "[";
  for (int64_t i = 0; i < rank; ++i) {
    if (i)
      text += ", ";
    text += shape[i] < 0 ? std::string("?") : std::to_string(shape[i]);
  }
  return text + "]";
}

std::string formatShape(const std::vector<int64_t> &shape) {
  return formatShape(shape.data(), static_cast<int64_t>(shape.size()));
}

} // namespace moe::runtime
