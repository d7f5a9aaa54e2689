//===- Reference.h - Scalar reference implementation of the moe ops -------===//
//
// A scalar C++17 implementation of every moe op, written from DESIGN.md §4 and
// independent of the compiler. Numeric end-to-end tests, `moe-run --check` and
// `moe-bench` compare compiled kernels against it, also on GPU machines that
// have no LLVM, so it depends on nothing but the C++ standard library (and uses
// no exceptions: LLVM builds with -fno-exceptions).
//
// Conventions shared by every function below:
//  * Tensors are row-major. A float tensor holds f32, f16 or bf16 values; f16
//    and bf16 values are stored as floats that are exactly representable in
//    that dtype (roundTo makes any float so).
//  * All arithmetic is in f32 and every sum runs in a fixed order (dot products
//    over k = 0..In-1, combines over k = 0..K-1), as the compiled kernels do.
//    Results are rounded to the dtype once, where each function says.
//  * Shapes are static contracts, checked by the op verifiers. A function given
//    operands of inconsistent shapes is a caller bug: it asserts in debug
//    builds and returns a default-constructed (empty) result in release builds.
//  * Values are runtime contracts (the check* functions at the end). The ops
//    assume they hold, but never read or write out of bounds when they do not:
//    an id outside [0, E) routes its pair nowhere, a row index outside [-1, N)
//    counts as -1, offsets are clamped to [0, M] and made non-decreasing,
//    counts are clamped to [0, C]. What such inputs produce is unspecified.
//
//===----------------------------------------------------------------------===//

#ifndef MOE_REFERENCE_REFERENCE_H
#define MOE_REFERENCE_REFERENCE_H

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace moe::ref {

//===----------------------------------------------------------------------===//
// Tensors
//===----------------------------------------------------------------------===//

/// A dense row-major tensor: `data.size()` is the product of `shape`.
/// An aggregate, so `Tensor{{2, 3}, {1, 2, 3, 4, 5, 6}}` builds a 2x3 matrix.
template <typename T> struct TensorOf {
  std::vector<int64_t> shape;
  std::vector<T> data;

  /// A tensor of the given shape filled with zeros.
  static TensorOf zeros(std::vector<int64_t> shape) {
    TensorOf t{std::move(shape), {}};
    t.data.assign(static_cast<size_t>(numElements(t.shape)), T(0));
    return t;
  }

  /// The product of `shape` (1 for rank 0); 0 if any extent is negative.
  static int64_t numElements(const std::vector<int64_t> &shape) {
    int64_t n = 1;
    for (int64_t d : shape)
      n = d < 0 ? 0 : n * d;
    return n;
  }

  int64_t rank() const { return static_cast<int64_t>(shape.size()); }
  int64_t dim(size_t i) const { return shape[i]; }
  int64_t numel() const { return static_cast<int64_t>(data.size()); }

  /// True when every extent is non-negative and `data` holds exactly the
  /// product of `shape` elements.
  bool wellFormed() const {
    for (int64_t d : shape)
      if (d < 0)
        return false;
    return static_cast<int64_t>(data.size()) == numElements(shape);
  }

  /// Row i of a tensor of rank >= 1: the `numel() / dim(0)` elements that
  /// share leading index i.
  const T *row(int64_t i) const { return data.data() + i * rowSize(); }
  T *row(int64_t i) { return data.data() + i * rowSize(); }

  /// Element (i, j) of a rank-2 tensor.
  const T &at(int64_t i, int64_t j) const { return data[index(i, j)]; }
  T &at(int64_t i, int64_t j) { return data[index(i, j)]; }

private:
  size_t index(int64_t i, int64_t j) const {
    return static_cast<size_t>(i * shape[1] + j);
  }
  int64_t rowSize() const {
    return shape.empty() || shape[0] == 0 ? 0 : numel() / shape[0];
  }
};

/// Activations, weights, logits and routing weights.
using Tensor = TensorOf<float>;
/// Expert ids [T, K] (i32 like every index in the ops).
using IndexTensor = TensorOf<int32_t>;

//===----------------------------------------------------------------------===//
// Element types
//===----------------------------------------------------------------------===//

enum class DType { F32, F16, BF16 };

/// `x` rounded to the nearest value of `type`, ties to even; identity for F32.
/// f16: values past the largest finite f16 (65504) by half an ulp or more
/// become +-inf, small values become f16 subnormals or (signed) zero; NaN stays
/// NaN. bf16: NaN stays NaN, overflow gives +-inf.
float roundTo(DType type, float x);

/// Rounds every element of `t` in place (see roundTo).
void roundAll(DType type, Tensor &t);

/// IEEE binary16 bits of `x` rounded to nearest even (quiet NaN for NaN).
uint16_t toF16Bits(float x);
/// The float whose value is the binary16 `bits` (exact).
float fromF16Bits(uint16_t bits);
/// bfloat16 bits of `x` rounded to nearest even (quiet NaN for NaN).
uint16_t toBF16Bits(float x);
/// The float whose value is the bfloat16 `bits` (exact).
float fromBF16Bits(uint16_t bits);

//===----------------------------------------------------------------------===//
// Attribute enums and their names (the spellings used in the IR and the CLIs)
//===----------------------------------------------------------------------===//

/// moe.route `scoring`: softmax | sigmoid.
enum class Scoring { Softmax, Sigmoid };
/// grouped_gemm `activation`: none | relu | silu | gelu | gelu_tanh.
enum class Activation { None, Relu, Silu, Gelu, GeluTanh };
/// grouped_gemm `weight_layout`: eio ([E, In, Out]) | eoi ([E, Out, In]).
/// Named like the dialect's enum cases (EIO itself is an errno macro).
enum class WeightLayout { ExpertInOut, ExpertOutIn };

/// f32 | f16 | bf16.
const char *toString(DType type);
const char *toString(Scoring scoring);
const char *toString(Activation activation);
const char *toString(WeightLayout layout);

/// The enum named `name` (exact, lower-case spelling), or nullopt.
std::optional<DType> parseDType(std::string_view name);
std::optional<Scoring> parseScoring(std::string_view name);
std::optional<Activation> parseActivation(std::string_view name);
std::optional<WeightLayout> parseWeightLayout(std::string_view name);

/// The activation function in f32: relu max(x, 0); silu x / (1 + exp(-x));
/// gelu 0.5 x (1 + erf(x / sqrt 2));
/// gelu_tanh 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))).
float activate(Activation activation, float x);

//===----------------------------------------------------------------------===//
// moe.route (DESIGN.md §4.1)
//===----------------------------------------------------------------------===//

/// The attributes of moe.route.
struct RouteOptions {
  int64_t k = 1; ///< experts per token, 1 <= k <= E
  Scoring scoring = Scoring::Softmax;
  bool renormalize = false; ///< divide weights by their sum
  float scaling = 1.0f;     ///< final weight multiplier
  int64_t groups = 1;       ///< G, divides E
  int64_t groupTopk = 1;    ///< groups kept, 1 <= groupTopk <= G
};

struct RouteResult {
  IndexTensor ids; ///< [T, K] chosen experts, best first
  Tensor weights;  ///< [T, K] f32 routing weights
};

/// moe.route: top-k gating of `logits` [T, E] with an optional correction
/// `bias` [E] (nullptr when absent).
///
/// Per token: scores s = softmax(row) (max-subtracted) or sigmoid(row);
/// selection scores c = s + bias. With groups > 1, a group's score is the sum
/// of its two largest c when a bias is given (its only c for one-expert
/// groups), else its largest c; the groupTopk best groups are kept (ties: lower
/// group index). The k largest c among kept experts are chosen in descending
/// order (ties: lower expert index). Weight = s of the chosen expert (never
/// the bias); with renormalize, divided by the sum of the k weights (a zero
/// sum gives 1/k each); then multiplied by scaling.
RouteResult route(const Tensor &logits, const Tensor *bias,
                  const RouteOptions &options);

//===----------------------------------------------------------------------===//
// moe.permute and moe.dispatch (DESIGN.md §4.2, §4.3)
//===----------------------------------------------------------------------===//

struct PermuteResult {
  Tensor xp;                    ///< [N, H], xp[i] = x[rows[i] / K]
  std::vector<int32_t> offsets; ///< [E + 1] CSR, offsets[E] = N
  std::vector<int32_t> rows;    ///< [N] the pair p = t*K + k held by row i
};

/// moe.permute: x [T, H], ids [T, K] -> the N = T*K pairs in a stable counting
/// sort by expert (experts ascending, pair index ascending within an expert).
PermuteResult permute(const Tensor &x, const IndexTensor &ids,
                      int64_t numExperts);

struct DispatchResult {
  Tensor xp;                   ///< [E*C, H], row e*C + j: expert e's pair j
  std::vector<int32_t> counts; ///< [E] pairs kept per expert, <= C
  std::vector<int32_t> rows;   ///< [E*C] pair held by each row, -1 when unused
};

/// moe.dispatch: x [T, H], ids [T, K] -> the padded [E, C] layout. Pairs are
/// taken in pair order and each expert keeps its first `capacity` pairs
/// (Switch/GShard token dropping). Unused rows are zero in xp and -1 in rows.
DispatchResult dispatch(const Tensor &x, const IndexTensor &ids,
                        int64_t numExperts, int64_t capacity);

/// The capacity moe.layer uses for `capacity_factor`:
/// max(1, ceil((factor * numPairs) / numExperts)), evaluated in double in
/// exactly that order. Capacity must be >= 1, hence the clamp.
int64_t capacityFromFactor(double factor, int64_t numPairs, int64_t numExperts);

//===----------------------------------------------------------------------===//
// moe.grouped_gemm (DESIGN.md §4.4)
//===----------------------------------------------------------------------===//

/// Which rows of a grouped GEMM belong to which expert.
struct Segments {
  enum class Kind {
    /// CSR [E + 1]: rows offsets[e] .. offsets[e+1]-1 belong to expert e.
    Offsets,
    /// [E], the padded layout of moe.dispatch: C = M / E, and row e*C + j
    /// belongs to expert e iff j < counts[e].
    Counts,
  };
  Kind kind = Kind::Offsets;
  std::vector<int32_t> values;

  static Segments fromOffsets(std::vector<int32_t> offsets) {
    return {Kind::Offsets, std::move(offsets)};
  }
  static Segments fromCounts(std::vector<int32_t> counts) {
    return {Kind::Counts, std::move(counts)};
  }
  /// E as implied by the segments.
  int64_t numExperts() const {
    int64_t n = static_cast<int64_t>(values.size());
    return kind == Kind::Offsets ? n - 1 : n;
  }
};

/// The attributes of moe.grouped_gemm.
struct GemmAttrs {
  Activation activation = Activation::None;
  /// Out = 2I, weight columns [gate | up]: y = act(gate) * up, width I.
  bool gated = false;
  WeightLayout layout = WeightLayout::ExpertInOut;
  /// The dtype of x and of the result (weights are assumed to hold values of
  /// the same dtype); the result is rounded to it once, at the end.
  DType dtype = DType::F32;
};

/// Fused gather operand: row r of the GEMM input reads token x[rows[r] / k];
/// a row with rows[r] == -1 reads a zero row (as the unused rows of dispatch's
/// materialized xp are zero).
struct Gather {
  std::vector<int32_t> rows; ///< [M]
  int64_t k = 1;             ///< K of the routing
};

/// Fused combine operand: the op returns unpermute(y, rows, weights) [T, Out'].
struct Combine {
  std::vector<int32_t> rows; ///< [M] pair held by each row, -1 when none
  Tensor weights;            ///< [T, K] routing weights
};

/// moe.grouped_gemm: one GEMM per expert over its rows.
///
///  x        [M, In], or the token matrix [T, In] when `gather` is given
///           (then M = gather->rows.size());
///  w        [E, In, Out] (EIO) or [E, Out, In] (EOI);
///  segments offsets [E + 1] or counts [E] (then M must be a multiple of E);
///  bias     [E, Out] or nullptr, added in f32 before the activation.
///
/// Row r of expert e: acc = x[r] . W_e (over k = 0..In-1 in order) + b_e;
/// y[r] = act(acc) or, gated, act(acc[0..I)) * acc[I..2I). Rows owned by no
/// expert are zero. y is rounded to attrs.dtype. Returns y [M, Out'] with
/// Out' = Out (I when gated), or with `combine` the fused combine
/// [T, Out'] = unpermute(y, combine->rows, combine->weights, attrs.dtype),
/// which weights the already rounded y exactly as the unfused pair would.
Tensor groupedGemm(const Tensor &x, const Tensor &w, const Segments &segments,
                   const Tensor *bias, const GemmAttrs &attrs,
                   const Gather *gather = nullptr,
                   const Combine *combine = nullptr);

//===----------------------------------------------------------------------===//
// moe.unpermute (DESIGN.md §4.5) and moe.balance_loss (§4.7)
//===----------------------------------------------------------------------===//

/// moe.unpermute: y [M, H], rows [M] (pair held by each row, -1 for an empty
/// row), weights [T, K] -> out [T, H] with
/// out[t] = sum over k = 0..K-1 of weights[t, k] * y[row holding pair t*K+k],
/// accumulated in f32 and rounded to `dtype` at the end. A pair held by no row
/// (dropped by dispatch) contributes zero; if several rows claim one pair, the
/// first holds it.
Tensor unpermute(const Tensor &y, const std::vector<int32_t> &rows,
                 const Tensor &weights, DType dtype = DType::F32);

/// moe.balance_loss: logits [T, E], ids [T, K] -> E * sum_e f_e * P_e, with
/// f_e = (pairs routed to e) / (T*K) and P_e the mean over tokens of
/// softmax(logits row)_e (Switch Transformer). T = 0 gives 0.
float balanceLoss(const Tensor &logits, const IndexTensor &ids);

//===----------------------------------------------------------------------===//
// moe.layer (DESIGN.md §4.6)
//===----------------------------------------------------------------------===//

/// The weights of one MoE block, by pointer so the (often large) tensors are
/// not copied; optional ones are nullptr when absent. I and SI are the routed
/// and the shared expert's intermediate sizes; I2 = 2I when gated, else I
/// (SI2 likewise).
struct LayerWeights {
  /// [H, E] in every layout.
  const Tensor *routerW = nullptr;
  /// [E] route correction bias; optional.
  const Tensor *routerBias = nullptr;
  /// EIO [E, H, I2]; EOI [E, I2, H].
  const Tensor *wGateUp = nullptr;
  /// EIO [E, I, H]; EOI [E, H, I].
  const Tensor *wDown = nullptr;
  /// Shared expert: EIO [H, SI2]; EOI [SI2, H]; optional.
  const Tensor *sharedGateUp = nullptr;
  /// Shared expert: EIO [SI, H]; EOI [H, SI]; given iff sharedGateUp is.
  const Tensor *sharedDown = nullptr;
};

/// The attributes of moe.layer.
struct LayerOptions {
  RouteOptions route;
  Activation activation = Activation::Silu;
  bool gated = true;
  WeightLayout layout = WeightLayout::ExpertInOut;
  /// When set, dispatch with capacityFromFactor(factor, T*K, E) instead of
  /// the dropless permute.
  std::optional<double> capacityFactor;
  /// The dtype of x, of the weights and of the result.
  DType dtype = DType::F32;
};

/// moe.layer on x [T, H] -> [T, H]:
///   logits = x . routerW (f32, not rounded); route(logits, routerBias);
///   permute, or dispatch when a capacity factor is given;
///   h = groupedGemm(xp, wGateUp, activation, gated)  (rounded to dtype);
///   y = groupedGemm(h, wDown, none)                 (rounded to dtype);
///   routed = unpermute(y)                           (rounded to dtype).
/// With a shared expert (same activation and gating):
///   hs = round(act(x . Sgate) * (x . Sup))  (not gated: round(act(x . Sup)));
///   s = hs . Sdown in f32 (not rounded); out = round(routed + s).
/// Without one, out = routed.
Tensor layer(const Tensor &x, const LayerWeights &weights,
             const LayerOptions &options);

//===----------------------------------------------------------------------===//
// Runtime contracts (DESIGN.md §4)
//
// Each returns "" when the contract holds, else one line naming the op, the
// contract, the tensor and the first offending position, e.g.
//   moe.permute: runtime contract 0 <= ids < num_experts violated:
//   ids[3, 1] = 9 (num_experts = 8)
// `op` is the op name the message starts with (e.g. "moe.permute").
//===----------------------------------------------------------------------===//

/// The kinds of runtime contract a compiled module checks; the spelling in an
/// artifact manifest (docs/abi.md) is the snake_case name in the comment.
enum class ContractKind {
  IdsRange,        ///< ids_range:        0 <= ids < num_experts
  OffsetsStart,    ///< offsets_start:    offsets[0] == 0
  OffsetsMonotone, ///< offsets_monotone: offsets never decrease
  OffsetsEnd,      ///< offsets_end:      offsets[E] <= M
  CountsRange,     ///< counts_range:     0 <= counts <= capacity
  Finite,          ///< finite:           logits finite
  Capacity,        ///< capacity:         capacity >= 1
  RowsRange,       ///< rows_range:       -1 <= rows < N
  Shape,           ///< shape:            a shape relation (moe-check-shapes)
};

/// The manifest spelling of `kind` ("ids_range", ...).
const char *toString(ContractKind kind);
/// The kind spelled `name` in a manifest (exact), or nullopt.
std::optional<ContractKind> parseContractKind(std::string_view name);

/// The one-line message of a violated runtime contract, as docs/abi.md's
/// table spells it:
///   <op>: runtime contract <contract> violated: <position> = <value>
///   [(<context>)]
/// `tensor` is the tensor's name; it appears in the contract text where the
/// table shows the tensor (e.g. "logits finite", "-1 <= rows < N") and in the
/// position, which is `tensor[i, j]`, `tensor[i]` when j is -1, or `tensor`
/// when both are -1. `value` is the offending integer; for Finite it is the bit
/// pattern of the f32 value (its low 32 bits), printed as a float ("nan",
/// "inf", "-inf" spelled the same everywhere). `context` is the kind's context
/// value (num_experts, the previous offset, M, capacity or N); it is ignored by
/// the kinds that have none (offsets_start, finite, capacity). For
/// OffsetsMonotone the context names `tensor[i-1]`.
std::string formatViolation(std::string_view op, ContractKind kind,
                            std::string_view tensor, int64_t i, int64_t j,
                            int64_t value, int64_t context);

/// The message of a violated shape relation, e.g.
///   moe.permute: runtime contract ids dim 0 == x dim 0 violated:
///   ids dim 0 = 4 (x dim 0 = 3)
/// `bound` names the size the subject was held against, or is empty when
/// that is a number (then the contract text already shows it).
std::string formatShapeViolation(std::string_view op, std::string_view contract,
                                 std::string_view subject,
                                 std::string_view bound, int64_t size,
                                 int64_t boundSize);

/// 0 <= ids < numExperts, for moe.permute and moe.dispatch.
std::string checkIds(std::string_view op, const IndexTensor &ids,
                     int64_t numExperts);

/// CSR offsets of a grouped GEMM over `numRows` rows: offsets[0] == 0, then
/// offsets never decrease, then offsets[E] <= numRows (checked in that order;
/// the message says which failed and where).
std::string checkOffsets(std::string_view op,
                         const std::vector<int32_t> &offsets, int64_t numRows);

/// 0 <= counts[e] <= capacity for the padded layout.
std::string checkCounts(std::string_view op, const std::vector<int32_t> &counts,
                        int64_t capacity);

/// Every element of `t` is finite; `name` is the tensor's name in the message.
std::string checkFinite(std::string_view op, const Tensor &t,
                        std::string_view name = "logits");

/// capacity >= 1.
std::string checkCapacity(std::string_view op, int64_t capacity);

/// -1 <= rows[r] < numPairs for the rows operand of gather, combine and
/// unpermute (not a DESIGN.md contract; rows made by permute/dispatch always
/// satisfy it, so this guards rows that come from elsewhere).
std::string checkRows(std::string_view op, const std::vector<int32_t> &rows,
                      int64_t numPairs, std::string_view name = "rows");

} // namespace moe::ref

#endif // MOE_REFERENCE_REFERENCE_H
