//===- MoeDialect.td - the moe dialect ---------------------*- tablegen -*-===//
#ifndef MOE_DIALECT_TD
#define MOE_DIALECT_TD

include "mlir/IR/OpBase.td"

def Moe_Dialect : Dialect {
  let name = "moe";
  let cppNamespace = "::mlir::moe";
  let summary = "Mixture-of-Experts inference: routing, permutation, grouped GEMM, combine";
  let description = [{
    The ops of one MoE block on tensors. Shapes follow DESIGN.md §3: T tokens,
    H hidden, E experts, K experts per token, I intermediate size, N = T·K routed
    pairs. T may be dynamic in every op. Every static shape fact is checked by a
    verifier; facts known only at run time are runtime contracts of the lowering.
  }];
  let useDefaultAttributePrinterParser = 1;
}

class Moe_Op<string mnemonic, list<Trait> traits = []>
    : Op<Moe_Dialect, mnemonic, traits>;

#endif // MOE_DIALECT_TD
