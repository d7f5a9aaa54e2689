//===- Signature.cpp - entry points, manifest and C header ----------------===//
#include "Signature.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <set>

using namespace mlir;
using namespace ::moe::jit;

static std::optional<std::string> dtypeName(Type type) {
  if (type.isF32())
    return "f32";
  if (type.isF16())
    return "f16";
  if (type.isBF16())
    return "bf16";
  if (type.isInteger(32))
    return "i32";
  return std::nullopt;
}

static llvm::Expected<TensorSignature>
readTensor(func::FuncOp func, Type type, DictionaryAttr attrs,
           const std::string &fallbackName, StringRef what) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  std::optional<std::string> dtype =
      tensor ? dtypeName(tensor.getElementType()) : std::nullopt;
  if (!dtype) {
    std::string text;
    llvm::raw_string_ostream os(text);
    os << "entry point '" << func.getName() << "' " << what << " has type "
       << type
       << "; entry points take and return ranked tensors of f32, f16, bf16 "
          "or i32";
    return llvm::createStringError(text);
  }
  TensorSignature signature;
  signature.name = fallbackName;
  if (attrs)
    if (auto name = attrs.getAs<StringAttr>("moe.name"))
      signature.name = name.str();
  signature.dtype = *dtype;
  for (int64_t dim : tensor.getShape())
    signature.shape.push_back(ShapedType::isDynamic(dim) ? -1 : dim);
  return signature;
}

llvm::Expected<std::vector<EntrySignature>>
(::moe::jit::readEntries)(ModuleOp module) {
  std::vector<EntrySignature> entries;
  for (auto func : module.getOps<func::FuncOp>()) {
    if (!func.isPublic() || func.isExternal())
      continue;
    EntrySignature entry;
    entry.name = func.getName().str();
    unsigned numArgs = func.getNumArguments();
    for (unsigned i = 0; i < numArgs; ++i) {
      DictionaryAttr attrs = func.getArgAttrDict(i);
      if (attrs && attrs.get("moe.status") && i + 1 == numArgs) {
        entry.status = true;
        continue;
      }
      auto arg = readTensor(func, func.getArgument(i).getType(), attrs,
                            "arg" + std::to_string(i),
                            "argument #" + std::to_string(i));
      if (!arg)
        return arg.takeError();
      entry.args.push_back(std::move(*arg));
    }
    for (unsigned i = 0; i < func.getNumResults(); ++i) {
      auto result = readTensor(func, func.getResultTypes()[i],
                               func.getResultAttrDict(i),
                               "result" + std::to_string(i),
                               "result #" + std::to_string(i));
      if (!result)
        return result.takeError();
      entry.results.push_back(std::move(*result));
    }
    entries.push_back(std::move(entry));
  }
  if (entries.empty())
    return llvm::createStringError(
        "the module has no public function to export as an entry point");
  return entries;
}

static std::string optionalText(DictionaryAttr dict, StringRef key) {
  auto text = dict.getAs<StringAttr>(key);
  return text ? text.str() : std::string();
}

std::vector<ContractSiteInfo> (::moe::jit::readContracts)(ModuleOp module) {
  std::vector<ContractSiteInfo> sites;
  auto attr = module->getAttrOfType<ArrayAttr>("moe.contracts");
  if (!attr)
    return sites;
  for (auto site : attr.getAsRange<DictionaryAttr>())
    sites.push_back({site.getAs<StringAttr>("op").str(),
                     site.getAs<StringAttr>("kind").str(),
                     site.getAs<StringAttr>("tensor").str(),
                     site.getAs<IntegerAttr>("rank").getInt(),
                     optionalText(site, "contract"),
                     optionalText(site, "bound")});
  return sites;
}

static void writeTensors(llvm::json::OStream &json, StringRef key,
                         const std::vector<TensorSignature> &tensors) {
  json.attributeArray(key, [&] {
    for (const TensorSignature &tensor : tensors)
      json.object([&] {
        json.attribute("name", tensor.name);
        json.attribute("dtype", tensor.dtype);
        json.attributeArray("shape", [&] {
          for (int64_t dim : tensor.shape)
            json.value(dim);
        });
      });
  });
}

std::string (::moe::jit::buildManifest)(const CompileResult &result,
                                    const CompileOptions &options,
                                    const std::string &layerSpec,
                                    const std::vector<std::string> &cpuFeatures) {
  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::json::OStream json(os, /*IndentSize=*/1);
  json.object([&] {
    json.attribute("format", 2);
    json.attribute("compiler", compilerVersion());
    json.attribute("target", options.target);
    if (!options.chip.empty())
      json.attribute("chip", options.chip);
    if (!options.cpu.empty())
      json.attribute("cpu", options.cpu);
    json.attributeArray("cpu_features", [&] {
      for (const std::string &feature : cpuFeatures)
        json.value(feature);
    });
    json.attribute("checks", options.checks);
    if (!layerSpec.empty())
      json.attribute("layer_spec", layerSpec);
    json.attributeArray("entries", [&] {
      for (const EntrySignature &entry : result.entries)
        json.object([&] {
          json.attribute("name", entry.name);
          json.attribute("symbol", "_mlir_ciface_" + entry.name);
          json.attribute("status", entry.status);
          writeTensors(json, "args", entry.args);
          writeTensors(json, "results", entry.results);
        });
    });
    if (!result.kernels.empty())
      json.attributeArray("kernels", [&] {
        for (const KernelInfo &kernel : result.kernels)
          json.object([&] {
            json.attribute("entry", kernel.entry);
            json.attribute("name", kernel.name);
            json.attributeArray("grid", [&] {
              for (const std::string &size : kernel.grid)
                json.value(size);
            });
            json.attributeArray("block", [&] {
              for (int64_t size : kernel.block)
                json.value(size);
            });
            json.attribute("workgroup_bytes", kernel.workgroupBytes);
          });
      });
    json.attributeArray("contracts", [&] {
      for (const ContractSiteInfo &site : result.contracts)
        json.object([&] {
          json.attribute("op", site.op);
          json.attribute("kind", site.kind);
          json.attribute("tensor", site.tensor);
          json.attribute("rank", site.rank);
          if (!site.contract.empty()) {
            json.attribute("contract", site.contract);
            json.attribute("bound", site.bound);
          }
        });
    });
  });
  return text;
}

std::string(::moe::jit::shapeText)(const TensorSignature &tensor) {
  std::string text = "[";
  for (size_t i = 0; i < tensor.shape.size(); ++i)
    text += (i ? ", " : "") + (tensor.shape[i] < 0
                                   ? std::string(i == 0 ? "T" : "?")
                                   : std::to_string(tensor.shape[i]));
  return text + "] " + tensor.dtype;
}

std::string (::moe::jit::buildHeader)(const CompileResult &result) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "/* Generated by moe-compile (" << compilerVersion() << ").\n"
     << " * Entry points of an moe-mlir artifact; the calling convention is\n"
     << " * docs/abi.md: MLIR's C interface, every tensor a memref descriptor,\n"
     << " * results allocated by the callee with malloc. T is the token count,\n"
     << " * any value >= 0: one compiled entry point serves every T. */\n"
     << "#ifndef MOE_ARTIFACT_H\n#define MOE_ARTIFACT_H\n\n#include <stdint.h>\n\n"
     << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  std::set<size_t> ranks;
  for (const EntrySignature &entry : result.entries) {
    for (const TensorSignature &t : entry.args)
      ranks.insert(t.shape.size());
    for (const TensorSignature &t : entry.results)
      ranks.insert(t.shape.size());
    if (entry.status)
      ranks.insert(1);
  }
  for (size_t rank : ranks) {
    os << "typedef struct {\n  void *allocated;\n  void *aligned;\n"
       << "  int64_t offset;\n";
    if (rank)
      os << "  int64_t sizes[" << rank << "];\n  int64_t strides[" << rank
         << "];\n";
    os << "} moe_memref" << rank << "d;\n\n";
  }
  os << "/* The artifact's manifest (JSON). */\nconst char *moe_artifact_manifest(void);\n\n";
  for (const EntrySignature &entry : result.entries) {
    os << "/* " << entry.name << "\n";
    for (const TensorSignature &t : entry.args)
      os << " *   in  " << t.name << " " << shapeText(t) << "\n";
    for (const TensorSignature &t : entry.results)
      os << " *   out " << t.name << " " << shapeText(t) << "\n";
    if (entry.status)
      os << " *   status int64_t[6], zeroed by the caller (docs/abi.md)\n";
    os << " */\n";
    std::string resultType;
    if (entry.results.size() == 1) {
      resultType = "moe_memref" +
                   std::to_string(entry.results[0].shape.size()) + "d";
    } else if (entry.results.size() > 1) {
      os << "typedef struct {\n";
      for (const TensorSignature &t : entry.results)
        os << "  moe_memref" << t.shape.size() << "d " << t.name << ";\n";
      os << "} " << entry.name << "_results;\n";
      resultType = entry.name + "_results";
    }
    os << "void _mlir_ciface_" << entry.name << "(";
    bool first = true;
    auto param = [&](const std::string &type, const std::string &name) {
      os << (first ? "" : ", ") << type << " *" << name;
      first = false;
    };
    if (!resultType.empty())
      param(resultType, "results");
    for (const TensorSignature &t : entry.args)
      param("moe_memref" + std::to_string(t.shape.size()) + "d", t.name);
    if (entry.status)
      param("moe_memref1d", "status");
    os << ");\n\n";
  }
  os << "#ifdef __cplusplus\n}\n#endif\n\n#endif /* MOE_ARTIFACT_H */\n";
  return text;
}
