//===- MoeOps.td - moe dialect operations ------------------*- tablegen -*-===//
//
// Result types of every op are determined by its operands and attributes: the
// assembly prints only operand types and the `*ResultTypes` directives rebuild
// the results when parsing. Verifiers re-derive the same types, so a printed op
// always parses back to itself.
//
//===----------------------------------------------------------------------===//
#ifndef MOE_OPS_TD
#define MOE_OPS_TD

include "moe/MoeDialect.td"
include "moe/MoeAttrs.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/CommonTypeConstraints.td"

def Moe_ScalarF32Tensor : Type<
    And<[IsTensorTypePred, HasRankPred, HasAnyRankOfPred<[0]>,
         SubstLeaves<"$_self", "::llvm::cast<::mlir::ShapedType>($_self).getElementType()",
                     F32.predicate>]>,
    "0-d tensor of f32", "::mlir::RankedTensorType">,
    BuildableType<"::mlir::RankedTensorType::get({}, $_builder.getF32Type())">;

//===----------------------------------------------------------------------===//
// moe.route
//===----------------------------------------------------------------------===//

def Moe_RouteOp : Moe_Op<"route", [Pure]> {
  let summary = "top-k gating: K experts per token and their weights";
  let description = [{
    `logits : [T, E]` (f32, f16 or bf16), optional correction `bias : [E]` f32;
    results `ids : [T, K]` i32 and `weights : [T, K]` f32. Scores are the
    row's softmax or the sigmoid of each logit; experts are chosen by
    `score + bias` (ties: lower expert index), optionally restricted to the
    `group_topk` best of `groups` contiguous expert groups; weights are the
    scores without bias, optionally renormalized, times `scaling`.

    ```mlir
    %ids, %w = moe.route %logits top_k(2) renormalize : tensor<?x8xf32>
    %ids, %w = moe.route %logits bias(%b : tensor<256xf32>) top_k(8)
        scoring<sigmoid> groups(8, 4) renormalize scaling(2.5) : tensor<?x256xf32>
    ```
  }];
  let arguments = (ins
    AnyRankedTensor:$logits,
    Optional<AnyRankedTensor>:$bias,
    I64Attr:$k,
    DefaultValuedAttr<Moe_ScoringAttr, "::mlir::moe::Scoring::Softmax">:$scoring,
    UnitAttr:$renormalize,
    DefaultValuedAttr<F32Attr, "1.0f">:$scaling,
    DefaultValuedAttr<I64Attr, "1">:$groups,
    DefaultValuedAttr<I64Attr, "1">:$group_topk);
  let results = (outs AnyRankedTensor:$ids, AnyRankedTensor:$weights);
  let assemblyFormat = [{
    $logits (`bias` `(` $bias^ `:` type($bias) `)`)? `top_k` `(` $k `)`
    (`scoring` `` $scoring^)? (`groups` `(` $groups^ `,` $group_topk `)`)?
    (`renormalize` $renormalize^)? (`scaling` `(` $scaling^ `)`)?
    attr-dict `:` type($logits)
    `` custom<RouteResultTypes>(ref(type($logits)), ref($k), type($ids), type($weights))
  }];
  let builders = [
    OpBuilder<(ins "::mlir::Value":$logits, "::mlir::Value":$bias,
      "int64_t":$k, "::mlir::moe::Scoring":$scoring, "bool":$renormalize,
      "float":$scaling, "int64_t":$groups, "int64_t":$group_topk)>
  ];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// moe.permute
//===----------------------------------------------------------------------===//

def Moe_PermuteOp : Moe_Op<"permute", [Pure]> {
  let summary = "dropless, stable, expert-contiguous order of the routed pairs";
  let description = [{
    `x : [T, H]`, `ids : [T, K]` i32 → `xp : [N, H]`, `offsets : [E+1]` i32
    (CSR), `rows : [N]` i32 (the pair p = t·K + k held by each row). A stable
    counting sort: experts ascending, pairs ascending within an expert.
    Runtime contract: `0 <= ids < num_experts`.

    ```mlir
    %xp, %offsets, %rows = moe.permute %x, %ids experts(8)
        : tensor<?x64xf16>, tensor<?x2xi32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$x, AnyRankedTensor:$ids,
                       I64Attr:$num_experts);
  let results = (outs AnyRankedTensor:$xp, AnyRankedTensor:$offsets,
                      AnyRankedTensor:$rows);
  let assemblyFormat = [{
    $x `,` $ids `experts` `(` $num_experts `)` attr-dict `:` type($x) `,` type($ids)
    `` custom<PermuteResultTypes>(ref(type($x)), ref(type($ids)), ref($num_experts),
                               type($xp), type($offsets), type($rows))
  }];
  let builders = [
    OpBuilder<(ins "::mlir::Value":$x, "::mlir::Value":$ids, "int64_t":$num_experts)>
  ];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// moe.dispatch
//===----------------------------------------------------------------------===//

def Moe_DispatchOp : Moe_Op<"dispatch", [Pure]> {
  let summary = "capacity-limited, padded [E, C] layout of the routed pairs";
  let description = [{
    `x : [T, H]`, `ids : [T, K]` i32 → `xp : [E·C, H]`, `counts : [E]` i32,
    `rows : [E·C]` i32. Pairs are taken in pair order and an expert keeps its
    first C; row `e·C + j` holds expert e's j-th kept pair, unused rows are zero
    in `xp` and -1 in `rows`. The capacity is a constant or, when it depends on
    a dynamic token count, an `index` operand (runtime contract: >= 1).

    ```mlir
    %xp, %counts, %rows = moe.dispatch %x, %ids experts(8) capacity(16)
        : tensor<?x64xf32>, tensor<?x2xi32>
    %xp, %counts, %rows = moe.dispatch %x, %ids experts(8) capacity(%c)
        : tensor<?x64xf32>, tensor<?x2xi32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$x, AnyRankedTensor:$ids,
                       Optional<Index>:$dynamic_capacity,
                       I64Attr:$num_experts, OptionalAttr<I64Attr>:$capacity);
  let results = (outs AnyRankedTensor:$xp, AnyRankedTensor:$counts,
                      AnyRankedTensor:$rows);
  let assemblyFormat = [{
    $x `,` $ids `experts` `(` $num_experts `)`
    `capacity` `(` custom<Capacity>($dynamic_capacity, $capacity) `)`
    attr-dict `:` type($x) `,` type($ids)
    `` custom<DispatchResultTypes>(ref(type($x)), ref($num_experts), ref($capacity),
                                type($xp), type($counts), type($rows))
  }];
  let builders = [
    OpBuilder<(ins "::mlir::Value":$x, "::mlir::Value":$ids,
      "int64_t":$num_experts, "int64_t":$capacity)>,
    OpBuilder<(ins "::mlir::Value":$x, "::mlir::Value":$ids,
      "int64_t":$num_experts, "::mlir::Value":$dynamic_capacity)>
  ];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// moe.grouped_gemm
//===----------------------------------------------------------------------===//

def Moe_GroupedGemmOp : Moe_Op<"grouped_gemm", [Pure, AttrSizedOperandSegments]> {
  let summary = "one GEMM per expert over its rows, activation in the epilogue";
  let description = [{
    `y[r] = act(x[r] · W_e + b_e)` for every row r owned by expert e; rows
    owned by no expert are zero. `w` is `[E, In, Out]` (`layout<eio>`, the
    default) or `[E, Out, In]` (`layout<eoi>`). Rows belong to experts through
    `offsets(%o : [E+1])` (CSR) or `counts(%c : [E])` (padded layout, C = M/E).
    With `gated`, Out = 2·I, the columns are `[gate | up]` and
    `y = act(gate) ⊙ up` has width I. Accumulation is in f32.

    Fused forms (made by `moe-fuse`):
    - `gather(%rows : [M], k = K)`: `x` is the token matrix `[T, In]` and row r
      reads `x[rows[r] / K]`;
    - `combine(%rows : [M], %w : [T, K])`: the result is `[T, Out]` with
      `out[t] = Σ_k w[t, k] · y[row holding pair t·K + k]`, in k order.

    `{tile = #moe.tile<...>}` fixes the kernel's tile (moe-select-tiles
    chooses it from the target; one in the IR wins). On the CPU a row tile
    holding at most `small_tile`'s `block_m` rows uses `small_tile`'s register
    tile, k-block and column tile instead (decode: each expert's weights
    streamed once), else one holding at most `medium_tile`'s `block_m` rows
    `medium_tile`'s (a few register tiles of rows, weights read in place
    rather than packed); row tiles are cut by `tile`'s `block_m`, so only an
    expert's last row tile can be small or medium.

    ```mlir
    %h = moe.grouped_gemm %xp, %w1, offsets(%off) activation<silu> gated
        : tensor<?x64xbf16>, tensor<8x64x256xbf16>, tensor<9xi32>
    ```
  }];
  let arguments = (ins
    AnyRankedTensor:$x,
    AnyRankedTensor:$w,
    AnyRankedTensor:$segments,
    Optional<AnyRankedTensor>:$bias,
    Optional<AnyRankedTensor>:$gather_rows,
    Optional<AnyRankedTensor>:$combine_rows,
    Optional<AnyRankedTensor>:$combine_weights,
    Moe_SegmentKindAttr:$segment_kind,
    OptionalAttr<I64Attr>:$gather_k,
    DefaultValuedAttr<Moe_ActivationAttr, "::mlir::moe::Activation::None">:$activation,
    UnitAttr:$gated,
    DefaultValuedAttr<Moe_WeightLayoutAttr, "::mlir::moe::WeightLayout::ExpertInOut">:$weight_layout,
    OptionalAttr<Moe_TileAttr>:$tile,
    OptionalAttr<Moe_TileAttr>:$small_tile,
    OptionalAttr<Moe_TileAttr>:$medium_tile);
  let results = (outs AnyRankedTensor:$y);
  let assemblyFormat = [{
    $x `,` $w `,` custom<Segments>($segments, $segment_kind)
    (`bias` `(` $bias^ `:` type($bias) `)`)?
    (`gather` `(` $gather_rows^ `:` type($gather_rows) `,` `k` `=` $gather_k `)`)?
    (`combine` `(` $combine_rows^ `:` type($combine_rows) `,`
                   $combine_weights `:` type($combine_weights) `)`)?
    (`activation` `` $activation^)? `` custom<GatedFlag>($gated)
    (`layout` `` $weight_layout^)?
    attr-dict `:` type($x) `,` type($w) `,` type($segments)
    `` custom<GroupedGemmResultType>(ref(type($x)), ref(type($w)),
        ref(type($gather_rows)), ref(type($combine_weights)), ref($gated),
        ref($weight_layout), type($y))
  }];
  let builders = [
    OpBuilder<(ins "::mlir::Value":$x, "::mlir::Value":$w,
      "::mlir::Value":$segments, "::mlir::moe::SegmentKind":$segment_kind,
      "::mlir::Value":$bias, "::mlir::moe::Activation":$activation,
      "bool":$gated, "::mlir::moe::WeightLayout":$weight_layout)>
  ];
  let extraClassDeclaration = [{
    /// Number of experts E (dim 0 of the weights), or ShapedType::kDynamic.
    int64_t getNumExperts();
    /// Width of the GEMM before gating (Out), or ShapedType::kDynamic.
    int64_t getGemmOut();
    /// Rows M of the grouped layout: the gather rows in gather form, else x's.
    int64_t getNumGroupedRows();
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// moe.unpermute
//===----------------------------------------------------------------------===//

def Moe_UnpermuteOp : Moe_Op<"unpermute", [Pure]> {
  let summary = "weighted combine of expert rows back to token order";
  let description = [{
    `y : [M, H]`, `rows : [M]` i32 (the pair each row holds, -1 for none),
    `weights : [T, K]` f32 → `[T, H]` with
    `out[t] = Σ_k weights[t, k] · y[row holding pair t·K + k]`, summed in k
    order in f32; a pair held by no row contributes zero.

    ```mlir
    %out = moe.unpermute %y, %rows, %w : tensor<?x64xf32>, tensor<?xi32>, tensor<?x2xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$y, AnyRankedTensor:$rows,
                       AnyRankedTensor:$weights);
  let results = (outs AnyRankedTensor:$out);
  let assemblyFormat = [{
    $y `,` $rows `,` $weights attr-dict `:` type($y) `,` type($rows) `,` type($weights)
    `` custom<UnpermuteResultType>(ref(type($y)), ref(type($weights)), type($out))
  }];
  let builders = [
    OpBuilder<(ins "::mlir::Value":$y, "::mlir::Value":$rows, "::mlir::Value":$weights)>
  ];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// moe.layer
//===----------------------------------------------------------------------===//

def Moe_LayerOp : Moe_Op<"layer", [Pure, AttrSizedOperandSegments,
                                   AllTypesMatch<["x", "out"]>]> {
  let summary = "a whole MoE block: router, experts, combine, shared expert";
  let description = [{
    `logits = x · router_w` (`router_w : [H, E]`, f32 accumulation), then
    `moe.route`, `moe.permute` (or `moe.dispatch` with capacity
    `max(1, ceil(capacity_factor · T·K / E))`), the gate/up grouped GEMM with
    `activation` (`w_gate_up : [E, H, 2I]` when `gated`, else `[E, H, I]`), the
    down grouped GEMM (`w_down : [E, I, H]`) and `moe.unpermute`. With
    `shared(%s_gate_up : [H, 2SI], %s_down : [SI, H])`, a dense expert with the
    same activation is added to every token. `layout<eoi>` swaps the last two
    dims of every expert and shared weight. `moe-decompose` expands it.

    ```mlir
    %out = moe.layer %x, %router, %w1, %w2 top_k(8) renormalize activation<silu> gated
        : tensor<?x2048xbf16>, tensor<2048x128xbf16>, tensor<128x2048x1536xbf16>,
          tensor<128x768x2048xbf16>
    ```
  }];
  let arguments = (ins
    AnyRankedTensor:$x,
    AnyRankedTensor:$router_w,
    Optional<AnyRankedTensor>:$router_bias,
    AnyRankedTensor:$w_gate_up,
    AnyRankedTensor:$w_down,
    Optional<AnyRankedTensor>:$shared_gate_up,
    Optional<AnyRankedTensor>:$shared_down,
    I64Attr:$k,
    DefaultValuedAttr<Moe_ScoringAttr, "::mlir::moe::Scoring::Softmax">:$scoring,
    UnitAttr:$renormalize,
    DefaultValuedAttr<F32Attr, "1.0f">:$scaling,
    DefaultValuedAttr<I64Attr, "1">:$groups,
    DefaultValuedAttr<I64Attr, "1">:$group_topk,
    DefaultValuedAttr<Moe_ActivationAttr, "::mlir::moe::Activation::Silu">:$activation,
    UnitAttr:$gated,
    DefaultValuedAttr<Moe_WeightLayoutAttr, "::mlir::moe::WeightLayout::ExpertInOut">:$weight_layout,
    OptionalAttr<F32Attr>:$capacity_factor);
  let results = (outs AnyRankedTensor:$out);
  let assemblyFormat = [{
    $x `,` $router_w `,` $w_gate_up `,` $w_down
    (`bias` `(` $router_bias^ `:` type($router_bias) `)`)?
    (`shared` `(` $shared_gate_up^ `,` $shared_down `:` type($shared_gate_up) `,`
                  type($shared_down) `)`)?
    `top_k` `(` $k `)` (`scoring` `` $scoring^)?
    (`groups` `(` $groups^ `,` $group_topk `)`)? (`renormalize` $renormalize^)?
    (`scaling` `(` $scaling^ `)`)? (`activation` `` $activation^)? (`gated` $gated^)?
    (`layout` `` $weight_layout^)? (`capacity_factor` `(` $capacity_factor^ `)`)?
    attr-dict `:` type($x) `,` type($router_w) `,` type($w_gate_up) `,` type($w_down)
  }];
  let extraClassDeclaration = [{
    int64_t getNumExperts();
    /// The expert intermediate size I (after gating), or ShapedType::kDynamic.
    int64_t getIntermediateSize();
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// moe.balance_loss
//===----------------------------------------------------------------------===//

def Moe_BalanceLossOp : Moe_Op<"balance_loss", [Pure]> {
  let summary = "Switch Transformer load-balancing statistic";
  let description = [{
    `logits : [T, E]`, `ids : [T, K]` i32 → `tensor<f32>` holding
    `E · Σ_e f_e · P_e`, f_e the fraction of pairs routed to e and P_e the mean
    softmax probability of e over tokens. A perfectly balanced router gives
    1.0; T = 0 gives 0. Runtime contract: `0 <= ids < E`.

    ```mlir
    %l = moe.balance_loss %logits, %ids : tensor<?x8xf32>, tensor<?x2xi32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$logits, AnyRankedTensor:$ids);
  let results = (outs Moe_ScalarF32Tensor:$loss);
  let assemblyFormat = [{
    $logits `,` $ids attr-dict `:` type($logits) `,` type($ids)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// moe.shape_violation
//===----------------------------------------------------------------------===//

def Moe_ShapeViolationOp : Moe_Op<"shape_violation",
    [MemoryEffects<[MemWrite]>]> {
  let summary = "records a violated shape contract in the status buffer";
  let description = [{
    Made by `moe-check-shapes` where a shape relation of a moe op
    (`MoeShapeContracts.h`) holds only at run time and did not: `size` is the
    subject's size, `bound` the size it was held against. The lowering that
    owns the function's status buffer records it as the function's first
    violation (docs/abi.md), naming `origin` (the op), `contract`, `subject`
    and, when the bound is a size rather than a number, `bound_name`.

    ```mlir
    moe.shape_violation %tx, %tids {origin = "moe.permute",
        contract = "ids dim 0 == x dim 0", subject = "ids dim 0",
        bound_name = "x dim 0"}
    ```
  }];
  let arguments = (ins Index:$size, Index:$bound, StrAttr:$origin,
                       StrAttr:$contract, StrAttr:$subject,
                       StrAttr:$bound_name);
  let assemblyFormat = [{ $size `,` $bound attr-dict }];
}

#endif // MOE_OPS_TD
