//===- Passes.td - moe lowering passes ---------------------*- tablegen -*-===//
#ifndef MOE_CONVERSION_PASSES_TD
#define MOE_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def MoeLowerToLoops : Pass<"moe-lower-to-loops", "::mlir::ModuleOp"> {
  let summary = "Lower the primitive moe ops to scf loops over memrefs";
  let description = [{
    Replaces every moe op (after `moe-decompose`) by loops over memrefs,
    bracketed by `bufferization.to_buffer` / `to_tensor` so the surrounding
    tensor code bufferizes as usual. The loops are memory-safe for every input
    value: out-of-range ids route nowhere, offsets, counts and rows are clamped.

    With `checks` (the default) the runtime contracts of DESIGN.md §4 are
    compiled in: every function holding moe ops gets a trailing
    `memref<6xi64> {moe.status}` argument in which the first violation is
    recorded (docs/abi.md), and the module gets a `moe.contracts` attribute
    describing each check site.
  }];
  let options = [
    Option<"checks", "checks", "bool", /*default=*/"true",
           "Compile the runtime contract checks in">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
  ];
}

#endif // MOE_CONVERSION_PASSES_TD
