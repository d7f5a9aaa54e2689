//===- MoeAttrs.td - moe enum attributes -------------------*- tablegen -*-===//
#ifndef MOE_ATTRS_TD
#define MOE_ATTRS_TD

include "moe/MoeDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Moe_Scoring : I32Enum<"Scoring", "router scoring function", [
    I32EnumCase<"Softmax", 0, "softmax">,
    I32EnumCase<"Sigmoid", 1, "sigmoid">]> {
  let cppNamespace = "::mlir::moe";
}
def Moe_ScoringAttr : EnumAttr<Moe_Dialect, Moe_Scoring, "scoring"> {
  let assemblyFormat = "`<` $value `>`";
}

def Moe_Activation : I32Enum<"Activation", "expert activation function", [
    I32EnumCase<"None", 0, "none">,
    I32EnumCase<"Relu", 1, "relu">,
    I32EnumCase<"Silu", 2, "silu">,
    I32EnumCase<"Gelu", 3, "gelu">,
    I32EnumCase<"GeluTanh", 4, "gelu_tanh">]> {
  let cppNamespace = "::mlir::moe";
}
def Moe_ActivationAttr : EnumAttr<Moe_Dialect, Moe_Activation, "activation"> {
  let assemblyFormat = "`<` $value `>`";
}

// `eio` is [E, In, Out]; `eoi` is [E, Out, In], the nn.Linear / Hugging Face
// checkpoint layout, accepted as is so weights are never transposed on load.
def Moe_WeightLayout : I32Enum<"WeightLayout", "expert weight layout", [
    I32EnumCase<"ExpertInOut", 0, "eio">,
    I32EnumCase<"ExpertOutIn", 1, "eoi">]> {
  let cppNamespace = "::mlir::moe";
}
def Moe_WeightLayoutAttr : EnumAttr<Moe_Dialect, Moe_WeightLayout, "weight_layout"> {
  let assemblyFormat = "`<` $value `>`";
}

// How a grouped GEMM learns which rows belong to which expert: CSR offsets
// [E+1] from moe.permute, or counts [E] with the padded [E, C] layout of
// moe.dispatch.
def Moe_SegmentKind : I32Enum<"SegmentKind", "row segmentation of a grouped GEMM", [
    I32EnumCase<"Offsets", 0, "offsets">,
    I32EnumCase<"Counts", 1, "counts">]> {
  let cppNamespace = "::mlir::moe";
}
def Moe_SegmentKindAttr : EnumAttr<Moe_Dialect, Moe_SegmentKind, "segments"> {
  let assemblyFormat = "`<` $value `>`";
}

// The tile of a grouped GEMM kernel, attached to the op (`moe-select-tiles`
// will choose it; one written by hand wins). Without it the GPU lowering
// uses the target chip's default.
def Moe_TileAttr : AttrDef<Moe_Dialect, "Tile"> {
  let mnemonic = "tile";
  let summary = "grouped GEMM tile: block M/N/K and the rows x columns of a thread";
  let description = [{
    A block computes `block_m` rows x `block_n` columns of the result,
    stepping `block_k` along the reduction; each of its
    `(block_m / thread_m) x (block_n / thread_n)` threads computes
    `thread_m x thread_n` results.

    With `warp_m` and `warp_n` (GPU), the products run on the tensor cores:
    each warp computes a `warp_m x warp_n` piece of the block with mma.sync
    m16n8k16 steps (32-lane warps, NVIDIA) or MFMA 16x16x16 steps (64-lane
    waves, AMD), so the block's threads are its warps', and
    `thread_m x thread_n` is each thread's share of the epilogue.

    ```mlir
    #moe.tile<block_m = 64, block_n = 64, block_k = 16, thread_m = 4, thread_n = 4>
    #moe.tile<block_m = 64, block_n = 64, block_k = 32, thread_m = 4, thread_n = 8, warp_m = 32, warp_n = 32>
    ```
  }];
  let parameters = (ins "int64_t":$block_m, "int64_t":$block_n,
                        "int64_t":$block_k, "int64_t":$thread_m,
                        "int64_t":$thread_n,
                        DefaultValuedParameter<"int64_t", "0">:$warp_m,
                        DefaultValuedParameter<"int64_t", "0">:$warp_n);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

// What a module is compiled for, set once by the driver (moe-compile
// --target/--chip/--cpu, the runtime from the device it runs on); every pass
// that depends on the machine reads it here (DESIGN.md §5).
def Moe_TargetAttr : AttrDef<Moe_Dialect, "Target"> {
  let mnemonic = "target";
  let summary = "the machine a module is compiled for";
  let description = [{
    `kind` is `cpu`, `nvptx`, `rocdl` or `emu`; `chip` the CPU name
    (`znver4`, `skylake`, ...), the CUDA chip (`sm_90`) or the AMD
    architecture (`gfx942`); `features` the LLVM target features of a CPU
    (`+avx2,+fma,...`), empty for GPUs. The module carries it as
    `moe.target`.

    ```mlir
    module attributes {moe.target = #moe.target<kind = "cpu", chip = "znver4", features = "+avx2,+fma">} {}
    ```
  }];
  let parameters = (ins StringRefParameter<"target kind">:$kind,
                        StringRefParameter<"chip", "\"\"">:$chip,
                        StringRefParameter<"target features", "\"\"">:$features);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The name of the module attribute that holds it.
    static constexpr ::llvm::StringLiteral getModuleAttrName() {
      return ::llvm::StringLiteral("moe.target");
    }
    /// Whether `feature` (without '+') is enabled in `features`.
    bool hasFeature(::llvm::StringRef feature) const;
  }];
}

#endif // MOE_ATTRS_TD
