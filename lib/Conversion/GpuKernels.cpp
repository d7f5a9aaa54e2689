//===- GpuKernels.cpp - launch helpers and the combine kernels ------------===//
//
// The combine (moe.unpermute, and the combine form of moe.grouped_gemm) runs
// as three flat kernels: mark every pair unheld, let each row claim its pair
// with an atomic min (so the lowest row wins whatever the thread order: the
// first-row rule of the reference, deterministically), then one thread per
// output element sums its pairs in k order in f32.
//
//===----------------------------------------------------------------------===//
#include "GpuKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <limits>

using namespace mlir;
using namespace mlir::moe;

MemRefType mlir::moe::workgroupMemRef(ArrayRef<int64_t> shape, Type element) {
  MLIRContext *context = element.getContext();
  return MemRefType::get(
      shape, element, MemRefLayoutAttrInterface(),
      gpu::AddressSpaceAttr::get(context, gpu::AddressSpace::Workgroup));
}

gpu::LaunchOp mlir::moe::launchKernel(LoopEmitter &em, StringRef name,
                                      Value gridX, Value gridY,
                                      int64_t blockX, int64_t blockY,
                                      ArrayRef<MemRefType> workgroupBuffers,
                                      function_ref<void(gpu::LaunchOp)> body) {
  OpBuilder &b = em.b;
  Location loc = em.loc;
  SmallVector<Type> attributions(workgroupBuffers.begin(),
                                 workgroupBuffers.end());
  auto launch = gpu::LaunchOp::create(
      b, loc, gridX, gridY, em.index(1), em.index(blockX), em.index(blockY),
      em.index(1), /*dynamicSharedMemorySize=*/nullptr,
      /*asyncTokenType=*/nullptr, /*asyncDependencies=*/{}, attributions);
  launch.setModuleAttr(FlatSymbolRefAttr::get(b.getContext(), kKernelModule));
  launch.setFunctionAttr(FlatSymbolRefAttr::get(b.getContext(), name));
  OpBuilder::InsertionGuard guard(b);
  Block &block = launch.getBody().front();
  if (block.empty() || !block.back().hasTrait<OpTrait::IsTerminator>()) {
    b.setInsertionPointToEnd(&block);
    gpu::TerminatorOp::create(b, loc);
  }
  b.setInsertionPoint(block.getTerminator());
  body(launch);
  return launch;
}

void mlir::moe::launchFlat(LoopEmitter &em, StringRef name, Value count,
                           function_ref<void(LoopEmitter &, Value)> body) {
  OpBuilder &b = em.b;
  Location loc = em.loc;
  // A launch with an empty grid is an error on both vendors.
  Value any = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, count,
                                    em.index(0));
  em.ifThen(any, [&] {
    Value blocks = arith::CeilDivUIOp::create(b, loc, count,
                                              em.index(kFlatBlock));
    launchKernel(em, name, blocks, em.index(1), kFlatBlock, 1, {},
                 [&](gpu::LaunchOp launch) {
                   LoopEmitter kernel(b, loc);
                   Value base = arith::MulIOp::create(
                       b, loc, launch.getBlockIds().x, em.index(kFlatBlock));
                   Value i = arith::AddIOp::create(b, loc, base,
                                                   launch.getThreadIds().x);
                   Value inside = arith::CmpIOp::create(
                       b, loc, arith::CmpIPredicate::ult, i, count);
                   kernel.ifThen(inside, [&] { body(kernel, i); });
                 });
  });
}

void mlir::moe::launchSingle(LoopEmitter &em, StringRef name,
                             function_ref<void(LoopEmitter &)> body) {
  launchKernel(em, name, em.index(1), em.index(1), 1, 1, {},
               [&](gpu::LaunchOp) {
    LoopEmitter kernel(em.b, em.loc);
    body(kernel);
  });
}

Value mlir::moe::rowView(LoopEmitter &em, Value buffer, Value row) {
  auto type = cast<MemRefType>(buffer.getType());
  OpBuilder &b = em.b;
  SmallVector<OpFoldResult> offsets{row, b.getIndexAttr(0)};
  SmallVector<OpFoldResult> sizes{b.getIndexAttr(1)};
  if (type.isDynamicDim(1))
    sizes.push_back(OpFoldResult(em.dim(buffer, 1)));
  else
    sizes.push_back(b.getIndexAttr(type.getDimSize(1)));
  SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
  MemRefType viewType = memref::SubViewOp::inferRankReducedResultType(
      {type.getDimSize(1)}, type, offsets, sizes, strides);
  return memref::SubViewOp::create(b, em.loc, viewType, buffer, offsets, sizes,
                                   strides);
}

Value mlir::moe::emitCombineKernels(LoopEmitter &em, StringRef name,
                                    GpuContractChecks &checks,
                                    StringRef opName, StringRef rowsName,
                                    Value y, Value rows, Value weights,
                                    Type outElement) {
  OpBuilder &b = em.b;
  Location loc = em.loc;
  Type i32 = b.getI32Type();
  Value tokens = em.dim(weights, 0), k = em.dim(weights, 1);
  Value pairs = arith::MulIOp::create(b, loc, tokens, k);
  Value numRows = em.dim(rows, 0);
  Value hidden = em.dim(y, 1);
  int64_t staticHidden = cast<MemRefType>(y.getType()).getDimSize(1);
  const int64_t unheld = std::numeric_limits<int32_t>::max();
  checkRowsOnGpu(em, checks, opName, rowsName, (name + "_rows").str(), rows,
                 pairs);

  // holder[p] = the lowest row holding pair p, `unheld` when none.
  Value holder = em.alloc({ShapedType::kDynamic}, i32, {pairs});
  std::string prefix = name.str();
  launchFlat(em, prefix + "_unheld", pairs, [&](LoopEmitter &kernel, Value p) {
    kernel.store(kernel.i32(unheld), holder, {p});
  });
  Value pairsI32 = arith::IndexCastOp::create(b, loc, i32, pairs);
  launchFlat(em, prefix + "_claim", numRows,
             [&](LoopEmitter &kernel, Value r) {
    Value pair = kernel.load(rows, {r});
    kernel.ifThen(kernel.inRange(pair, kernel.i32(0), pairsI32), [&] {
      Value row = arith::IndexCastOp::create(kernel.b, loc, i32, r);
      memref::AtomicRMWOp::create(kernel.b, loc, arith::AtomicRMWKind::mins,
                                  row, holder,
                                  ValueRange{kernel.toIndex(pair)});
    });
  });

  SmallVector<Value> outSizes{tokens};
  if (ShapedType::isDynamic(staticHidden))
    outSizes.push_back(hidden);
  Value out = em.alloc({ShapedType::kDynamic, staticHidden}, outElement,
                       outSizes);
  Value elements = arith::MulIOp::create(b, loc, tokens, hidden);
  launchFlat(em, prefix + "_sum", elements, [&](LoopEmitter &kernel,
                                                Value i) {
    OpBuilder &kb = kernel.b;
    Value t = arith::DivUIOp::create(kb, loc, i, hidden);
    Value h = arith::RemUIOp::create(kb, loc, i, hidden);
    Value base = arith::MulIOp::create(kb, loc, t, k);
    Value sum = kernel.forLoop(
        kernel.index(0), k, {kernel.f32(0.0)},
        [&](Value slot, ValueRange carried) -> SmallVector<Value> {
          Value pair = arith::AddIOp::create(kb, loc, base, slot);
          Value row = kernel.load(holder, {pair});
          Value held = arith::CmpIOp::create(kb, loc, arith::CmpIPredicate::ne,
                                             row, kernel.i32(unheld));
          Value next = kernel.ifThenElse(
              kernel.b.getF32Type(), held,
              [&] {
                Value term = arith::MulFOp::create(
                    kb, loc, kernel.load(weights, {t, slot}),
                    kernel.loadF32(y, {kernel.toIndex(row), h}));
                return arith::AddFOp::create(kb, loc, carried[0], term)
                    .getResult();
              },
              [&] { return carried[0]; });
          return {next};
        })[0];
    kernel.storeRounded(sum, out, {t, h});
  });
  return out;
}

FailureOr<SmallVector<Value>>
mlir::moe::lowerUnpermuteToGpu(UnpermuteOp op, LoopEmitter &em,
                               GpuContractChecks &checks) {
  Value y = em.toBuffer(op.getY());
  Value rows = em.toBuffer(op.getRows());
  Value weights = em.toBuffer(op.getWeights());
  Type element = cast<MemRefType>(y.getType()).getElementType();
  return SmallVector<Value>{
      em.toTensor(emitCombineKernels(em, "unpermute", checks, "moe.unpermute",
                                     "rows", y, rows, weights, element))};
}
