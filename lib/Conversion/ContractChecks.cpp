//===- ContractChecks.cpp - runtime contract checks in lowered code -------===//
#include "ContractChecks.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace mlir::moe;

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
      Value recorded = value;
      if (isa<FloatType>(value.getType())) {
        Value bits = arith::BitcastOp::create(em.b, em.loc,
                                              em.b.getI32Type(), value);
        recorded = arith::ExtUIOp::create(em.b, em.loc, em.b.getI64Type(), bits);
      }
      Value fields[] = {em.i64(siteNumber),
                        i ? em.toI64(i) : em.i64(-1),
                        j ? em.toI64(j) : em.i64(-1),
                        em.toI64(recorded),
                        context ? em.toI64(context) : em.i64(0)};
      for (auto [slot, field] : llvm::enumerate(fields))
        em.store(field, status, {em.index(slot)});
    });
  });
}
