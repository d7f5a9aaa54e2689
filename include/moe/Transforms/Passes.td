//===- Passes.td - moe transformation passes ---------------*- tablegen -*-===//
#ifndef MOE_TRANSFORMS_PASSES_TD
#define MOE_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def MoeDecompose : Pass<"moe-decompose"> {
  let summary = "Expand moe.layer into the primitive moe ops";
  let description = [{
    Rewrites every `moe.layer` into `linalg.matmul` for the router (f32
    accumulation), `moe.route`, `moe.permute` (or `moe.dispatch` with
    `C = max(1, ceil(capacity_factor · T·K / E))` when a capacity factor is
    given, computed at run time when T is dynamic), the gate/up and down
    `moe.grouped_gemm`s, `moe.unpermute` and, for a shared expert, dense
    `linalg` ops added to the routed result.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def MoePromoteLoopAccumulators : Pass<"moe-promote-loop-accumulators"> {
  let summary = "Carry an element a loop reads and writes back in a register";
  let description = [{
    An `scf.for` whose body loads one element of a fresh allocation and
    stores back to it (the same loop-invariant indices, no other access of
    that allocation in the loop, no memory effects but loads and stores)
    carries the element as an iter_arg instead: one load before the loop,
    one store after. This is the reduction loop of a linalg op lowered to
    loops, which otherwise makes a memory round trip per iteration.
  }];
  let dependentDialects = [
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
  ];
}

#endif // MOE_TRANSFORMS_PASSES_TD
