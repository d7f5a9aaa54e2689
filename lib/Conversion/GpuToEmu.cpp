//===- GpuToEmu.cpp - the moe-gpu-to-emu pass -----------------------------===//
//
// The emulator runs the very kernels the GPU targets compile, on the host:
// this pass makes the module of the emu device binary, a host shared object
// whose kernels libmoe_runtime runs one fiber per GPU thread, block after
// block; a kernel reads its ids from the running fiber (docs/abi.md,
// "Emulator"). The host code stays in the artifact, as for nvptx and rocdl.
//
//===----------------------------------------------------------------------===//
#include "EmuAccessChecks.h"
#include "EmuAsyncCopies.h"
#include "EmuCollectives.h"
#include "moe/Conversion/Passes.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::moe {
#define GEN_PASS_DEF_MOEGPUTOEMU
#include "moe/Conversion/Passes.h.inc"
} // namespace mlir::moe

using namespace mlir;
using namespace mlir::moe;

namespace {

/// moe_emu_id's argument: which id (docs/abi.md).
enum EmuId {
  ThreadId = 0,
  BlockId = 3,
  BlockDim = 6,
  GridDim = 9,
  WarpLaneId = 12,
  WaveLaneId = 13
};

std::string kernelSymbol(StringRef kernel) {
  return ("__moe_emu_kernel_" + kernel).str();
}

/// Guards one memref access (load, store, atomic, or a 1-D vector load or
/// store of `span` elements) of an emulated kernel: out of bounds, it is
/// skipped (a load gives 0) and reported.
void guardAccess(OpBuilder &b, Operation *access, Value memref,
                 ValueRange indices, int64_t span, bool isStore,
                 bool isWorkgroup, func::FuncOp report, func::FuncOp track,
                 const WorkgroupBuffer &buffer) {
  if (indices.empty())
    return;
  Location loc = access->getLoc();
  b.setInsertionPoint(access);
  AccessBounds bounds = emitBoundsTest(b, loc, memref, indices, span);
  auto ifOp = scf::IfOp::create(b, loc, access->getResultTypes(),
                                bounds.inBounds, /*withElseRegion=*/true);
  // Without results the builder made the yields already; make them here.
  for (Block *branch : {ifOp.thenBlock(), ifOp.elseBlock()})
    if (!branch->empty())
      branch->getTerminator()->erase();
  b.setInsertionPointToStart(ifOp.thenBlock());
  if (track)
    emitWorkgroupTrack(b, loc, track, buffer, memref, indices, isStore, span);
  Operation *moved = b.clone(*access);
  scf::YieldOp::create(b, loc, moved->getResults());
  b.setInsertionPointToStart(ifOp.elseBlock());
  emitOutOfBoundsReport(b, loc, report, isStore, isWorkgroup, bounds);
  SmallVector<Value> zeros;
  for (Type type : access->getResultTypes())
    zeros.push_back(
        arith::ConstantOp::create(b, loc, type, b.getZeroAttr(type)));
  scf::YieldOp::create(b, loc, zeros);
  access->replaceAllUsesWith(ifOp.getResults());
  access->erase();
}

/// The memref type without the workgroup memory space.
MemRefType hostType(MemRefType type) {
  return MemRefType::get(type.getShape(), type.getElementType(),
                         type.getLayout());
}

struct MoeGpuToEmuPass
    : public mlir::moe::impl::MoeGpuToEmuBase<MoeGpuToEmuPass> {
  using MoeGpuToEmuBase::MoeGpuToEmuBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (subgroupSize != 32 && subgroupSize != 64) {
      module.emitError() << "moe-gpu-to-emu: subgroup-size must be 32 or 64, "
                            "got "
                         << subgroupSize;
      return signalPassFailure();
    }
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
    WorkgroupBuffers workgroupBuffers;
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
      workgroupBuffers[global] =
          WorkgroupBuffer{int32_t(index), type.getNumElements(), Value()};
      BlockArgument cloned = entry.getArgument(numArgs + index);
      cloned.replaceAllUsesWith(global);
      ++index;
    }
    if (failed(mapWorkgroupViews(b, func, workgroupBuffers)))
      return failure();
    if (kernel.getNumPrivateAttributions() != 0)
      return kernel.emitOpError(
          "has private memory attributions, which the emulator cannot run");
    entry.eraseArguments(numArgs, entry.getNumArguments() - numArgs);

    auto idType = b.getFunctionType({b.getI32Type()}, {b.getI64Type()});
    func::FuncOp idFunc = declareEmuFunction(b, module, "moe_emu_id", idType);
    func::FuncOp barrierFunc =
        declareEmuFunction(b, module, "moe_emu_barrier", b.getFunctionType({}, {}));

    if (checks && failed(guardAccesses(module, func, workgroupBuffers)))
      return failure();
    if (failed(lowerEmuAsyncCopies(module, func, checks, workgroupBuffers)))
      return failure();
    if (failed(lowerEmuCollectives(module, func, checks, subgroupSize,
                                   workgroupBuffers)))
      return failure();

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
      } else if (isa<gpu::LaneIdOp>(op)) {
        Value which = arith::ConstantIntOp::create(
            b, op->getLoc(), b.getI32Type(),
            subgroupSize == 64 ? WaveLaneId : WarpLaneId);
        Value value = func::CallOp::create(b, op->getLoc(), idFunc, which)
                          .getResult(0);
        op->getResult(0).replaceAllUsesWith(arith::IndexCastOp::create(
            b, op->getLoc(), b.getIndexType(), value));
        op->erase();
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

  /// A memref.view of a workgroup byte buffer (one buffer seen as two
  /// element types, e.g. bf16 for copies and f16 for ldmatrix) becomes a
  /// view of its global; the race detector numbers its elements from the
  /// view's byte shift in its element size, so views of one element size
  /// share the buffer's shadow.
  LogicalResult mapWorkgroupViews(OpBuilder &b, func::FuncOp func,
                                  WorkgroupBuffers &workgroupBuffers) {
    SmallVector<memref::ViewOp> views;
    func.walk([&](memref::ViewOp view) {
      if (workgroupBuffers.contains(view.getSource()))
        views.push_back(view);
    });
    for (memref::ViewOp view : views) {
      const WorkgroupBuffer &root = workgroupBuffers.lookup(view.getSource());
      auto type = hostType(view.getType());
      int64_t bytes = type.getElementTypeBitWidth() / 8;
      auto rootType = cast<MemRefType>(view.getSource().getType());
      if (bytes < 1 || !rootType.hasStaticShape())
        return view.emitOpError("views workgroup memory in a way the "
                                "emulator does not map");
      b.setInsertionPoint(view);
      auto mapped =
          memref::ViewOp::create(b, view.getLoc(), type, view.getSource(),
                                 view.getByteShift(), view.getSizes());
      Value offset = arith::DivUIOp::create(
          b, view.getLoc(), view.getByteShift(),
          arith::ConstantIndexOp::create(b, view.getLoc(), bytes));
      workgroupBuffers[mapped] = WorkgroupBuffer{
          root.id, rootType.getNumElements() / bytes, offset};
      view.getResult().replaceAllUsesWith(mapped.getResult());
      view.erase();
    }
    return success();
  }

  /// With checks: every load, store and atomic of `func` (and every 1-D
  /// vector load and store) tests its indices.
  LogicalResult guardAccesses(ModuleOp module, func::FuncOp func,
                              const WorkgroupBuffers &workgroupBuffers) {
    OpBuilder b(&getContext());
    func::FuncOp report = declareOutOfBoundsReport(b, module);
    func::FuncOp track = declareWorkgroupTrack(b, module);
    SmallVector<Operation *> accesses;
    func.walk([&](Operation *op) {
      if (isa<memref::LoadOp, memref::StoreOp, memref::AtomicRMWOp,
              vector::LoadOp, vector::StoreOp>(op))
        accesses.push_back(op);
    });
    for (Operation *op : accesses) {
      Value memref;
      SmallVector<Value> indices;
      bool isStore = true;
      int64_t span = 1;
      if (auto load = dyn_cast<memref::LoadOp>(op)) {
        memref = load.getMemRef();
        indices.assign(load.getIndices().begin(), load.getIndices().end());
        isStore = false;
      } else if (auto store = dyn_cast<memref::StoreOp>(op)) {
        memref = store.getMemRef();
        indices.assign(store.getIndices().begin(), store.getIndices().end());
      } else if (auto atomic = dyn_cast<memref::AtomicRMWOp>(op)) {
        memref = atomic.getMemref();
        indices.assign(atomic.getIndices().begin(), atomic.getIndices().end());
      } else {
        auto load = dyn_cast<vector::LoadOp>(op);
        auto store = dyn_cast<vector::StoreOp>(op);
        VectorType vector = load ? load.getVectorType() : store.getVectorType();
        if (vector.getRank() != 1)
          return op->emitOpError(
              "loads or stores a vector of rank above 1, which the emulator's "
              "checks do not cover");
        memref = load ? load.getBase() : store.getBase();
        ValueRange range = load ? load.getIndices() : store.getIndices();
        indices.assign(range.begin(), range.end());
        isStore = bool(store);
        span = vector.getNumElements();
      }
      bool isWorkgroup = workgroupBuffers.contains(rootBuffer(memref));
      // Races: plain loads and stores of a workgroup buffer or of a
      // memref.view of one (atomics synchronize; other views are not
      // tracked).
      std::optional<WorkgroupBuffer> tracked;
      if (auto it = workgroupBuffers.find(memref);
          it != workgroupBuffers.end() && !isa<memref::AtomicRMWOp>(op))
        tracked = it->second;
      guardAccess(b, op, memref, indices, span, isStore, isWorkgroup, report,
                  tracked ? track : func::FuncOp(),
                  tracked.value_or(WorkgroupBuffer()));
    }
    return success();
  }

};

} // namespace
