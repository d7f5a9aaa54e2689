//===- GroupedGemmBuffers.cpp - moe.grouped_gemm's operands ---------------===//
#include "GroupedGemmBuffers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace mlir::moe;

GroupedGemmBuffers GroupedGemmBuffers::create(GroupedGemmOp op,
                                              LoopEmitter &em) {
  OpBuilder &b = em.b;
  GroupedGemmBuffers g;
  bool eio = op.getWeightLayout() == WeightLayout::ExpertInOut;
  g.x = em.toBuffer(op.getX());
  g.w = em.toBuffer(op.getW());
  g.segments = em.toBuffer(op.getSegments());
  g.bias = op.getBias() ? em.toBuffer(op.getBias()) : Value();
  g.gatherRows = op.getGatherRows() ? em.toBuffer(op.getGatherRows()) : Value();
  auto xType = cast<MemRefType>(g.x.getType());
  auto wType = cast<MemRefType>(g.w.getType());
  g.element = xType.getElementType();
  g.numExperts = em.dim(g.w, 0);
  g.in = em.dim(g.x, 1);
  g.out = em.dim(g.w, eio ? 2 : 1);
  g.staticOut = wType.getDimSize(eio ? 2 : 1);
  g.width = op.getGated() ? arith::DivUIOp::create(b, em.loc, g.out,
                                                   em.index(2))
                                .getResult()
                          : g.out;
  g.staticWidth = ShapedType::isDynamic(g.staticOut) || !op.getGated()
                      ? g.staticOut
                      : g.staticOut / 2;
  g.numRows = g.gatherRows ? em.dim(g.gatherRows, 0) : em.dim(g.x, 0);
  g.staticRows =
      (g.gatherRows ? cast<MemRefType>(g.gatherRows.getType()) : xType)
          .getDimSize(0);
  return g;
}

Value GroupedGemmBuffers::allocResult(LoopEmitter &em) const {
  SmallVector<Value> sizes;
  if (ShapedType::isDynamic(staticRows))
    sizes.push_back(numRows);
  if (ShapedType::isDynamic(staticWidth))
    sizes.push_back(width);
  return em.alloc({staticRows, staticWidth}, element, sizes);
}
