//===- RuntimeArtifactTest.cpp - loading and running artifacts ------------===//
//
// Runs the hand-written artifact of RuntimeTestArtifact.c through the C API:
// the manifest, the calling convention (results struct, descriptors, status
// buffer), strided buffers, signature checks, contract violations and the
// freeing of results.
//
//===----------------------------------------------------------------------===//

#include "RuntimeTestUtil.h"

#include "moe/Reference/Reference.h"

#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <sys/wait.h>
#include <thread>

using namespace moe::runtime::test;

namespace {

class RuntimeArtifact : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_EQ(moe_load_artifact(context, MOE_TEST_ARTIFACT, module.out()),
              MOE_OK)
        << moe_last_error();
  }
  Context context;
  Module module;
};

std::string shapeOf(const moe_tensor_info_t &info) {
  std::string text = "[";
  for (int32_t i = 0; i < info.rank; ++i)
    text += (i ? ", " : "") + std::to_string(info.shape[i]);
  return text + "]";
}

uint16_t half(float x) { return moe::ref::toF16Bits(x); }

} // namespace

TEST_F(RuntimeArtifact, Introspection) {
  moe_module_info_t info = module.info();
  EXPECT_EQ(info.num_entries, 4u);
  EXPECT_STREQ(info.target, "cpu");
  EXPECT_STREQ(info.compiler, "hand-written test artifact");
  EXPECT_EQ(info.layer_spec, nullptr);
  EXPECT_EQ(info.checks, 1);
  EXPECT_EQ(info.cache_state, MOE_CACHE_NONE);
  EXPECT_EQ(module.state(), MOE_CACHE_NONE);
  EXPECT_GE(info.compile_time_ms, 0.0);
  EXPECT_NE(std::string(info.manifest).find("\"histogram\""), std::string::npos);

  const char *names[] = {"add", "histogram", "views", "bad_shape"};
  for (size_t e = 0; e < 4; ++e) {
    moe_entry_info_t entry;
    ASSERT_EQ(moe_module_entry(module, e, &entry), MOE_OK);
    EXPECT_STREQ(entry.name, names[e]);
    size_t index = 99;
    ASSERT_EQ(moe_module_find_entry(module, names[e], &index), MOE_OK);
    EXPECT_EQ(index, e);
  }
  moe_entry_info_t entry;
  ASSERT_EQ(moe_module_entry(module, 1, &entry), MOE_OK);
  EXPECT_EQ(entry.num_args, 1u);
  EXPECT_EQ(entry.num_results, 2u);

  moe_tensor_info_t tensor;
  ASSERT_EQ(moe_module_arg(module, 0, 1, &tensor), MOE_OK);
  EXPECT_STREQ(tensor.name, "b");
  EXPECT_EQ(tensor.dtype, MOE_DTYPE_F32);
  EXPECT_EQ(shapeOf(tensor), "[-1, 4]");
  ASSERT_EQ(moe_module_result(module, 1, 0, &tensor), MOE_OK);
  EXPECT_STREQ(tensor.name, "counts");
  EXPECT_EQ(tensor.dtype, MOE_DTYPE_I32);
  EXPECT_EQ(shapeOf(tensor), "[4]");
  ASSERT_EQ(moe_module_result(module, 1, 1, &tensor), MOE_OK);
  EXPECT_EQ(tensor.rank, 0);
  ASSERT_EQ(moe_module_result(module, 2, 3, &tensor), MOE_OK);
  EXPECT_STREQ(tensor.name, "transposed");
  EXPECT_EQ(tensor.dtype, MOE_DTYPE_F16);
  EXPECT_EQ(shapeOf(tensor), "[3, -1]");

  EXPECT_EQ(moe_module_entry(module, 4, &entry), MOE_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(moe_last_error(),
               "entry index 4 is out of range (the module has 4 entries)");
  EXPECT_EQ(moe_module_arg(module, 0, 2, &tensor), MOE_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(moe_last_error(),
               "argument index 2 is out of range (entry 'add' has 2 arguments)");
  size_t index;
  EXPECT_EQ(moe_module_find_entry(module, "mul", &index),
            MOE_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(moe_last_error(),
               "the module has no entry point 'mul' (it has: add, histogram, "
               "views, bad_shape)");
}

TEST_F(RuntimeArtifact, RunsAdd) { expectAddWorks(module, 5); }

TEST_F(RuntimeArtifact, RunsWithZeroTokens) {
  std::vector<int64_t> shape{0, 4};
  moe_buffer_t inputs[2] = {buffer(nullptr, MOE_DTYPE_F32, shape),
                            buffer(nullptr, MOE_DTYPE_F32, shape)};
  moe_buffer_t output = buffer(nullptr, MOE_DTYPE_F32, shape);
  EXPECT_EQ(moe_run(module, "add", inputs, 2, &output, 1), MOE_OK)
      << moe_last_error();
}

TEST_F(RuntimeArtifact, StridedInputsAndOutputs) {
  const int64_t rows = 3;
  // a: a [3, 4] window (columns 2..5) of a [3, 8] matrix.
  std::vector<float> wide(rows * 8);
  for (size_t i = 0; i < wide.size(); ++i)
    wide[i] = static_cast<float>(i);
  std::vector<int64_t> shape{rows, 4}, aStrides{8, 1};
  // b: the transpose of a [4, 3] matrix, so strides [1, 3].
  std::vector<float> bStorage(12);
  for (size_t i = 0; i < bStorage.size(); ++i)
    bStorage[i] = 100.0f * static_cast<float>(i);
  std::vector<int64_t> bStrides{1, 3};
  // sum: written transposed into a [4, 3] buffer, and every other element of
  // a larger buffer (strides [8, 2]) for a second run.
  std::vector<float> sumT(12, -7.0f);
  std::vector<int64_t> sumStrides{1, 3};

  moe_buffer_t inputs[2] = {
      buffer(wide.data() + 2, MOE_DTYPE_F32, shape, &aStrides),
      buffer(bStorage.data(), MOE_DTYPE_F32, shape, &bStrides)};
  moe_buffer_t output = buffer(sumT.data(), MOE_DTYPE_F32, shape, &sumStrides);
  ASSERT_EQ(moe_run(module, "add", inputs, 2, &output, 1), MOE_OK)
      << moe_last_error();
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < 4; ++j) {
      float a = wide[i * 8 + 2 + j];
      float b = bStorage[i + 3 * j];
      EXPECT_EQ(sumT[i + 3 * j], a + b) << i << ", " << j;
    }

  std::vector<float> spaced(rows * 8, -7.0f);
  std::vector<int64_t> spacedStrides{8, 2};
  output = buffer(spaced.data(), MOE_DTYPE_F32, shape, &spacedStrides);
  ASSERT_EQ(moe_run(module, "add", inputs, 2, &output, 1), MOE_OK)
      << moe_last_error();
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < 8; ++j) {
      float expected = j % 2 ? -7.0f
                             : wide[i * 8 + 2 + j / 2] + bStorage[i + 3 * (j / 2)];
      EXPECT_EQ(spaced[i * 8 + j], expected) << i << ", " << j;
    }
  // The caller's inputs are untouched.
  for (size_t i = 0; i < wide.size(); ++i)
    EXPECT_EQ(wide[i], static_cast<float>(i));
}

TEST_F(RuntimeArtifact, MultipleResultsAndRankZero) {
  std::vector<int64_t> shape{3, 2}, countsShape{4}, scalarShape{};
  std::vector<int32_t> ids{0, 1, 3, 3, 1, 3};
  std::vector<int32_t> counts(4, -1);
  int32_t total = -1;
  moe_buffer_t input = buffer(ids.data(), MOE_DTYPE_I32, shape);
  moe_buffer_t outputs[2] = {buffer(counts.data(), MOE_DTYPE_I32, countsShape),
                             buffer(&total, MOE_DTYPE_I32, scalarShape)};
  ASSERT_EQ(moe_run(module, "histogram", &input, 1, outputs, 2), MOE_OK)
      << moe_last_error();
  EXPECT_EQ(counts, (std::vector<int32_t>{1, 2, 0, 3}));
  EXPECT_EQ(total, 6);
}

TEST_F(RuntimeArtifact, AliasedAndStridedResults) {
  // views returns its argument, a fresh copy, the copy again, a transposed
  // view and an offset view of the copy: the runtime must honour the returned
  // strides and offsets, free the copy exactly once and never the argument.
  for (int64_t rows : {4, 1, 0}) {
    SCOPED_TRACE(rows);
    std::vector<int64_t> shape{rows, 3}, tShape{3, rows},
        sShape{rows > 0 ? rows - 1 : 0, 3};
    std::vector<uint16_t> x(static_cast<size_t>(rows * 3));
    for (size_t i = 0; i < x.size(); ++i)
      x[i] = half(static_cast<float>(i) + 0.5f);
    std::vector<uint16_t> same(x.size()), copy(x.size()), again(x.size()),
        transposed(x.size()), shifted(sShape[0] * 3);
    moe_buffer_t input = buffer(x.data(), MOE_DTYPE_F16, shape);
    moe_buffer_t outputs[5] = {
        buffer(same.data(), MOE_DTYPE_F16, shape),
        buffer(copy.data(), MOE_DTYPE_F16, shape),
        buffer(again.data(), MOE_DTYPE_F16, shape),
        buffer(transposed.data(), MOE_DTYPE_F16, tShape),
        buffer(shifted.data(), MOE_DTYPE_F16, sShape)};
    for (int repeat = 0; repeat < 50; ++repeat)
      ASSERT_EQ(moe_run(module, "views", &input, 1, outputs, 5), MOE_OK)
          << moe_last_error();
    EXPECT_EQ(same, x);
    EXPECT_EQ(copy, x);
    EXPECT_EQ(again, x);
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < 3; ++j)
        EXPECT_EQ(transposed[j * rows + i], x[i * 3 + j]);
    for (size_t i = 0; i < shifted.size(); ++i)
      EXPECT_EQ(shifted[i], x[i + 3]);
  }
}

TEST_F(RuntimeArtifact, RunAllocKeepsResults) {
  std::vector<int64_t> shape{2, 3};
  std::vector<uint16_t> x{half(1), half(2), half(3), half(4), half(5), half(6)};
  moe_buffer_t input = buffer(x.data(), MOE_DTYPE_F16, shape);
  moe_results_t results = nullptr;
  ASSERT_EQ(moe_run_alloc(module, "views", &input, 1, &results), MOE_OK)
      << moe_last_error();
  ASSERT_EQ(moe_results_count(results), 5u);
  moe_buffer_t view;
  ASSERT_EQ(moe_results_get(results, 3, &view), MOE_OK);
  EXPECT_EQ(view.dtype, MOE_DTYPE_F16);
  ASSERT_EQ(view.rank, 2);
  EXPECT_EQ(view.shape[0], 3);
  EXPECT_EQ(view.shape[1], 2);
  EXPECT_EQ(view.strides, nullptr);
  const uint16_t *t = static_cast<const uint16_t *>(view.data);
  EXPECT_EQ(std::vector<uint16_t>(t, t + 6),
            (std::vector<uint16_t>{half(1), half(4), half(2), half(5), half(3),
                                   half(6)}));
  ASSERT_EQ(moe_results_get(results, 4, &view), MOE_OK);
  EXPECT_EQ(view.shape[0], 1);
  const uint16_t *s = static_cast<const uint16_t *>(view.data);
  EXPECT_EQ(std::vector<uint16_t>(s, s + 3),
            (std::vector<uint16_t>{half(4), half(5), half(6)}));
  EXPECT_EQ(moe_results_get(results, 5, &view), MOE_ERROR_INVALID_ARGUMENT);
  moe_results_release(results);
  moe_results_release(nullptr);
}

TEST_F(RuntimeArtifact, SignatureMismatchesNameTheArgument) {
  std::vector<float> a(12), b(12), sum(12);
  std::vector<uint16_t> h(12);
  std::vector<int64_t> shape{3, 4}, wide{2, 6}, flat{12}, neg{-3, 4};
  moe_buffer_t out = buffer(sum.data(), MOE_DTYPE_F32, shape);
  auto run = [&](moe_buffer_t x, moe_buffer_t y) {
    moe_buffer_t inputs[2] = {x, y};
    return moe_run(module, "add", inputs, 2, &out, 1);
  };
  moe_buffer_t good = buffer(a.data(), MOE_DTYPE_F32, shape);

  EXPECT_EQ(run(good, buffer(h.data(), MOE_DTYPE_F16, shape)),
            MOE_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(moe_last_error(),
               "argument 'b' (#1) has dtype f16 but the module expects f32");
  EXPECT_EQ(run(buffer(a.data(), MOE_DTYPE_BF16, shape), good),
            MOE_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(moe_last_error(),
               "argument 'a' (#0) has dtype bf16 but the module expects f32");
  EXPECT_EQ(run(buffer(a.data(), MOE_DTYPE_F32, flat), good),
            MOE_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(moe_last_error(), "argument 'a' (#0) has rank 1 but the module "
                                 "expects rank 2 (shape [?, 4])");
  EXPECT_EQ(run(good, buffer(b.data(), MOE_DTYPE_F32, wide)),
            MOE_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(moe_last_error(),
               "argument 'b' (#1) has shape [2, 6] but the module expects "
               "[?, 4] (dim 1 is 6, not 4)");
  EXPECT_EQ(run(buffer(a.data(), MOE_DTYPE_F32, neg), good),
            MOE_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(moe_last_error(),
               "argument 'a' (#0) has a negative extent -3 in dim 0");
  EXPECT_EQ(run(buffer(nullptr, MOE_DTYPE_F32, shape), good),
            MOE_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(moe_last_error(),
               "argument 'a' (#0) has 12 elements but no data (NULL)");
  EXPECT_EQ(run(buffer(a.data(), static_cast<moe_dtype_t>(9), shape), good),
            MOE_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(moe_last_error(), "argument 'a' (#0) has an invalid dtype (9) "
                                 "but the module expects f32");

  moe_buffer_t inputs[3] = {good, good, good};
  EXPECT_EQ(moe_run(module, "add", inputs, 3, &out, 1),
            MOE_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(moe_last_error(),
               "entry 'add' takes 2 arguments but 3 inputs were given");
  EXPECT_EQ(moe_run(module, "add", inputs, 1, &out, 1),
            MOE_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(moe_last_error(),
               "entry 'add' takes 2 arguments but 1 input was given");
  EXPECT_EQ(moe_run(module, "add", inputs, 2, nullptr, 0),
            MOE_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(moe_last_error(),
               "entry 'add' has 1 result but 0 outputs were given");
  moe_buffer_t badOut = buffer(h.data(), MOE_DTYPE_F16, shape);
  EXPECT_EQ(moe_run(module, "add", inputs, 2, &badOut, 1),
            MOE_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(moe_last_error(),
               "output 'sum' (#0) has dtype f16 but the module expects f32");
  // Static extents of outputs are checked before the call.
  std::vector<int32_t> ids(6), counts(5);
  std::vector<int64_t> idShape{3, 2}, fiveShape{5}, scalar{};
  int32_t total = 0;
  moe_buffer_t idBuffer = buffer(ids.data(), MOE_DTYPE_I32, idShape);
  moe_buffer_t histogramOut[2] = {
      buffer(counts.data(), MOE_DTYPE_I32, fiveShape),
      buffer(&total, MOE_DTYPE_I32, scalar)};
  EXPECT_EQ(moe_run(module, "histogram", &idBuffer, 1, histogramOut, 2),
            MOE_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(moe_last_error(), "output 'counts' (#0) has shape [5] but the "
                                 "module expects [4] (dim 0 is 5, not 4)");
  // Several entries: NULL does not choose one.
  EXPECT_EQ(moe_run(module, nullptr, inputs, 2, &out, 1),
            MOE_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(moe_last_error(), "the module has 4 entry points (add, "
                                 "histogram, views, bad_shape): name the one "
                                 "to run");
  EXPECT_EQ(moe_run(nullptr, "add", inputs, 2, &out, 1),
            MOE_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(moe_last_error(), "module is NULL");
}

TEST_F(RuntimeArtifact, ShapesWhoseByteSizeOverflowsAreRefused) {
  // Extents that each fit, but whose element count or size in bytes
  // overflows int64: a wrapped size would stage a tiny copy of a huge
  // tensor. No data is touched, so none is allocated.
  std::vector<float> a(12), sum(12);
  std::vector<int64_t> shape{3, 4};
  moe_buffer_t good = buffer(a.data(), MOE_DTYPE_F32, shape);
  moe_buffer_t out = buffer(sum.data(), MOE_DTYPE_F32, shape);
  // 2^63 elements; 2^62 elements (2^64 bytes); 2^61 elements (2^63 bytes,
  // one more than INT64_MAX).
  for (int64_t rows : {int64_t(1) << 61, int64_t(1) << 60, int64_t(1) << 59}) {
    std::vector<int64_t> hugeShape{rows, 4};
    moe_buffer_t inputs[2] = {buffer(a.data(), MOE_DTYPE_F32, hugeShape),
                              good};
    EXPECT_EQ(moe_run(module, "add", inputs, 2, &out, 1),
              MOE_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(std::string(moe_last_error()),
              "argument 'a' (#0) has shape [" + std::to_string(rows) +
                  ", 4], whose size in bytes (f32) overflows a 64-bit integer");
  }
  // An output too, before the call.
  std::vector<int64_t> hugeRows{int64_t(1) << 62, 4};
  moe_buffer_t inputs[2] = {good, good};
  moe_buffer_t hugeOut = buffer(sum.data(), MOE_DTYPE_F32, hugeRows);
  EXPECT_EQ(moe_run(module, "add", inputs, 2, &hugeOut, 1),
            MOE_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(std::string(moe_last_error()),
            "output 'sum' (#0) has shape [4611686018427387904, 4], whose size "
            "in bytes (f32) overflows a 64-bit integer");
}

TEST_F(RuntimeArtifact, ReturnedShapeMustMatchTheOutput) {
  std::vector<float> x(8, 1.0f);
  std::vector<float> y(8, 42.0f);
  std::vector<int64_t> shape{2, 4};
  moe_buffer_t input = buffer(x.data(), MOE_DTYPE_F32, shape);
  moe_buffer_t output = buffer(y.data(), MOE_DTYPE_F32, shape);
  EXPECT_EQ(moe_run(module, "bad_shape", &input, 1, &output, 1),
            MOE_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(moe_last_error(), "output 'y' (#0) has shape [2, 4] but the "
                                 "module returned shape [3, 4]");
  EXPECT_EQ(y, std::vector<float>(8, 42.0f));
}

TEST_F(RuntimeArtifact, ContractViolationLeavesOutputsUntouched) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<int64_t> shape{3, 4};
  std::vector<float> a(12, 1.0f), b(12, 2.0f);
  a[1 * 4 + 2] = nan;
  a[2 * 4 + 0] = std::numeric_limits<float>::infinity();
  std::vector<unsigned char> sum(12 * sizeof(float), 0xab);
  moe_buffer_t inputs[2] = {buffer(a.data(), MOE_DTYPE_F32, shape),
                            buffer(b.data(), MOE_DTYPE_F32, shape)};
  moe_buffer_t output = buffer(sum.data(), MOE_DTYPE_F32, shape);
  EXPECT_EQ(moe_run(module, "add", inputs, 2, &output, 1), MOE_ERROR_CONTRACT);
  EXPECT_STREQ(moe_last_error(), "moe.route: runtime contract logits finite "
                                 "violated: logits[1, 2] = nan");
  EXPECT_EQ(sum, std::vector<unsigned char>(sum.size(), 0xab));

  a[1 * 4 + 2] = 0.0f;
  EXPECT_EQ(moe_run(module, "add", inputs, 2, &output, 1), MOE_ERROR_CONTRACT);
  EXPECT_STREQ(moe_last_error(), "moe.route: runtime contract logits finite "
                                 "violated: logits[2, 0] = inf");
  EXPECT_EQ(sum, std::vector<unsigned char>(sum.size(), 0xab));

  // A negative id: the message the reference's checkIds prints, verbatim.
  std::vector<int32_t> ids{0, 1, 2, 3, 3, -1};
  std::vector<int64_t> idShape{3, 2}, countsShape{4}, scalar{};
  std::vector<int32_t> counts(4, 77);
  int32_t total = 77;
  moe_buffer_t idBuffer = buffer(ids.data(), MOE_DTYPE_I32, idShape);
  moe_buffer_t outputs[2] = {buffer(counts.data(), MOE_DTYPE_I32, countsShape),
                             buffer(&total, MOE_DTYPE_I32, scalar)};
  EXPECT_EQ(moe_run(module, "histogram", &idBuffer, 1, outputs, 2),
            MOE_ERROR_CONTRACT);
  moe::ref::IndexTensor reference{{3, 2}, ids};
  EXPECT_EQ(std::string(moe_last_error()),
            moe::ref::checkIds("moe.permute", reference, 4));
  EXPECT_STREQ(moe_last_error(), "moe.permute: runtime contract 0 <= ids < "
                                 "num_experts violated: ids[2, 1] = -1 "
                                 "(num_experts = 4)");
  EXPECT_EQ(counts, std::vector<int32_t>(4, 77));
  EXPECT_EQ(total, 77);
  // moe_run_alloc reports the same and returns no results.
  moe_results_t results = reinterpret_cast<moe_results_t>(0x1);
  EXPECT_EQ(moe_run_alloc(module, "histogram", &idBuffer, 1, &results),
            MOE_ERROR_CONTRACT);
  EXPECT_EQ(results, nullptr);
}

TEST_F(RuntimeArtifact, ConcurrentRunsOnOneModule) {
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      const int64_t rows = 1 + t;
      std::vector<int64_t> shape{rows, 4};
      std::vector<float> a(rows * 4), b(rows * 4), sum(rows * 4);
      for (int repeat = 0; repeat < 200; ++repeat) {
        for (size_t i = 0; i < a.size(); ++i) {
          a[i] = static_cast<float>(t * 1000 + repeat);
          b[i] = static_cast<float>(i);
        }
        moe_buffer_t inputs[2] = {buffer(a.data(), MOE_DTYPE_F32, shape),
                                  buffer(b.data(), MOE_DTYPE_F32, shape)};
        moe_buffer_t output = buffer(sum.data(), MOE_DTYPE_F32, shape);
        if (moe_run(module, "add", inputs, 2, &output, 1) != MOE_OK) {
          ++failures;
          continue;
        }
        for (size_t i = 0; i < a.size(); ++i)
          if (sum[i] != a[i] + b[i])
            ++failures;
      }
    });
  for (std::thread &thread : threads)
    thread.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST_F(RuntimeArtifact, ModuleOutlivesItsContext) {
  Module other;
  {
    Context short_lived;
    ASSERT_EQ(moe_load_artifact(short_lived, MOE_TEST_ARTIFACT, other.out()),
              MOE_OK)
        << moe_last_error();
  }
  expectAddWorks(other);
}

//===----------------------------------------------------------------------===//
// Invalid artifacts and reloading
//===----------------------------------------------------------------------===//

TEST(RuntimeArtifactFiles, InvalidFilesAreClearErrors) {
  Context context;
  TempDir dir;
  Module module;
  std::string missing = dir.file("missing.so");
  EXPECT_EQ(moe_load_artifact(context, missing.c_str(), module.out()),
            MOE_ERROR_IO);
  EXPECT_EQ(std::string(moe_last_error()),
            "cannot open '" + missing + "': No such file or directory");
  EXPECT_EQ(module.get(), nullptr);

  std::string text = dir.file("text.so");
  writeBytes(text, "hello");
  EXPECT_EQ(moe_load_artifact(context, text.c_str(), module.out()),
            MOE_ERROR_IO);
  EXPECT_EQ(std::string(moe_last_error()),
            "cannot load '" + text +
                "': not a shared object (5 bytes, no ELF header)");

  // Truncated: an ELF header and nothing loadable after it.
  std::string truncated = dir.file("truncated.so");
  writeBytes(truncated, readBytes(MOE_TEST_ARTIFACT).substr(0, 200));
  EXPECT_EQ(moe_load_artifact(context, truncated.c_str(), module.out()),
            MOE_ERROR_IO);
  EXPECT_EQ(std::string(moe_last_error())
                .rfind("artifact '" + truncated +
                           "' is truncated or not a valid shared object: ",
                       0),
            0u)
      << moe_last_error();

  // A shared object that is not an artifact (the fake compiler).
  EXPECT_EQ(moe_load_artifact(context, MOE_FAKE_JIT, module.out()),
            MOE_ERROR_IO);
  EXPECT_EQ(std::string(moe_last_error()),
            std::string("'") + MOE_FAKE_JIT +
                "' is not a moe-mlir artifact: it exports no "
                "moe_artifact_manifest");

  // A manifest that is not JSON.
  std::string noJson = dir.file("nojson.so");
  std::string bytes = readBytes(MOE_TEST_ARTIFACT);
  size_t at = bytes.find("{\"format\": 2");
  ASSERT_NE(at, std::string::npos);
  bytes[at] = '[';
  writeBytes(noJson, bytes);
  EXPECT_EQ(moe_load_artifact(context, noJson.c_str(), module.out()),
            MOE_ERROR_IO);
  EXPECT_EQ(std::string(moe_last_error()),
            "'" + noJson + "': invalid artifact manifest: not valid JSON");

  // Another format version.
  bytes = readBytes(MOE_TEST_ARTIFACT);
  at = bytes.find("{\"format\": 2");
  bytes[at + 11] = '7';
  std::string format7 = dir.file("format7.so");
  writeBytes(format7, bytes);
  EXPECT_EQ(moe_load_artifact(context, format7.c_str(), module.out()),
            MOE_ERROR_IO);
  EXPECT_EQ(std::string(moe_last_error()),
            "'" + format7 + "': artifact manifest format 7 is not supported by "
                            "this runtime (it reads format 2)");

  // An entry whose symbol is missing.
  bytes = readBytes(MOE_TEST_ARTIFACT);
  at = bytes.find("\"symbol\": \"_mlir_ciface_views\"");
  ASSERT_NE(at, std::string::npos);
  bytes.replace(at + 24, 5, "vieww");
  std::string noSymbol = dir.file("nosymbol.so");
  writeBytes(noSymbol, bytes);
  EXPECT_EQ(moe_load_artifact(context, noSymbol.c_str(), module.out()),
            MOE_ERROR_IO);
  EXPECT_EQ(std::string(moe_last_error()),
            "'" + noSymbol + "' is not a valid artifact: entry 'views' has "
                             "no symbol '_mlir_ciface_vieww'");
}

TEST(RuntimeArtifactFiles, TruncatedArtifactsAreRefusedBeforeDlopen) {
  // Cut at any point, an artifact is refused with a message, never mapped:
  // dlopen() of one cut at half its size died of SIGSEGV. Each cut runs in a
  // child, so a crash fails the test instead of ending the run.
  TempDir dir;
  std::string whole = readBytes(MOE_TEST_ARTIFACT);
  for (size_t size : {whole.size() / 2, whole.size() - 1, size_t(64),
                      whole.size() * 3 / 4, size_t(4096)}) {
    SCOPED_TRACE(size);
    std::string path = dir.file("cut-" + std::to_string(size) + ".so");
    writeBytes(path, whole.substr(0, size));
    pid_t pid = fork();
    if (pid == 0) {
      Context context;
      Module module;
      moe_status_t status =
          moe_load_artifact(context, path.c_str(), module.out());
      std::string expected = "artifact '" + path +
                             "' is truncated or not a valid shared object: ";
      _exit(status == MOE_ERROR_IO &&
                    std::string(moe_last_error()).rfind(expected, 0) == 0
                ? 0
                : 1);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }
  // The message says where the file ends too.
  Context context;
  Module module;
  std::string half = dir.file("cut-" + std::to_string(whole.size() / 2) + ".so");
  EXPECT_EQ(moe_load_artifact(context, half.c_str(), module.out()),
            MOE_ERROR_IO);
  EXPECT_NE(std::string(moe_last_error())
                .find("but the file has " + std::to_string(whole.size() / 2)),
            std::string::npos)
      << moe_last_error();
}

TEST(RuntimeArtifactFiles, TargetMustMatchTheBackend) {
  Context context;
  TempDir dir;
  std::string bytes = readBytes(MOE_TEST_ARTIFACT);
  size_t at = bytes.find("\"target\": \"cpu\"");
  ASSERT_NE(at, std::string::npos);
  bytes.replace(at + 11, 3, "gpu");
  std::string path = dir.file("gpu.so");
  writeBytes(path, bytes);
  Module module;
  EXPECT_EQ(moe_load_artifact(context, path.c_str(), module.out()),
            MOE_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(std::string(moe_last_error()),
            "artifact '" + path + "' was compiled for target gpu; the cpu "
                                  "backend runs cpu artifacts");
}

TEST(RuntimeArtifactFiles, OverwrittenFileIsReallyReloaded) {
  // dlopen() of a path that is already loaded returns the loaded object even
  // when the file was replaced; the runtime loads private copies instead.
  Context context;
  TempDir dir;
  std::string path = dir.file("artifact.so");
  writeBytes(path, readBytes(MOE_TEST_ARTIFACT));
  Module first;
  ASSERT_EQ(moe_load_artifact(context, path.c_str(), first.out()), MOE_OK)
      << moe_last_error();
  EXPECT_STREQ(first.info().compiler, "hand-written test artifact");

  std::string bytes = readBytes(MOE_TEST_ARTIFACT);
  size_t at = bytes.find("hand-written test artifact");
  ASSERT_NE(at, std::string::npos);
  bytes.replace(at, 4, "HAND");
  std::string temp = dir.file("next.so");
  writeBytes(temp, bytes);
  ASSERT_EQ(rename(temp.c_str(), path.c_str()), 0);
  Module second;
  ASSERT_EQ(moe_load_artifact(context, path.c_str(), second.out()), MOE_OK)
      << moe_last_error();
  EXPECT_STREQ(second.info().compiler, "HAND-written test artifact");
  EXPECT_STREQ(first.info().compiler, "hand-written test artifact");
  expectAddWorks(first);
  expectAddWorks(second);
}
