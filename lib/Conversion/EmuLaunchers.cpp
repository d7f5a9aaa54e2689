//===- EmuLaunchers.cpp - the moe-emu-launchers pass ----------------------===//
//
// A launcher passes its kernel's arguments the way cuLaunchKernel takes them
// (an array of pointers to each argument), so the runtime's moe_emu_launch
// needs no knowledge of any kernel's signature; the trampoline undoes it.
//
//===----------------------------------------------------------------------===//
#include "moe/Conversion/Passes.h"

namespace mlir::moe {
#define GEN_PASS_DEF_MOEEMULAUNCHERS
#include "moe/Conversion/Passes.h.inc"
} // namespace mlir::moe

using namespace mlir;
using namespace mlir::moe;

namespace {

constexpr StringLiteral kLauncherPrefix = "__moe_emu_launch_";
constexpr unsigned kGeometryArgs = 6; // gx, gy, gz, bx, by, bz

struct MoeEmuLaunchersPass
    : public mlir::moe::impl::MoeEmuLaunchersBase<MoeEmuLaunchersPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<LLVM::LLVMFuncOp> launchers;
    for (auto func : module.getOps<LLVM::LLVMFuncOp>())
      if (func.isExternal() && func.getName().starts_with(kLauncherPrefix))
        launchers.push_back(func);
    for (LLVM::LLVMFuncOp launcher : launchers)
      if (failed(define(module, launcher)))
        return signalPassFailure();
  }

  LogicalResult define(ModuleOp module, LLVM::LLVMFuncOp launcher) {
    MLIRContext *context = &getContext();
    Location loc = launcher.getLoc();
    StringRef name = launcher.getName().drop_front(kLauncherPrefix.size());
    std::string kernelName = ("__moe_emu_" + name).str();
    auto kernel = module.lookupSymbol<LLVM::LLVMFuncOp>(kernelName);
    if (!kernel)
      return launcher.emitOpError("has no emulated kernel ") << kernelName;
    kernel.setLinkage(LLVM::Linkage::Internal);
    LLVM::LLVMFunctionType launcherType = launcher.getFunctionType();
    ArrayRef<Type> argTypes =
        launcherType.getParams().drop_front(kGeometryArgs);
    if (kernel.getFunctionType().getParams() != argTypes)
      return launcher.emitOpError("arguments differ from kernel ")
             << kernelName;

    auto ptr = LLVM::LLVMPointerType::get(context);
    auto i64 = IntegerType::get(context, 64);
    auto voidType = LLVM::LLVMVoidType::get(context);
    OpBuilder b(context);

    // The trampoline: params[i] points at argument i.
    b.setInsertionPoint(launcher);
    std::string trampolineName = ("__moe_emu_trampoline_" + name).str();
    auto trampoline = LLVM::LLVMFuncOp::create(
        b, loc, trampolineName,
        LLVM::LLVMFunctionType::get(voidType, {ptr}),
        LLVM::Linkage::Internal);
    {
      Block *body = trampoline.addEntryBlock(b);
      b.setInsertionPointToStart(body);
      SmallVector<Value> args;
      for (auto [i, type] : llvm::enumerate(argTypes)) {
        Value slot = LLVM::GEPOp::create(b, loc, ptr, ptr,
                                         body->getArgument(0),
                                         ArrayRef<LLVM::GEPArg>{int32_t(i)});
        Value argPtr = LLVM::LoadOp::create(b, loc, ptr, slot);
        args.push_back(LLVM::LoadOp::create(b, loc, type, argPtr));
      }
      LLVM::CallOp::create(b, loc, kernel, args);
      LLVM::ReturnOp::create(b, loc, ValueRange{});
    }

    // The launcher: store each argument, collect their addresses, launch.
    auto launch = module.lookupSymbol<LLVM::LLVMFuncOp>("moe_emu_launch");
    if (!launch) {
      b.setInsertionPointToStart(module.getBody());
      SmallVector<Type> params{ptr, ptr};
      params.append(kGeometryArgs, i64);
      launch = LLVM::LLVMFuncOp::create(
          b, loc, "moe_emu_launch",
          LLVM::LLVMFunctionType::get(voidType, params));
    }
    launcher.setLinkage(LLVM::Linkage::Internal);
    Block *body = launcher.addEntryBlock(b);
    b.setInsertionPointToStart(body);
    Value one = LLVM::ConstantOp::create(b, loc, i64, 1);
    Value count =
        LLVM::ConstantOp::create(b, loc, i64, std::max<int64_t>(argTypes.size(), 1));
    Value params = LLVM::AllocaOp::create(b, loc, ptr, ptr, count);
    for (auto [i, type] : llvm::enumerate(argTypes)) {
      Value slot = LLVM::AllocaOp::create(b, loc, ptr, type, one);
      LLVM::StoreOp::create(b, loc, body->getArgument(kGeometryArgs + i), slot);
      Value entry = LLVM::GEPOp::create(b, loc, ptr, ptr, params,
                                        ArrayRef<LLVM::GEPArg>{int32_t(i)});
      LLVM::StoreOp::create(b, loc, slot, entry);
    }
    SmallVector<Value> callArgs{
        LLVM::AddressOfOp::create(b, loc, trampoline).getResult(), params};
    for (unsigned d = 0; d < kGeometryArgs; ++d)
      callArgs.push_back(body->getArgument(d));
    LLVM::CallOp::create(b, loc, launch, callArgs);
    LLVM::ReturnOp::create(b, loc, ValueRange{});
    return success();
  }
};

} // namespace
