//===- EmuTrampolines.cpp - the moe-emu-trampolines pass ------------------===//
//
// The host code launches a kernel the way cuLaunchKernel takes it (an array
// of pointers to each argument), so the emulator needs no knowledge of any
// kernel's signature; the trampoline undoes the packing. It is defined in
// the LLVM dialect, where the kernel's argument types are final.
//
//===----------------------------------------------------------------------===//
#include "moe/Conversion/Passes.h"

namespace mlir::moe {
#define GEN_PASS_DEF_MOEEMUTRAMPOLINES
#include "moe/Conversion/Passes.h.inc"
} // namespace mlir::moe

using namespace mlir;
using namespace mlir::moe;

namespace {

constexpr StringLiteral kKernelPrefix = "__moe_emu_kernel_";

struct MoeEmuTrampolinesPass
    : public mlir::moe::impl::MoeEmuTrampolinesBase<MoeEmuTrampolinesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<LLVM::LLVMFuncOp> kernels;
    for (auto func : module.getOps<LLVM::LLVMFuncOp>())
      if (!func.isExternal() && func.getName().starts_with(kKernelPrefix))
        kernels.push_back(func);
    for (LLVM::LLVMFuncOp kernel : kernels)
      if (failed(defineTrampoline(module, kernel)))
        return signalPassFailure();
    // Workgroup buffers: a block's threads run on one host thread, but two
    // host threads may run launches at once.
    for (auto global : module.getOps<LLVM::GlobalOp>())
      if (global.getSymName().starts_with(kKernelPrefix))
        global.setThreadLocal_(true);
  }

  LogicalResult defineTrampoline(ModuleOp module, LLVM::LLVMFuncOp kernel) {
    MLIRContext *context = &getContext();
    Location loc = kernel.getLoc();
    StringRef name = kernel.getName().drop_front(kKernelPrefix.size());
    if (module.lookupSymbol(name))
      return kernel.emitOpError("has the name of another symbol: ") << name;
    kernel.setLinkage(LLVM::Linkage::Internal);
    auto ptr = LLVM::LLVMPointerType::get(context);
    OpBuilder b(context);
    b.setInsertionPointAfter(kernel);
    auto trampoline = LLVM::LLVMFuncOp::create(
        b, loc, name,
        LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(context), {ptr}));
    Block *body = trampoline.addEntryBlock(b);
    b.setInsertionPointToStart(body);
    SmallVector<Value> args;
    for (auto [i, type] :
         llvm::enumerate(kernel.getFunctionType().getParams())) {
      Value slot = LLVM::GEPOp::create(b, loc, ptr, ptr, body->getArgument(0),
                                       ArrayRef<LLVM::GEPArg>{int32_t(i)});
      Value argPtr = LLVM::LoadOp::create(b, loc, ptr, slot);
      args.push_back(LLVM::LoadOp::create(b, loc, type, argPtr));
    }
    LLVM::CallOp::create(b, loc, kernel, args);
    LLVM::ReturnOp::create(b, loc, ValueRange{});
    return success();
  }
};

} // namespace
