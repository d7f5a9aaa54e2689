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

def MoeSplitReductions : Pass<"moe-split-reductions"> {
  let summary = "Split the long reductions of dense linalg ops (GPU)";
  let description = [{
    On the GPU each element of a dense linalg op (the router matmul) is one
    thread's serial loop over the whole reduction: 2048 dependent steps for
    a 2048-wide layer, with 128 threads busy at T = 1. Upstream's
    `linalg::splitReductionByScaling` makes each such op (one reduction
    dimension of a static extent of at least `min-extent`, a multiple of
    `chunk`) two: partial results over chunks of `chunk` elements (the
    chunk index a new parallel dimension, so extent / `chunk` times the
    threads, each `chunk` steps long), then their sum. The sum starts from
    the op's init; an init made by a linalg.fill is moved next to it, so
    that on the GPU the fill and the sum become one kernel (and the fill of
    the partial results and the partial sums another).
  }];
  let options = [
    Option<"minExtent", "min-extent", "int64_t", /*default=*/"512",
           "Split reductions of at least this many elements">,
    Option<"chunk", "chunk", "int64_t", /*default=*/"64",
           "The elements of each chunk">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
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

def MoeTile : Pass<"moe-tile"> {
  let summary = "Tile moe.grouped_gemm into an scf.forall of linalg on slices";
  let description = [{
    Every `moe.grouped_gemm` with a `#moe.tile` becomes, on tensors in
    destination-passing style, an `scf.forall` over (row tile, column tile):
    a row tile holds up to `block_m` rows of one expert, found at run time by
    walking the segments (so T stays dynamic and the forall has exactly the
    row tiles that hold rows), a column tile `block_n` result columns. The
    body is linalg: a gather of the tile's x rows, `linalg.matmul` per weight
    half (tagged `moe.micro_tile = [thread_m, thread_n, block_k]` for
    `moe-vectorize-tiles`), and the epilogue (bias, activation, gate,
    rounding) written into the result's slice. The combine form becomes the
    tiled GEMM followed by `moe.unpermute`.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def MoeVectorizeTiles : Pass<"moe-vectorize-tiles"> {
  let summary = "Register-tile and vectorize the matmuls of tiled grouped GEMMs";
  let description = [{
    Each `linalg.matmul` tagged `moe.micro_tile = [MR, NR, Kc]` is tiled with
    the TilingInterface into k-block / column / row loops of MR x NR x Kc
    tiles, then along k by 1, and the MR x NR x 1 tile is vectorized into a
    `vector.contract` whose accumulator is carried in registers across the k
    loop (loop-invariant subset hoisting).
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def MoeHoistAmxAccumulators : Pass<"moe-hoist-amx-accumulators"> {
  let summary = "Keep the accumulator tile of each AMX k loop in a tile register";
  let description = [{
    convert-vector-to-amx loads and stores the accumulator tile around every
    `amx.tile_mulf` (its contraction reads and writes it in memory). Each
    `scf.for` that stores an AMX tile and has a short constant trip count
    (the k steps of one k-block) is unrolled, and each tile store is
    forwarded to the next load of the same place when nothing between them
    may touch that buffer: one load before the k steps and one store after
    them.
  }];
  let dependentDialects = [
    "::mlir::amx::AMXDialect",
    "::mlir::scf::SCFDialect",
  ];
}

def MoeSelectTiles : Pass<"moe-select-tiles", "::mlir::ModuleOp"> {
  let summary = "Choose the #moe.tile of every grouped GEMM from the target";
  let description = [{
    Reads the module's `moe.target` (a `#moe.target`; when absent, the
    `target`/`chip`/`features` options make one and record it, a CPU target
    without a chip being the host) and gives every `moe.grouped_gemm` without
    a `#moe.tile` the tile of that target. A tile already in the IR wins.
    CPU tiles: `thread_m x thread_n` is the register tile, `block_k` the
    k-block, `block_m x block_n` the row and column tile of the forall.
    A CPU grouped GEMM named by the tuning table (tuning/cpu-tiles.json,
    written by `moe-tune`; `table=` replaces it) gets the measured tiles,
    the others the heuristic's.
  }];
  let options = [
    Option<"targetKind", "target", "std::string", /*default=*/"\"\"",
           "cpu, nvptx, rocdl or emu (when the module has no moe.target)">,
    Option<"chip", "chip", "std::string", /*default=*/"\"\"",
           "CPU name or GPU chip (empty CPU: the host)">,
    Option<"features", "features", "std::string", /*default=*/"\"\"",
           "LLVM CPU features, e.g. +avx2,+fma">,
    Option<"tileTable", "table", "std::string", /*default=*/"\"\"",
           "a tuning table (JSON, moe-tune) replacing the built-in one">,
  ];
  // It writes #moe.target even into a module that holds no moe op.
  let dependentDialects = ["::mlir::moe::MoeDialect"];
}

def MoeCheckShapes : Pass<"moe-check-shapes", "::mlir::ModuleOp"> {
  let summary = "Check at run time the shape relations a verifier could not";
  let description = [{
    For every moe op, each shape relation of `MoeShapeContracts.h` with a
    dynamic side (a `?` dim, a capacity operand) is tested before the op
    runs. When one fails, the `moe.shape_violation` ops record it and the
    rest of the block is skipped: it moves into the else branch of an
    `scf.if`, whose then branch yields empty results (dynamic dims 0). So
    no op ever runs on operands whose shapes disagree, with or without the
    value checks, and the runtime reports the contract, both sizes and the
    op. Relations that hold statically emit nothing.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::moe::MoeDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def MoeFuse : Pass<"moe-fuse"> {
  let summary = "Fold the token permutation into the grouped GEMMs";
  let description = [{
    One rewrite pattern per fusion (DESIGN.md §5): a `moe.grouped_gemm` whose
    rows are the `xp` of a `moe.permute` or `moe.dispatch` reads the token
    matrix through `gather(%rows, K)` instead (the permuted copy is then not
    made); a `moe.unpermute` of a grouped GEMM that has no other use becomes
    the GEMM's `combine(%rows, %weights)` form. Activation, gate and bias
    are the GEMM's epilogue already. Results are unchanged.
  }];
}

#endif // MOE_TRANSFORMS_PASSES_TD
