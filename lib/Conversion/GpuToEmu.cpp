//===- GpuToEmu.cpp - the moe-gpu-to-emu pass -----------------------------===//
//
// The emulator runs the very kernels the GPU targets compile, on the host:
// this pass makes the module of the emu device binary, a host shared object
// whose kernels libmoe_runtime runs one fiber per GPU thread, block after
// block; a kernel reads its ids from the running fiber (docs/abi.md,
// "Emulator"). The host code stays in the artifact, as for nvptx and rocdl.
//
//===----------------------------------------------------------------------===//
#include "moe/Conversion/Passes.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::moe {
#define GEN_PASS_DEF_MOEGPUTOEMU
#include "moe/Conversion/Passes.h.inc"
} // namespace mlir::moe

using namespace mlir;
using namespace mlir::moe;

namespace {

/// moe_emu_id's argument: which id (docs/abi.md).
enum EmuId { ThreadId = 0, BlockId = 3, BlockDim = 6, GridDim = 9 };

std::string kernelSymbol(StringRef kernel) {
  return ("__moe_emu_kernel_" + kernel).str();
}

func::FuncOp declare(OpBuilder &b, ModuleOp module, StringRef name,
                     FunctionType type) {
  if (auto existing = module.lookupSymbol<func::FuncOp>(name))
    return existing;
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(module.getBody());
  auto func = func::FuncOp::create(b, module.getLoc(), name, type);
  func.setPrivate();
  return func;
}

/// The memref type without the workgroup memory space.
MemRefType hostType(MemRefType type) {
  return MemRefType::get(type.getShape(), type.getElementType(),
                         type.getLayout());
}

struct MoeGpuToEmuPass
    : public mlir::moe::impl::MoeGpuToEmuBase<MoeGpuToEmuPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::GPUModuleOp> kernelModules(
        module.getOps<gpu::GPUModuleOp>());
    if (kernelModules.size() > 1) {
      kernelModules[1].emitOpError(
          "is a second gpu.module; an emulator device binary holds one");
      return signalPassFailure();
    }
    // The host code is not part of the device binary.
    for (Operation &op : llvm::make_early_inc_range(module.getOps()))
      if (!isa<gpu::GPUModuleOp>(op))
        op.erase();
    for (gpu::GPUModuleOp kernels : kernelModules) {
      for (auto kernel : kernels.getOps<gpu::GPUFuncOp>())
        if (kernel.isKernel() && failed(emulate(module, kernel)))
          return signalPassFailure();
      kernels.erase();
    }
    module->removeAttr(gpu::GPUDialect::getContainerModuleAttrName());
  }

  /// Clones `kernel` into a host function and rewrites its gpu ops.
  LogicalResult emulate(ModuleOp module, gpu::GPUFuncOp kernel) {
    MLIRContext *context = &getContext();
    OpBuilder b(context);
    Location loc = kernel.getLoc();
    std::string name = kernelSymbol(kernel.getName());
    b.setInsertionPointToEnd(module.getBody());
    auto func = func::FuncOp::create(b, loc, name, kernel.getFunctionType());
    func.setPrivate();

    IRMapping mapping;
    kernel.getBody().cloneInto(&func.getBody(), mapping);
    Block &entry = func.getBody().front();
    b.setInsertionPointToStart(&entry);

    // Workgroup buffers: one private global each, shared by the fibers of
    // the block that is running (blocks run one at a time).
    unsigned numArgs = kernel.getNumArguments();
    unsigned index = 0;
    for (BlockArgument buffer : kernel.getWorkgroupAttributions()) {
      auto type = hostType(cast<MemRefType>(buffer.getType()));
      std::string globalName = name + "_workgroup" + std::to_string(index);
      {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(func);
        memref::GlobalOp::create(b, loc, globalName,
                                 b.getStringAttr("private"), type,
                                 /*initial_value=*/Attribute(),
                                 /*constant=*/false, /*alignment=*/nullptr);
      }
      Value global = memref::GetGlobalOp::create(b, loc, type, globalName);
      BlockArgument cloned = entry.getArgument(numArgs + index);
      cloned.replaceAllUsesWith(global);
      ++index;
    }
    if (kernel.getNumPrivateAttributions() != 0)
      return kernel.emitOpError(
          "has private memory attributions, which the emulator cannot run");
    entry.eraseArguments(numArgs, entry.getNumArguments() - numArgs);

    auto idType = b.getFunctionType({b.getI32Type()}, {b.getI64Type()});
    func::FuncOp idFunc = declare(b, module, "moe_emu_id", idType);
    func::FuncOp barrierFunc =
        declare(b, module, "moe_emu_barrier", b.getFunctionType({}, {}));

    SmallVector<Operation *> gpuOps;
    func.walk([&](Operation *op) {
      if (isa_and_nonnull<gpu::GPUDialect>(op->getDialect()))
        gpuOps.push_back(op);
    });
    for (Operation *op : gpuOps) {
      b.setInsertionPoint(op);
      auto id = [&](int base, gpu::Dimension dim) {
        Value which = arith::ConstantIntOp::create(
            b, op->getLoc(), b.getI32Type(), base + int(dim));
        Value value = func::CallOp::create(b, op->getLoc(), idFunc, which)
                          .getResult(0);
        Value asIndex = arith::IndexCastOp::create(
            b, op->getLoc(), b.getIndexType(), value);
        op->getResult(0).replaceAllUsesWith(asIndex);
        op->erase();
      };
      if (auto thread = dyn_cast<gpu::ThreadIdOp>(op)) {
        id(ThreadId, thread.getDimension());
      } else if (auto block = dyn_cast<gpu::BlockIdOp>(op)) {
        id(BlockId, block.getDimension());
      } else if (auto blockDim = dyn_cast<gpu::BlockDimOp>(op)) {
        id(BlockDim, blockDim.getDimension());
      } else if (auto gridDim = dyn_cast<gpu::GridDimOp>(op)) {
        id(GridDim, gridDim.getDimension());
      } else if (isa<gpu::BarrierOp>(op)) {
        func::CallOp::create(b, op->getLoc(), barrierFunc, ValueRange{});
        op->erase();
      } else if (auto ret = dyn_cast<gpu::ReturnOp>(op)) {
        func::ReturnOp::create(b, op->getLoc(), ret.getOperands());
        op->erase();
      } else {
        return op->emitOpError("cannot run on the emulator (emu target)");
      }
    }
    // Types that still name the workgroup memory space (views of it).
    WalkResult spaces = func.walk([&](Operation *op) {
      for (Type type : op->getResultTypes()) {
        auto memref = dyn_cast<MemRefType>(type);
        if (!memref || !memref.getMemorySpace())
          continue;
        op->emitOpError("uses a GPU memory space the emulator does not map: ")
            << type;
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    return failure(spaces.wasInterrupted());
  }

};

} // namespace
