//===- KernelTable.cpp - the device kernels of a GPU module ---------------===//
#include "KernelTable.h"
#include "Signature.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"

#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace ::moe::jit;

namespace {

/// Writes the host computation of an index value as a formula over the
/// entry's arguments: `T` for a dynamic dim 0 (the token count), dim(x, i)
/// for other dynamic dims. Values that are not shape arithmetic (loaded
/// from memory, merged by control flow) print as `runtime`.
class FormulaWriter {
public:
  FormulaWriter(func::FuncOp func, const EntrySignature *entry)
      : func(func), entry(entry) {}

  std::string write(Value value, int depth = 0) {
    if (depth > 32)
      return "runtime";
    if (auto arg = dyn_cast<BlockArgument>(value))
      return argName(arg);
    Operation *op = value.getDefiningOp();
    auto binary = [&](const char *symbol) {
      return "(" + write(op->getOperand(0), depth + 1) + " " + symbol + " " +
             write(op->getOperand(1), depth + 1) + ")";
    };
    auto call = [&](const char *name) {
      std::string text = std::string(name) + "(";
      for (unsigned i = 0; i < op->getNumOperands(); ++i)
        text += (i ? ", " : "") + write(op->getOperand(i), depth + 1);
      return text + ")";
    };
    return llvm::TypeSwitch<Operation *, std::string>(op)
        .Case([&](arith::ConstantOp constant) {
          std::string text;
          llvm::raw_string_ostream os(text);
          if (auto integer = dyn_cast<IntegerAttr>(constant.getValue()))
            os << integer.getValue();
          else if (auto real = dyn_cast<FloatAttr>(constant.getValue()))
            os << real.getValueAsDouble();
          else
            os << "runtime";
          return text;
        })
        .Case([&](memref::DimOp dim) { return dimName(dim, depth); })
        .Case([&](affine::AffineApplyOp apply) {
          return writeAffine(apply.getAffineMap().getResult(0),
                             apply.getMapOperands(),
                             apply.getAffineMap().getNumDims(), depth);
        })
        .Case<arith::AddIOp, arith::AddFOp>(
            [&](Operation *) { return binary("+"); })
        .Case<arith::SubIOp, arith::SubFOp>(
            [&](Operation *) { return binary("-"); })
        .Case<arith::MulIOp, arith::MulFOp>(
            [&](Operation *) { return binary("*"); })
        .Case<arith::DivUIOp, arith::DivSIOp, arith::DivFOp>(
            [&](Operation *) { return binary("/"); })
        .Case<arith::RemUIOp, arith::RemSIOp>(
            [&](Operation *) { return binary("%"); })
        .Case<arith::CeilDivUIOp, arith::CeilDivSIOp>(
            [&](Operation *) { return call("ceildiv"); })
        .Case<arith::MaxUIOp, arith::MaxSIOp>(
            [&](Operation *) { return call("max"); })
        .Case<arith::MinUIOp, arith::MinSIOp>(
            [&](Operation *) { return call("min"); })
        .Case([&](math::CeilOp) { return call("ceil"); })
        .Case<arith::IndexCastOp, arith::IndexCastUIOp, arith::ExtUIOp,
              arith::ExtSIOp, arith::TruncIOp, arith::UIToFPOp,
              arith::SIToFPOp, arith::FPToUIOp, arith::FPToSIOp>(
            [&](Operation *) { return write(op->getOperand(0), depth + 1); })
        .Default([](Operation *) { return std::string("runtime"); });
  }

private:
  std::string writeAffine(AffineExpr expr, ValueRange operands,
                          unsigned numDims, int depth) {
    if (auto constant = dyn_cast<AffineConstantExpr>(expr))
      return std::to_string(constant.getValue());
    if (auto dim = dyn_cast<AffineDimExpr>(expr))
      return write(operands[dim.getPosition()], depth + 1);
    if (auto symbol = dyn_cast<AffineSymbolExpr>(expr))
      return write(operands[numDims + symbol.getPosition()], depth + 1);
    auto binary = cast<AffineBinaryOpExpr>(expr);
    std::string lhs = writeAffine(binary.getLHS(), operands, numDims, depth);
    std::string rhs = writeAffine(binary.getRHS(), operands, numDims, depth);
    switch (binary.getKind()) {
    case AffineExprKind::Add:
      return "(" + lhs + " + " + rhs + ")";
    case AffineExprKind::Mul:
      return "(" + lhs + " * " + rhs + ")";
    case AffineExprKind::Mod:
      return "(" + lhs + " % " + rhs + ")";
    case AffineExprKind::FloorDiv:
      return "(" + lhs + " / " + rhs + ")";
    case AffineExprKind::CeilDiv:
      return "ceildiv(" + lhs + ", " + rhs + ")";
    default:
      return "runtime";
    }
  }

  std::string argName(BlockArgument arg) {
    if (arg.getOwner() != &func.getBody().front() || !entry ||
        arg.getArgNumber() >= entry->args.size())
      return "runtime";
    return entry->args[arg.getArgNumber()].name;
  }

  std::string dimName(memref::DimOp dim, int depth) {
    std::optional<int64_t> index = dim.getConstantIndex();
    if (!index)
      return "runtime";
    Value source = dim.getSource();
    // A buffer the host allocated: the size it was given.
    if (auto alloc = source.getDefiningOp<memref::AllocOp>()) {
      MemRefType type = alloc.getType();
      if (!type.isDynamicDim(*index))
        return std::to_string(type.getDimSize(*index));
      return write(alloc.getDynamicSizes()[type.getDynamicDimIndex(*index)],
                   depth + 1);
    }
    auto arg = dyn_cast<BlockArgument>(source);
    if (!arg || argName(arg) == "runtime")
      return "runtime";
    if (*index == 0)
      return "T";
    return "dim(" + argName(arg) + ", " + std::to_string(*index) + ")";
  }

  func::FuncOp func;
  const EntrySignature *entry;
};

std::string typeText(Type type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << type;
  return text;
}

int64_t workgroupBytes(gpu::GPUFuncOp kernel) {
  int64_t bytes = 0;
  for (BlockArgument buffer : kernel.getWorkgroupAttributions()) {
    auto type = cast<MemRefType>(buffer.getType());
    bytes += type.getNumElements() *
             ((type.getElementTypeBitWidth() + 7) / 8);
  }
  return bytes;
}

} // namespace

std::vector<KernelInfo>(::moe::jit::readKernels)(
    ModuleOp module, const std::vector<EntrySignature> &entries) {
  std::vector<KernelInfo> kernels;
  for (auto func : module.getOps<func::FuncOp>()) {
    if (!func.isPublic() || func.isExternal())
      continue;
    const EntrySignature *entry = nullptr;
    for (const EntrySignature &candidate : entries)
      if (candidate.name == func.getName())
        entry = &candidate;
    FormulaWriter formulas(func, entry);
    func.walk([&](gpu::LaunchFuncOp launch) {
      KernelInfo info;
      info.entry = func.getName().str();
      info.name = launch.getKernelName().str();
      gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
      info.grid = {formulas.write(grid.x), formulas.write(grid.y),
                   formulas.write(grid.z)};
      gpu::KernelDim3 block = launch.getBlockSizeOperandValues();
      Value blockDims[3] = {block.x, block.y, block.z};
      for (int d = 0; d < 3; ++d) {
        APInt size;
        info.block[d] = matchPattern(blockDims[d], m_ConstantInt(&size))
                            ? size.getSExtValue()
                            : -1;
      }
      if (auto kernel = SymbolTable::lookupNearestSymbolFrom<gpu::GPUFuncOp>(
              launch, launch.getKernel()))
        info.workgroupBytes = workgroupBytes(kernel);
      for (Value operand : launch.getKernelOperands())
        info.args.push_back(typeText(operand.getType()));
      kernels.push_back(std::move(info));
    });
  }
  return kernels;
}

static std::string cString(const std::string &text) {
  std::string quoted = "\"";
  for (char c : text)
    quoted += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
  return quoted + "\"";
}

std::string(::moe::jit::buildGpuHeader)(const CompileResult &result,
                                        const CompileOptions &options,
                                        const std::string &chip) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "/* Generated by moe-compile (" << compilerVersion() << ").\n"
     << " * Device kernels for " << options.target << " " << chip
     << ", all in the binary's one module `moe_kernels`, listed in the order\n"
     << " * each entry point launches them. Grids are formulas of T, the token\n"
     << " * count (dim 0 of the entry's token-shaped tensors): one binary serves\n"
     << " * every T; a launch whose grid has a 0 is skipped. Kernel arguments\n"
     << " * are MLIR's: each memref passes its descriptor fields (allocated,\n"
     << " * aligned, offset, sizes..., strides...) as separate arguments.\n"
     << " * In a GPU artifact, results and the status buffer live in memory\n"
     << " * from mgpuMemAlloc (docs/abi.md, \"GPU artifacts\"). */\n"
     << "#ifndef MOE_GPU_KERNELS_H\n#define MOE_GPU_KERNELS_H\n\n"
     << "#include <stdint.h>\n\n";
  for (const EntrySignature &entry : result.entries) {
    os << "/* Entry " << entry.name << "\n";
    for (const TensorSignature &t : entry.args)
      os << " *   in  " << t.name << " " << shapeText(t) << "\n";
    for (const TensorSignature &t : entry.results)
      os << " *   out " << t.name << " " << shapeText(t) << "\n";
    os << " */\n";
  }
  os << "\ntypedef struct {\n  const char *entry;\n  const char *name;\n"
     << "  const char *grid[3];   /* blocks, formulas of T */\n"
     << "  int64_t block[3];      /* threads */\n"
     << "  int64_t workgroup_bytes;\n  const char *args;       /* argument "
        "types, in order */\n} moe_kernel_info;\n\n";
  os << "static const moe_kernel_info moe_kernels[] = {\n";
  for (const KernelInfo &k : result.kernels) {
    std::string args;
    for (size_t i = 0; i < k.args.size(); ++i)
      args += (i ? ", " : "") + k.args[i];
    os << "  {" << cString(k.entry) << ", " << cString(k.name) << ", {"
       << cString(k.grid[0]) << ", " << cString(k.grid[1]) << ", "
       << cString(k.grid[2]) << "}, {" << k.block[0] << ", " << k.block[1]
       << ", " << k.block[2] << "}, " << k.workgroupBytes << ",\n   "
       << cString(args) << "},\n";
  }
  os << "};\n\n#define MOE_NUM_KERNELS " << result.kernels.size()
     << "\n\n#endif /* MOE_GPU_KERNELS_H */\n";
  return text;
}
