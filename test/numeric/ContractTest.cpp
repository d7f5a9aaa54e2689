//===- ContractTest.cpp - runtime contracts through compiled code ---------===//
//
// Each violated contract returns MOE_ERROR_CONTRACT with the reference's
// message (contract, tensor, first offending position) and leaves the caller's
// output buffers byte for byte as they were.
//
//===----------------------------------------------------------------------===//
#include "NumericTestUtil.h"

#include <limits>

using namespace moe;
using namespace moe::numeric;

namespace {

/// An output buffer pre-filled with a sentinel byte pattern.
struct SentinelOutput {
  moe_dtype_t dtype;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;

  SentinelOutput(moe_dtype_t dtype, std::vector<int64_t> shape)
      : dtype(dtype), shape(std::move(shape)) {
    bytes.assign(size_t(ref::Tensor::numElements(this->shape)) *
                     moe_dtype_size(dtype),
                 0xAB);
  }
  moe_buffer_t buffer() {
    return {bytes.data(), dtype, int32_t(shape.size()), shape.data(), nullptr};
  }
  bool untouched() const {
    return std::all_of(bytes.begin(), bytes.end(),
                       [](uint8_t b) { return b == 0xAB; });
  }
};

/// Runs with caller-owned outputs; expects the contract `message`.
void expectViolation(moe_module_t module, std::vector<HostTensor> inputs,
                     std::vector<SentinelOutput> outputs,
                     const std::string &message) {
  ASSERT_FALSE(message.empty()) << "the reference sees no violation";
  std::vector<moe_buffer_t> in, out;
  for (HostTensor &t : inputs)
    in.push_back(t.buffer());
  for (SentinelOutput &o : outputs)
    out.push_back(o.buffer());
  moe_status_t status =
      moe_run(module, nullptr, in.data(), in.size(), out.data(), out.size());
  EXPECT_EQ(status, MOE_ERROR_CONTRACT);
  EXPECT_EQ(std::string(moe_last_error()), message);
  for (size_t i = 0; i < outputs.size(); ++i)
    EXPECT_TRUE(outputs[i].untouched()) << "output #" << i << " was written";
}

const char *kPermute = R"(
func.func @f(%x: tensor<?x3xf32>, %ids: tensor<?x2xi32>) -> (tensor<?x3xf32>, tensor<5xi32>, tensor<?xi32>) {
  %xp, %o, %r = moe.permute %x, %ids experts(4) : tensor<?x3xf32>, tensor<?x2xi32>
  return %xp, %o, %r : tensor<?x3xf32>, tensor<5xi32>, tensor<?xi32>
}
)";

std::vector<HostTensor> permuteInputs(std::vector<int32_t> ids) {
  std::mt19937 rng(1);
  return {floatTensor({4, 3}, ref::DType::F32, rng), intTensor({4, 2}, ids)};
}

std::vector<SentinelOutput> permuteOutputs() {
  return {SentinelOutput(MOE_DTYPE_F32, {8, 3}),
          SentinelOutput(MOE_DTYPE_I32, {5}), SentinelOutput(MOE_DTYPE_I32, {8})};
}

TEST(Contracts, PermuteIdsOutOfRange) {
  Module module = compileMlir(kPermute);
  ASSERT_TRUE(module);
  std::vector<int32_t> ids{0, 1, 2, 3, 9, 1, 0, 0};
  expectViolation(module.get(), permuteInputs(ids), permuteOutputs(),
                  ref::checkIds("moe.permute", ref::IndexTensor{{4, 2}, ids}, 4));
  // The same input is fine once the id is in range.
  ids[4] = 2;
  std::vector<HostTensor> inputs = permuteInputs(ids);
  RunResult result = run(module.get(), inputs);
  EXPECT_EQ(result.status, MOE_OK) << result.error;
}

TEST(Contracts, WithoutChecksABadIdStaysInBounds) {
  Module module = compileMlir(kPermute, /*checks=*/false);
  ASSERT_TRUE(module);
  std::vector<HostTensor> inputs =
      permuteInputs({0, -7, 2, 3, 1 << 30, 1, 0, 0});
  RunResult result = run(module.get(), inputs);
  EXPECT_EQ(result.status, MOE_OK) << result.error;
}

TEST(Contracts, DispatchAndBalanceLossIds) {
  Module dispatch = compileMlir(R"(
func.func @f(%x: tensor<?x3xf32>, %ids: tensor<?x2xi32>) -> (tensor<8x3xf32>, tensor<4xi32>, tensor<8xi32>) {
  %xp, %c, %r = moe.dispatch %x, %ids experts(4) capacity(2) : tensor<?x3xf32>, tensor<?x2xi32>
  return %xp, %c, %r : tensor<8x3xf32>, tensor<4xi32>, tensor<8xi32>
}
)");
  ASSERT_TRUE(dispatch);
  std::vector<int32_t> ids{0, 1, 2, -1, 3, 1, 0, 0};
  expectViolation(dispatch.get(), permuteInputs(ids),
                  {SentinelOutput(MOE_DTYPE_F32, {8, 3}),
                   SentinelOutput(MOE_DTYPE_I32, {4}),
                   SentinelOutput(MOE_DTYPE_I32, {8})},
                  ref::checkIds("moe.dispatch", ref::IndexTensor{{4, 2}, ids}, 4));

  Module loss = compileMlir(R"(
func.func @f(%l: tensor<?x4xf32>, %ids: tensor<?x2xi32>) -> tensor<f32> {
  %loss = moe.balance_loss %l, %ids : tensor<?x4xf32>, tensor<?x2xi32>
  return %loss : tensor<f32>
}
)");
  ASSERT_TRUE(loss);
  std::mt19937 rng(2);
  ids = {0, 1, 2, 3, 4, 1, 0, 0};
  expectViolation(
      loss.get(),
      {floatTensor({4, 4}, ref::DType::F32, rng), intTensor({4, 2}, ids)},
      {SentinelOutput(MOE_DTYPE_F32, {})},
      ref::checkIds("moe.balance_loss", ref::IndexTensor{{4, 2}, ids}, 4));
}

TEST(Contracts, RouteLogitsFinite) {
  Module module = compileMlir(R"(
func.func @f(%l: tensor<?x4xbf16>) -> (tensor<?x2xi32>, tensor<?x2xf32>) {
  %ids, %w = moe.route %l top_k(2) : tensor<?x4xbf16>
  return %ids, %w : tensor<?x2xi32>, tensor<?x2xf32>
}
)");
  ASSERT_TRUE(module);
  for (float bad : {std::numeric_limits<float>::quiet_NaN(),
                    -std::numeric_limits<float>::infinity()}) {
    std::mt19937 rng(3);
    HostTensor logits = floatTensor({3, 4}, ref::DType::BF16, rng);
    logits.floats[1 * 4 + 2] = bad;
    expectViolation(module.get(), {logits},
                    {SentinelOutput(MOE_DTYPE_I32, {3, 2}),
                     SentinelOutput(MOE_DTYPE_F32, {3, 2})},
                    ref::checkFinite("moe.route", toReference(logits)));
  }
}

TEST(Contracts, GroupedGemmOffsets) {
  Module module = compileMlir(R"(
func.func @f(%x: tensor<4x3xf32>, %w: tensor<4x3x2xf32>, %o: tensor<5xi32>) -> tensor<4x2xf32> {
  %y = moe.grouped_gemm %x, %w, offsets(%o) : tensor<4x3xf32>, tensor<4x3x2xf32>, tensor<5xi32>
  return %y : tensor<4x2xf32>
}
)");
  ASSERT_TRUE(module);
  for (std::vector<int32_t> offsets : {std::vector<int32_t>{1, 2, 3, 4, 4},
                                       std::vector<int32_t>{0, 3, 2, 4, 4},
                                       std::vector<int32_t>{0, 1, 2, 3, 9}}) {
    std::mt19937 rng(4);
    expectViolation(module.get(),
                    {floatTensor({4, 3}, ref::DType::F32, rng),
                     floatTensor({4, 3, 2}, ref::DType::F32, rng),
                     intTensor({5}, offsets)},
                    {SentinelOutput(MOE_DTYPE_F32, {4, 2})},
                    ref::checkOffsets("moe.grouped_gemm", offsets, 4));
  }
}

TEST(Contracts, GroupedGemmCountsAboveCapacity) {
  Module module = compileMlir(R"(
func.func @f(%x: tensor<8x3xf16>, %w: tensor<4x3x2xf16>, %c: tensor<4xi32>) -> tensor<8x2xf16> {
  %y = moe.grouped_gemm %x, %w, counts(%c) : tensor<8x3xf16>, tensor<4x3x2xf16>, tensor<4xi32>
  return %y : tensor<8x2xf16>
}
)");
  ASSERT_TRUE(module);
  std::mt19937 rng(5);
  std::vector<int32_t> counts{1, 3, 0, 2};
  expectViolation(module.get(),
                  {floatTensor({8, 3}, ref::DType::F16, rng),
                   floatTensor({4, 3, 2}, ref::DType::F16, rng),
                   intTensor({4}, counts)},
                  {SentinelOutput(MOE_DTYPE_F16, {8, 2})},
                  ref::checkCounts("moe.grouped_gemm", counts, 2));
}

TEST(Contracts, UnpermuteRowsOutOfRange) {
  Module module = compileMlir(R"(
func.func @f(%y: tensor<4x3xf32>, %rows: tensor<4xi32>, %w: tensor<?x2xf32>) -> tensor<?x3xf32> {
  %out = moe.unpermute %y, %rows, %w : tensor<4x3xf32>, tensor<4xi32>, tensor<?x2xf32>
  return %out : tensor<?x3xf32>
}
)");
  ASSERT_TRUE(module);
  std::mt19937 rng(6);
  std::vector<int32_t> rows{0, 5, -1, 2};
  expectViolation(module.get(),
                  {floatTensor({4, 3}, ref::DType::F32, rng),
                   intTensor({4}, rows),
                   floatTensor({2, 2}, ref::DType::F32, rng)},
                  {SentinelOutput(MOE_DTYPE_F32, {2, 3})},
                  ref::checkRows("moe.unpermute", rows, 4));
}

} // namespace
