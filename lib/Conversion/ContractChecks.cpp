//===- ContractChecks.cpp - runtime contract checks in lowered code -------===//
#include "ContractChecks.h"
#include "LowerOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;
using namespace mlir::moe;

Value mlir::moe::findStatusArgument(func::FuncOp func) {
  for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i)
    if (func.getArgAttr(i, "moe.status"))
      return func.getArgument(i);
  return {};
}

FailureOr<Value> mlir::moe::addStatusArgument(ModuleOp module,
                                              func::FuncOp func) {
  // The status buffer is a new trailing argument, so the function must not
  // be called from inside the module.
  if (!SymbolTable::symbolKnownUseEmpty(func, module))
    return func.emitOpError(
        "holds moe ops with runtime contract checks and is called inside "
        "the module; checks need an entry function (or checks=false and "
        "static shapes)");
  Builder b(module.getContext());
  unsigned index = func.getNumArguments();
  if (failed(func.insertArgument(
          index, MemRefType::get({6}, b.getI64Type()),
          b.getDictionaryAttr(b.getNamedAttr("moe.status", b.getUnitAttr())),
          func.getLoc())))
    return failure();
  return func.getArgument(index);
}

void mlir::moe::setContractSites(ModuleOp module,
                                 ArrayRef<ContractSite> sites) {
  Builder b(module.getContext());
  SmallVector<Attribute> attrs;
  for (const ContractSite &site : sites) {
    SmallVector<NamedAttribute> fields = {
        b.getNamedAttr("op", b.getStringAttr(site.op)),
        b.getNamedAttr("kind", b.getStringAttr(site.kind)),
        b.getNamedAttr("tensor", b.getStringAttr(site.tensor)),
        b.getNamedAttr("rank", b.getI64IntegerAttr(site.rank))};
    if (!site.contract.empty()) {
      fields.push_back(b.getNamedAttr("contract", b.getStringAttr(site.contract)));
      fields.push_back(b.getNamedAttr("bound", b.getStringAttr(site.bound)));
    }
    attrs.push_back(b.getDictionaryAttr(fields));
  }
  module->setAttr("moe.contracts", b.getArrayAttr(attrs));
}

void mlir::moe::storeViolation(LoopEmitter &em, Value status,
                               int64_t siteNumber, Value i, Value j,
                               Value value, Value context) {
  Value recorded = value;
  if (isa<FloatType>(value.getType())) {
    Value bits =
        arith::BitcastOp::create(em.b, em.loc, em.b.getI32Type(), value);
    recorded = arith::ExtUIOp::create(em.b, em.loc, em.b.getI64Type(), bits);
  }
  Value fields[] = {em.i64(siteNumber), i ? em.toI64(i) : em.i64(-1),
                    j ? em.toI64(j) : em.i64(-1), em.toI64(recorded),
                    context ? em.toI64(context) : em.i64(0)};
  for (auto [slot, field] : llvm::enumerate(fields))
    em.store(field, status, {em.index(slot)});
}

void ContractRecorder::check(LoopEmitter &em, Value violated,
                             const ContractSite &site, Value i, Value j,
                             Value value, Value context) {
  if (!status)
    return;
  int64_t siteNumber = static_cast<int64_t>(sites.size()) + 1;
  sites.push_back(site);
  em.ifThen(violated, [&] {
    Value first = em.load(status, {em.index(0)});
    Value noneYet = arith::CmpIOp::create(em.b, em.loc, arith::CmpIPredicate::eq,
                                          first, em.i64(0));
    em.ifThen(noneYet, [&] {
      storeViolation(em, status, siteNumber, i, j, value, context);
    });
  });
}

ContractSite mlir::moe::shapeViolationSite(Operation *op) {
  auto violation = cast<ShapeViolationOp>(op);
  return {violation.getOrigin().str(), "shape", violation.getSubject().str(),
          0, violation.getContract().str(), violation.getBoundName().str()};
}

SmallVector<Value> mlir::moe::recordShapeViolation(ShapeViolationOp op,
                                                   LoopEmitter &em,
                                                   ContractRecorder &checks) {
  Value always =
      arith::ConstantIntOp::create(em.b, em.loc, em.b.getI1Type(), 1);
  checks.check(em, always, shapeViolationSite(op), Value(), Value(),
               op.getSize(), op.getBound());
  return {};
}
