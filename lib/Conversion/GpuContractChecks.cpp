//===- GpuContractChecks.cpp - runtime contract checks as GPU kernels -----===//
#include "GpuContractChecks.h"
#include "GpuKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;
using namespace mlir::moe;

namespace {

/// Word 5 of the status buffer: the priority of the reported violation
/// (0: none). Larger is earlier: sites in recording order, then positions.
constexpr int64_t kPrioritySlot = 5;
constexpr int64_t kPositionBits = 40;

Value priority(LoopEmitter &em, int64_t siteNumber, Value position) {
  int64_t base = (int64_t(1) << 62) - (siteNumber << kPositionBits);
  return arith::SubIOp::create(em.b, em.loc, em.i64(base),
                               em.toI64(position));
}

} // namespace

void GpuContractChecks::check(
    LoopEmitter &em, const ContractSite &site, StringRef kernel, Value count,
    function_ref<ContractProbe(LoopEmitter &, Value)> probe) {
  if (!status)
    return;
  int64_t siteNumber = static_cast<int64_t>(sites.size()) + 1;
  sites.push_back(site);
  launchFlat(em, (kernel + "_check").str(), count,
             [&](LoopEmitter &k, Value p) {
               ContractProbe found = probe(k, p);
               k.ifThen(found.violated, [&] {
                 memref::AtomicRMWOp::create(
                     k.b, k.loc, arith::AtomicRMWKind::maxs,
                     priority(k, siteNumber, p), status,
                     ValueRange{k.index(kPrioritySlot)});
               });
             });
  launchFlat(em, (kernel + "_report").str(), count,
             [&](LoopEmitter &k, Value p) {
               ContractProbe found = probe(k, p);
               k.ifThen(found.violated, [&] {
                 Value winner = arith::CmpIOp::create(
                     k.b, k.loc, arith::CmpIPredicate::eq,
                     k.load(status, {k.index(kPrioritySlot)}),
                     priority(k, siteNumber, p));
                 k.ifThen(winner, [&] {
                   storeViolation(k, status, siteNumber, found.i, found.j,
                                  found.value, found.context);
                 });
               });
             });
}

void GpuContractChecks::record(LoopEmitter &em, const ContractSite &site,
                               StringRef kernel, Value value, Value context) {
  if (!status)
    return;
  int64_t siteNumber = static_cast<int64_t>(sites.size()) + 1;
  sites.push_back(site);
  launchFlat(em, kernel.str(), em.index(1), [&](LoopEmitter &k, Value p) {
    Value mine = priority(k, siteNumber, p);
    Value earlier = arith::CmpIOp::create(
        k.b, k.loc, arith::CmpIPredicate::sgt, mine,
        k.load(status, {k.index(kPrioritySlot)}));
    k.ifThen(earlier, [&] {
      k.store(mine, status, {k.index(kPrioritySlot)});
      storeViolation(k, status, siteNumber, Value(), Value(), value, context);
    });
  });
}

void mlir::moe::checkIdsOnGpu(LoopEmitter &em, GpuContractChecks &checks,
                              StringRef opName, StringRef kernel, Value ids,
                              int64_t numExperts) {
  if (!checks.enabled())
    return;
  Value k = em.dim(ids, 1);
  Value count = arith::MulIOp::create(em.b, em.loc, em.dim(ids, 0), k);
  checks.check(em, {opName.str(), "ids_range", "ids", 2}, kernel, count,
               [&](LoopEmitter &kl, Value p) {
                 Value t = arith::DivUIOp::create(kl.b, kl.loc, p, k);
                 Value slot = arith::RemUIOp::create(kl.b, kl.loc, p, k);
                 Value id = kl.load(ids, {t, slot});
                 return ContractProbe{
                     kl.outOfRange(id, kl.i32(0), kl.i32(numExperts)), t,
                     slot, id, kl.i64(numExperts)};
               });
}

void mlir::moe::checkRowsOnGpu(LoopEmitter &em, GpuContractChecks &checks,
                               StringRef opName, StringRef tensor,
                               StringRef kernel, Value rows, Value pairs) {
  if (!checks.enabled())
    return;
  checks.check(em, {opName.str(), "rows_range", tensor.str(), 1}, kernel,
               em.dim(rows, 0), [&](LoopEmitter &kl, Value r) {
                 Value pair = kl.load(rows, {r});
                 Value pairsI32 = arith::IndexCastOp::create(
                     kl.b, kl.loc, kl.b.getI32Type(), pairs);
                 return ContractProbe{
                     kl.outOfRange(pair, kl.i32(-1), pairsI32), r, Value(),
                     pair, pairs};
               });
}

void mlir::moe::checkSegmentsOnGpu(LoopEmitter &em, GpuContractChecks &checks,
                                   bool offsets, Value segments,
                                   Value numExperts, Value numRows) {
  if (!checks.enabled())
    return;
  const char *op = "moe.grouped_gemm";
  if (!offsets) {
    checks.check(
        em, {op, "counts_range", "counts", 1}, "grouped_gemm_counts",
        numExperts, [&](LoopEmitter &kl, Value e) {
          Value capacity =
              arith::DivUIOp::create(kl.b, kl.loc, numRows, numExperts);
          Value capacityI32 = arith::IndexCastOp::create(
              kl.b, kl.loc, kl.b.getI32Type(), capacity);
          Value count = kl.load(segments, {e});
          Value limit =
              arith::AddIOp::create(kl.b, kl.loc, capacityI32, kl.i32(1));
          return ContractProbe{kl.outOfRange(count, kl.i32(0), limit), e,
                               Value(), count, capacity};
        });
    return;
  }
  checks.check(em, {op, "offsets_start", "offsets", 1},
               "grouped_gemm_offsets_start", em.index(1),
               [&](LoopEmitter &kl, Value) {
                 Value first = kl.load(segments, {kl.index(0)});
                 Value nonzero = arith::CmpIOp::create(
                     kl.b, kl.loc, arith::CmpIPredicate::ne, first, kl.i32(0));
                 return ContractProbe{nonzero, kl.index(0), Value(), first,
                                      Value()};
               });
  checks.check(em, {op, "offsets_monotone", "offsets", 1},
               "grouped_gemm_offsets_monotone", numExperts,
               [&](LoopEmitter &kl, Value p) {
                 Value i = arith::AddIOp::create(kl.b, kl.loc, p, kl.index(1));
                 Value previous = kl.load(segments, {p});
                 Value current = kl.load(segments, {i});
                 Value decreases = arith::CmpIOp::create(
                     kl.b, kl.loc, arith::CmpIPredicate::slt, current,
                     previous);
                 return ContractProbe{decreases, i, Value(), current,
                                      previous};
               });
  checks.check(em, {op, "offsets_end", "offsets", 1},
               "grouped_gemm_offsets_end", em.index(1),
               [&](LoopEmitter &kl, Value) {
                 Value end = kl.load(segments, {numExperts});
                 Value pastEnd = arith::CmpIOp::create(
                     kl.b, kl.loc, arith::CmpIPredicate::sgt, kl.toI64(end),
                     kl.toI64(numRows));
                 return ContractProbe{pastEnd, numExperts, Value(), end,
                                      numRows};
               });
}
