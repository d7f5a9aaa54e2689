//===- EmuAsyncCopies.cpp - cp.async in emulated kernels ------------------===//
//
// nvgpu.device_async_copy and its groups and waits become per-thread calls
// of the emulator (moe_emu_async_copy / _commit / _wait): the runtime
// queues each copy on its thread and lands it when the thread waits for its
// group, so a kernel that reads a stage before waiting reads the old
// contents. With checks both sides are tested first.
//
//===----------------------------------------------------------------------===//
#include "EmuAsyncCopies.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::moe;

namespace {

class AsyncCopyLowering {
public:
  AsyncCopyLowering(ModuleOp module, bool checks,
                    const WorkgroupBuffers &workgroupBuffers)
      : b(module.getContext()), module(module), checks(checks),
        workgroupBuffers(workgroupBuffers) {}

  /// A wait first, then the groups it consumes, then their copies, so that
  /// each token is unused when its op goes.
  LogicalResult run(func::FuncOp func) {
    SmallVector<Operation *> waits, groups, copies;
    func.walk([&](Operation *op) {
      if (isa<nvgpu::DeviceAsyncWaitOp>(op))
        waits.push_back(op);
      else if (isa<nvgpu::DeviceAsyncCreateGroupOp>(op))
        groups.push_back(op);
      else if (isa<nvgpu::DeviceAsyncCopyOp>(op))
        copies.push_back(op);
    });
    for (Operation *op : waits)
      lower(cast<nvgpu::DeviceAsyncWaitOp>(op));
    for (Operation *op : groups)
      lower(cast<nvgpu::DeviceAsyncCreateGroupOp>(op));
    for (Operation *op : copies)
      if (failed(lower(cast<nvgpu::DeviceAsyncCopyOp>(op))))
        return failure();
    return success();
  }

private:
  Value i32(Location loc, int32_t v) {
    return arith::ConstantIntOp::create(b, loc, b.getI32Type(), v);
  }
  Value address(Location loc, Value memref, ValueRange indices) {
    return emitElementAddress(b, loc, memref, indices);
  }

  void lower(nvgpu::DeviceAsyncWaitOp op) {
    b.setInsertionPoint(op);
    func::CallOp::create(
        b, op.getLoc(),
        declareEmuFunction(b, module, "moe_emu_async_wait",
                           b.getFunctionType({b.getI32Type()}, {})),
        ValueRange{i32(op.getLoc(), int32_t(op.getNumGroups().value_or(0)))});
    op.erase();
  }

  void lower(nvgpu::DeviceAsyncCreateGroupOp op) {
    b.setInsertionPoint(op);
    func::CallOp::create(b, op.getLoc(),
                         declareEmuFunction(b, module, "moe_emu_async_commit",
                                            b.getFunctionType({}, {})),
                         ValueRange{});
    op.erase();
  }

  /// A copy queued with the runtime, which lands it at the wait. With
  /// checks, a destination or source out of bounds is reported and the copy
  /// skipped; the destination, a workgroup buffer, is told to the race
  /// detector when the copy lands.
  LogicalResult lower(nvgpu::DeviceAsyncCopyOp op) {
    Location loc = op.getLoc();
    b.setInsertionPoint(op);
    Value dst = op.getDst(), src = op.getSrc();
    SmallVector<Value> dstIndices(op.getDstIndices()),
        srcIndices(op.getSrcIndices());
    int64_t dstElements = op.getDstElements().getSExtValue();
    int64_t bytesPerElement =
        cast<MemRefType>(dst.getType()).getElementTypeBitWidth() / 8;
    Type i32Type = b.getI32Type(), i64Type = b.getI64Type();
    Value srcElements = op.getSrcElements();
    if (!srcElements)
      srcElements = arith::ConstantIndexOp::create(b, loc, dstElements);
    func::FuncOp copy = declareEmuFunction(
        b, module, "moe_emu_async_copy",
        b.getFunctionType({i64Type, i64Type, i32Type, i32Type, i32Type,
                           i64Type, i64Type, i32Type},
                          {}));
    auto issue = [&] {
      int32_t buffer = -1;
      Value size = arith::ConstantIntOp::create(b, loc, i64Type, 0);
      Value index = size;
      if (auto it = workgroupBuffers.find(dst); it != workgroupBuffers.end()) {
        buffer = it->second.id;
        size =
            arith::ConstantIntOp::create(b, loc, i64Type, it->second.elements);
        index = arith::IndexCastOp::create(
            b, loc, i64Type,
            emitWorkgroupElement(b, loc, it->second, dst, dstIndices));
      }
      Value srcBytes = arith::IndexCastOp::create(
          b, loc, i32Type,
          arith::MulIOp::create(
              b, loc, srcElements,
              arith::ConstantIndexOp::create(b, loc, bytesPerElement)));
      func::CallOp::create(
          b, loc, copy,
          ValueRange{address(loc, dst, dstIndices),
                     address(loc, src, srcIndices),
                     i32(loc, int32_t(dstElements * bytesPerElement)),
                     srcBytes, i32(loc, buffer), size, index,
                     i32(loc, buffer < 0 ? 0 : int32_t(dstElements))});
    };
    if (!checks) {
      issue();
      op.erase();
      return success();
    }
    // The destination's dstElements, and the source's srcElements (none
    // read when 0): its first and last element.
    func::FuncOp report = declareOutOfBoundsReport(b, module);
    bool dstWorkgroup = workgroupBuffers.contains(rootBuffer(dst));
    bool srcWorkgroup = workgroupBuffers.contains(rootBuffer(src));
    AccessBounds dstBounds =
        emitBoundsTest(b, loc, dst, dstIndices, dstElements);
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value readsNothing = arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::eq, srcElements, zero);
    SmallVector<Value> lastIndices(srcIndices);
    Value lastOffset = arith::SubIOp::create(
        b, loc,
        arith::MaxSIOp::create(b, loc, srcElements,
                               arith::ConstantIndexOp::create(b, loc, 1)),
        arith::ConstantIndexOp::create(b, loc, 1));
    lastIndices.back() =
        arith::AddIOp::create(b, loc, lastIndices.back(), lastOffset);
    AccessBounds srcFirst = emitBoundsTest(b, loc, src, srcIndices);
    AccessBounds srcLast = emitBoundsTest(b, loc, src, lastIndices);
    Value srcInBounds = arith::OrIOp::create(
        b, loc, readsNothing,
        arith::AndIOp::create(b, loc, srcFirst.inBounds, srcLast.inBounds));
    auto dstOk = scf::IfOp::create(b, loc, TypeRange{}, dstBounds.inBounds,
                                   /*withElseRegion=*/true);
    b.setInsertionPointToStart(dstOk.thenBlock());
    auto srcOk = scf::IfOp::create(b, loc, TypeRange{}, srcInBounds,
                                   /*withElseRegion=*/true);
    b.setInsertionPointToStart(srcOk.thenBlock());
    issue();
    b.setInsertionPointToStart(srcOk.elseBlock());
    Value firstOk = srcFirst.inBounds;
    auto which = scf::IfOp::create(b, loc, TypeRange{}, firstOk,
                                   /*withElseRegion=*/true);
    b.setInsertionPointToStart(which.thenBlock());
    emitOutOfBoundsReport(b, loc, report, /*isStore=*/false, srcWorkgroup,
                          srcLast);
    b.setInsertionPointToStart(which.elseBlock());
    emitOutOfBoundsReport(b, loc, report, /*isStore=*/false, srcWorkgroup,
                          srcFirst);
    b.setInsertionPointToStart(dstOk.elseBlock());
    emitOutOfBoundsReport(b, loc, report, /*isStore=*/true, dstWorkgroup,
                          dstBounds);
    op.erase();
    return success();
  }

  OpBuilder b;
  ModuleOp module;
  bool checks;
  const WorkgroupBuffers &workgroupBuffers;
};

} // namespace

LogicalResult mlir::moe::lowerEmuAsyncCopies(
    ModuleOp module, func::FuncOp func, bool checks,
    const WorkgroupBuffers &workgroupBuffers) {
  return AsyncCopyLowering(module, checks, workgroupBuffers).run(func);
}
