//===- RuntimeMoeRunTest.cpp - moe-run and its .npy files -----------------===//
//
// Runs the moe-run binary on the hand-written artifact, through the fake
// compiler, and (when the real compiler library is built) on a real layer
// with --check. Also the .npy reader/writer and dtype conversions it uses.
//
//===----------------------------------------------------------------------===//

#include "RuntimeTestUtil.h"

#include "HostTensor.h"
#include "Npy.h"

#include "moe/Reference/Reference.h"

#include <cstdio>
#include <cstring>
#include <sstream>
#include <sys/wait.h>

using namespace moe::runtime::test;
using namespace moe::tools;

namespace {

struct ToolResult {
  int code = -1;
  std::string out, err;
};

/// Runs moe-run with `args` (shell words, already quoted where needed) and
/// `env` assignments ("NAME=value").
ToolResult moeRun(const std::string &args,
                  const std::vector<std::string> &env = {}) {
  TempDir io;
  std::string command = "env";
  for (const std::string &assignment : env)
    command += " '" + assignment + "'";
  command += std::string(" '") + MOE_RUN_TOOL + "' " + args + " >'" +
             io.file("out") + "' 2>'" + io.file("err") + "'";
  int status = std::system(command.c_str());
  ToolResult result;
  result.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = readBytes(io.file("out"));
  result.err = readBytes(io.file("err"));
  return result;
}

std::string quote(const std::string &path) { return "'" + path + "'"; }

void saveF32(const std::string &path, std::vector<int64_t> shape,
             const std::vector<float> &values) {
  NpyArray array;
  array.descr = "<f4";
  array.shape = std::move(shape);
  array.data.resize(values.size() * 4);
  if (!values.empty()) // data() may be null
    std::memcpy(array.data.data(), values.data(), array.data.size());
  std::string error;
  ASSERT_TRUE(writeNpy(path, array, error)) << error;
}

std::vector<float> loadF32(const std::string &path,
                           std::vector<int64_t> *shape = nullptr) {
  NpyArray array;
  std::string error;
  EXPECT_TRUE(readNpy(path, array, error)) << error;
  EXPECT_EQ(array.descr, "<f4");
  if (shape)
    *shape = array.shape;
  std::vector<float> values(array.data.size() / 4);
  if (!values.empty()) // data() may be null
    std::memcpy(values.data(), array.data.data(), values.size() * 4);
  return values;
}

} // namespace

//===----------------------------------------------------------------------===//
// .npy and conversions
//===----------------------------------------------------------------------===//

TEST(RuntimeNpy, RoundTripsEveryDType) {
  TempDir dir;
  std::vector<float> values{1.0f, -2.5f, 3.25f, 0.0f, 65504.0f, -0.125f};
  for (moe_dtype_t dtype :
       {MOE_DTYPE_F32, MOE_DTYPE_F16, MOE_DTYPE_BF16, MOE_DTYPE_I32}) {
    SCOPED_TRACE(moe_dtype_name(dtype));
    HostTensor tensor = HostTensor::fromFloats(dtype, {2, 3}, values);
    std::string path = dir.file(std::string(moe_dtype_name(dtype)) + ".npy");
    std::string error;
    ASSERT_TRUE(writeNpy(path, toNpy(tensor), error)) << error;
    NpyArray array;
    ASSERT_TRUE(readNpy(path, array, error)) << error;
    EXPECT_EQ(array.shape, (std::vector<int64_t>{2, 3}));
    const char *expected = dtype == MOE_DTYPE_F16   ? "<f2"
                           : dtype == MOE_DTYPE_I32 ? "<i4"
                                                    : "<f4"; // bf16 too
    EXPECT_EQ(array.descr, expected);
    HostTensor back;
    ASSERT_TRUE(fromNpy(array, dtype, back, error)) << error;
    EXPECT_EQ(back.bytes, tensor.bytes);
    // The header is padded to 64 bytes, as NumPy writes it.
    std::string bytes = readBytes(path);
    size_t headerLength = static_cast<unsigned char>(bytes[8]) |
                          (static_cast<unsigned char>(bytes[9]) << 8);
    EXPECT_EQ((10 + headerLength) % 64, 0u);
    EXPECT_EQ(bytes[10 + headerLength - 1], '\n');
  }
}

TEST(RuntimeNpy, ConvertsAndRounds) {
  NpyArray array;
  array.descr = "<f4";
  array.shape = {3};
  float values[3] = {1.0f + 0x1.0p-12f, 1.0f / 3.0f, -7.0f};
  array.data.assign(reinterpret_cast<char *>(values),
                    reinterpret_cast<char *>(values) + sizeof(values));
  std::string error;
  HostTensor half, brain;
  ASSERT_TRUE(fromNpy(array, MOE_DTYPE_F16, half, error)) << error;
  ASSERT_TRUE(fromNpy(array, MOE_DTYPE_BF16, brain, error)) << error;
  std::vector<float> h = half.toFloats(), b = brain.toFloats();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(h[i], moe::ref::roundTo(moe::ref::DType::F16, values[i]));
    EXPECT_EQ(b[i], moe::ref::roundTo(moe::ref::DType::BF16, values[i]));
  }
  // bf16 from raw bits.
  NpyArray bits;
  bits.descr = "<u2";
  bits.shape = {1};
  uint16_t one = moe::ref::toBF16Bits(1.5f);
  bits.data.assign(reinterpret_cast<char *>(&one),
                   reinterpret_cast<char *>(&one) + 2);
  ASSERT_TRUE(fromNpy(bits, MOE_DTYPE_BF16, brain, error)) << error;
  EXPECT_EQ(brain.toFloats()[0], 1.5f);
  // Not a float for a float argument; not an int for an int argument.
  EXPECT_FALSE(fromNpy(bits, MOE_DTYPE_F32, half, error));
  EXPECT_EQ(error, "the argument is f32 but the file holds <u2 (expected <f2, "
                   "<f4 or <f8)");
  EXPECT_FALSE(fromNpy(array, MOE_DTYPE_I32, half, error));
  EXPECT_EQ(error,
            "the argument is i32 but the file holds <f4 (expected <i4 or <i8)");
}

TEST(RuntimeNpy, ReadsVersion2AndRejectsWhatItCannotRead) {
  TempDir dir;
  std::string header = "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }";
  header.append((64 - (12 + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  std::string bytes = std::string("\x93NUMPY\x02\x00", 8);
  uint32_t length = static_cast<uint32_t>(header.size());
  bytes.append(reinterpret_cast<char *>(&length), 4);
  bytes += header;
  int32_t data[2] = {7, -9};
  bytes.append(reinterpret_cast<char *>(data), sizeof(data));
  std::string path = dir.file("v2.npy");
  writeBytes(path, bytes);
  NpyArray array;
  std::string error;
  ASSERT_TRUE(readNpy(path, array, error)) << error;
  EXPECT_EQ(array.shape, (std::vector<int64_t>{2}));
  HostTensor tensor;
  ASSERT_TRUE(fromNpy(array, MOE_DTYPE_I32, tensor, error)) << error;
  EXPECT_EQ(tensor.toFloats(), (std::vector<float>{7, -9}));

  std::string fortran = bytes;
  fortran.replace(fortran.find("False"), 5, "True ");
  writeBytes(path, fortran);
  EXPECT_FALSE(readNpy(path, array, error));
  EXPECT_NE(error.find("Fortran order"), std::string::npos) << error;

  writeBytes(path, bytes.substr(0, bytes.size() - 4));
  EXPECT_FALSE(readNpy(path, array, error));
  EXPECT_NE(error.find("holds 4 data bytes but its shape needs 8"),
            std::string::npos)
      << error;
  writeBytes(path, "not numpy at all");
  EXPECT_FALSE(readNpy(path, array, error));
  EXPECT_EQ(error, "'" + path + "' is not a .npy file");
}

namespace {

/// A version 1.0 .npy file with the header dict `dict` and `data`.
std::string rawNpy(const std::string &dict, const std::string &data = "") {
  std::string header = dict;
  header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  std::string bytes = std::string("\x93NUMPY\x01\x00", 8);
  bytes += static_cast<char>(header.size() & 0xff);
  bytes += static_cast<char>(header.size() >> 8);
  return bytes + header + data;
}

} // namespace

TEST(RuntimeNpy, HeadersWhoseSizesOverflowAreRefused) {
  TempDir dir;
  std::string path = dir.file("huge.npy");
  NpyArray array;
  std::string error;
  auto read = [&](const std::string &shape, const std::string &descr = "<f4") {
    writeBytes(path, rawNpy("{'descr': '" + descr +
                                "', 'fortran_order': False, 'shape': " +
                                shape + ", }",
                            std::string(64, '\0')));
    error.clear();
    return readNpy(path, array, error);
  };
  // An extent beyond int64 (std::stoll threw out_of_range).
  EXPECT_FALSE(read("(99999999999999999999,)"));
  EXPECT_EQ(error, "'" + path + "' has a malformed shape "
                   "(99999999999999999999,): extent 99999999999999999999 "
                   "does not fit in a 64-bit integer");
  // 2^62 elements of 4 bytes: 2^64 bytes wrapped to 0, passed the length
  // check, and the conversion then read far past the data (SIGSEGV).
  EXPECT_FALSE(read("(1152921504606846976, 4)"));
  EXPECT_EQ(error, "'" + path + "' has shape (1152921504606846976, 4) of <f4, "
                   "whose size in bytes overflows a 64-bit integer");
  // The element count itself overflows.
  EXPECT_FALSE(read("(4294967296, 4294967296)"));
  EXPECT_NE(error.find("overflows a 64-bit integer"), std::string::npos)
      << error;
  // A dtype size that is no size.
  EXPECT_FALSE(read("(4,)", "<f99999999999"));
  EXPECT_EQ(error, "'" + path + "' has an unsupported dtype <f99999999999");
  // In range: fine, and short data is still caught.
  EXPECT_TRUE(read("(16,)")) << error;
  EXPECT_FALSE(read("(17,)"));
  EXPECT_NE(error.find("holds 64 data bytes but its shape needs 68"),
            std::string::npos)
      << error;
}

TEST(RuntimeNpy, RandomValuesAreDeterministicAndBounded) {
  HostTensor a = HostTensor::zeros(MOE_DTYPE_F32, {64, 8});
  HostTensor b = a, c = a;
  fillRandom(a, 7, 1, 0.5f);
  fillRandom(b, 7, 1, 0.5f);
  fillRandom(c, 7, 2, 0.5f);
  EXPECT_EQ(a.bytes, b.bytes);
  EXPECT_NE(a.bytes, c.bytes);
  float lo = 1, hi = -1;
  for (float v : a.toFloats()) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  EXPECT_GE(lo, -0.5f);
  EXPECT_LT(hi, 0.5f);
  EXPECT_LT(lo, -0.4f);
  EXPECT_GT(hi, 0.4f);
  // Pinned: the same seed gives the same inputs on every build and platform
  // (splitmix64, no std:: distributions).
  EXPECT_EQ(a.toFloats()[0], 0.292243302f);
  EXPECT_EQ(a.toFloats()[1], -0.297765374f);
  HostTensor ids = HostTensor::zeros(MOE_DTYPE_I32, {4});
  fillRandom(ids, 7, 1, 1.0f);
  EXPECT_EQ(ids.toFloats(), std::vector<float>(4, 0.0f));
}

//===----------------------------------------------------------------------===//
// The tool
//===----------------------------------------------------------------------===//

TEST(RuntimeMoeRun, RunsAnArtifactWithNpyInputsAndOutputs) {
  TempDir dir;
  std::vector<float> a{1, 2, 3, 4, 5, 6, 7, 8}, b{10, 20, 30, 40, 50, 60, 70, 80};
  saveF32(dir.file("a.npy"), {2, 4}, a);
  saveF32(dir.file("b.npy"), {2, 4}, b);
  ToolResult result = moeRun(
      std::string("--artifact ") + MOE_TEST_ARTIFACT + " --entry add --input " +
          quote("a=@" + dir.file("a.npy")) + " --input " +
          quote("b=@" + dir.file("b.npy")) + " --output " +
          quote("sum=@" + dir.file("sum.npy")) + " --repeat 3",
      {"MOE_JIT_LIBRARY=/nonexistent/libmoe_jit.so"});
  ASSERT_EQ(result.code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("backend:      cpu"), std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("cache:        none (artifact loaded directly)"),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("(best of 3)"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("f32    [2, 4]"), std::string::npos) << result.out;
  std::vector<int64_t> shape;
  std::vector<float> sum = loadF32(dir.file("sum.npy"), &shape);
  EXPECT_EQ(shape, (std::vector<int64_t>{2, 4}));
  for (size_t i = 0; i < a.size(); ++i)
    EXPECT_EQ(sum[i], a[i] + b[i]);
}

TEST(RuntimeMoeRun, RandomInputsFollowTheSeed) {
  TempDir dir;
  auto run = [&](int seed, const std::string &name) {
    ToolResult result = moeRun(
        std::string("--artifact ") + MOE_TEST_ARTIFACT +
        " --entry add --tokens 5 --seed " + std::to_string(seed) +
        " --output " + quote("sum=@" + dir.file(name)));
    EXPECT_EQ(result.code, 0) << result.out << result.err;
    return loadF32(dir.file(name));
  };
  std::vector<float> first = run(1, "1.npy"), again = run(1, "1b.npy"),
                     other = run(2, "2.npy");
  EXPECT_EQ(first.size(), 20u);
  EXPECT_EQ(first, again);
  EXPECT_NE(first, other);
}

TEST(RuntimeMoeRun, ResultsOfUnknownShapeAndAliasing) {
  // views has a [3, ?] result; moe-run lets the runtime allocate results.
  TempDir dir;
  ToolResult result = moeRun(std::string("--artifact ") + MOE_TEST_ARTIFACT +
                             " --entry views --tokens 4 --output " +
                             quote("transposed=@" + dir.file("t.npy")));
  ASSERT_EQ(result.code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("transposed       f16    [3, 4]"),
            std::string::npos)
      << result.out;
  NpyArray array;
  std::string error;
  ASSERT_TRUE(readNpy(dir.file("t.npy"), array, error)) << error;
  EXPECT_EQ(array.descr, "<f2");
  EXPECT_EQ(array.shape, (std::vector<int64_t>{3, 4}));
}

TEST(RuntimeMoeRun, ErrorsAreClear) {
  TempDir dir;
  std::string artifact = std::string("--artifact ") + MOE_TEST_ARTIFACT;
  ToolResult result = moeRun(artifact);
  EXPECT_EQ(result.code, 1);
  EXPECT_NE(result.err.find("moe-run: error: the module has 4 entry points "
                            "(add, histogram, views, bad_shape): name the one "
                            "to run"),
            std::string::npos)
      << result.err;

  result = moeRun(artifact + " --entry add --check");
  EXPECT_EQ(result.code, 1);
  EXPECT_NE(result.err.find("--check compares a layer with the reference, but "
                            "this module is not a layer"),
            std::string::npos)
      << result.err;

  result = moeRun(artifact + " --entry add --input " +
                  quote("c=@" + dir.file("c.npy")));
  EXPECT_EQ(result.code, 1);
  EXPECT_NE(result.err.find("--input c: entry 'add' has no argument of that "
                            "name (it has: a, b)"),
            std::string::npos)
      << result.err;

  saveF32(dir.file("wide.npy"), {2, 5}, std::vector<float>(10, 1.0f));
  result = moeRun(artifact + " --entry add --input " +
                  quote("a=@" + dir.file("wide.npy")));
  EXPECT_EQ(result.code, 1);
  EXPECT_NE(result.err.find("has shape [2, 5] but the argument is f32[?, 4]"),
            std::string::npos)
      << result.err;

  result = moeRun(artifact + " --entry add --output " +
                  quote("total=@" + dir.file("t.npy")));
  EXPECT_EQ(result.code, 1);
  EXPECT_NE(result.err.find("--output total: entry 'add' has no result of "
                            "that name (it has: sum)"),
            std::string::npos)
      << result.err;
  EXPECT_EQ(result.out.find("run time"), std::string::npos) << result.out;

  result = moeRun("--layer experts=4,k=1,hidden=8,inter=4,dtype=f32 " +
                  artifact);
  EXPECT_EQ(result.code, 2);
  EXPECT_NE(result.err.find("give exactly one of"), std::string::npos)
      << result.err;

  result = moeRun(artifact + " --entry add --input a.npy");
  EXPECT_EQ(result.code, 2);
  EXPECT_NE(result.err.find("--input expects NAME=@FILE.npy, got 'a.npy'"),
            std::string::npos)
      << result.err;

  // Without a GPU the cuda backend says why it cannot start; with one, a
  // cpu artifact is refused.
  result = moeRun(artifact + " --backend cuda");
  EXPECT_EQ(result.code, 1);
  EXPECT_TRUE(result.err.find("the cuda backend cannot start") !=
                  std::string::npos ||
              result.err.find("was compiled for target cpu") !=
                  std::string::npos)
      << result.err;

  result = moeRun("--frobnicate");
  EXPECT_EQ(result.code, 2);
}

TEST(RuntimeMoeRun, AbsurdSizesAreRefusedBeforeAllocating) {
  // --tokens 4000000000000 died of std::bad_alloc, a .npy whose byte size
  // wraps of SIGSEGV: now each is a message naming the input and the size,
  // exit status 1, and nothing is allocated.
  TempDir dir;
  std::string artifact = std::string("--artifact ") + MOE_TEST_ARTIFACT;
  ToolResult result = moeRun(artifact + " --entry add --tokens 4000000000000");
  EXPECT_EQ(result.code, 1) << result.err;
  EXPECT_NE(result.err.find("moe-run: error: --tokens 4000000000000: argument "
                            "a f32[4000000000000, 4] needs 64000000000000 "
                            "bytes (64000000000000 for all buffers so far), "
                            "more than this machine's memory ("),
            std::string::npos)
      << result.err;

  result = moeRun(artifact + " --entry add --tokens 4611686018427387904");
  EXPECT_EQ(result.code, 1) << result.err;
  EXPECT_NE(result.err.find("moe-run: error: --tokens 4611686018427387904: "
                            "argument a f32[4611686018427387904, 4] has more "
                            "bytes than fit in 64 bits"),
            std::string::npos)
      << result.err;

  // Out of range is bad usage, not a silently saturated (or wrapped) value.
  result = moeRun(artifact + " --entry add --tokens 99999999999999999999");
  EXPECT_EQ(result.code, 2) << result.err;
  EXPECT_NE(result.err.find("moe-run: error: --tokens 99999999999999999999 is "
                            "not an integer in [0, 9223372036854775807]"),
            std::string::npos)
      << result.err;
  result = moeRun(artifact + " --entry add --tokens -5");
  EXPECT_EQ(result.code, 2) << result.err;
  EXPECT_NE(result.err.find("--tokens -5 is not an integer in [0, "),
            std::string::npos)
      << result.err;
  result = moeRun(artifact + " --entry add --seed -1");
  EXPECT_EQ(result.code, 2) << result.err;
  EXPECT_NE(result.err.find("--seed -1 is not an integer in [0, "
                            "18446744073709551615]"),
            std::string::npos)
      << result.err;

  std::string wraps = dir.file("wraps.npy");
  writeBytes(wraps, rawNpy("{'descr': '<f4', 'fortran_order': False, "
                           "'shape': (1152921504606846976, 4), }",
                           std::string(64, '\0')));
  result = moeRun(artifact + " --entry add --input " + quote("a=@" + wraps));
  EXPECT_EQ(result.code, 1) << result.err;
  EXPECT_NE(result.err.find("moe-run: error: --input a: '" + wraps +
                            "' has shape (1152921504606846976, 4) of <f4, "
                            "whose size in bytes overflows a 64-bit integer"),
            std::string::npos)
      << result.err;

  std::string huge = dir.file("huge.npy");
  writeBytes(huge, rawNpy("{'descr': '<f4', 'fortran_order': False, "
                          "'shape': (99999999999999999999, 4), }"));
  result = moeRun(artifact + " --entry add --input " + quote("a=@" + huge));
  EXPECT_EQ(result.code, 1) << result.err;
  EXPECT_NE(result.err.find("does not fit in a 64-bit integer"),
            std::string::npos)
      << result.err;
}

TEST(RuntimeMoeRun, ContractViolationsAreReported) {
  TempDir dir;
  std::vector<float> a(8, 1.0f);
  a[6] = std::numeric_limits<float>::infinity();
  saveF32(dir.file("a.npy"), {2, 4}, a);
  ToolResult result = moeRun(std::string("--artifact ") + MOE_TEST_ARTIFACT +
                             " --entry add --input " +
                             quote("a=@" + dir.file("a.npy")));
  EXPECT_EQ(result.code, 1);
  EXPECT_NE(result.err.find("moe-run: error: moe.route: runtime contract "
                            "logits finite violated: logits[1, 2] = inf"),
            std::string::npos)
      << result.err;
}

TEST(RuntimeMoeRun, CompilesThroughTheCacheAndNeedsNoCompilerForArtifacts) {
  TempDir dir;
  std::string mlir = dir.file("add.mlir");
  writeBytes(mlir, "func.func @add() // for the fake compiler");
  std::vector<std::string> env = {std::string("MOE_JIT_LIBRARY=") + MOE_FAKE_JIT,
                                  "MOE_CACHE_DIR=" + dir.file("cache")};
  ToolResult first = moeRun(quote(mlir), env);
  ASSERT_EQ(first.code, 0) << first.out << first.err;
  EXPECT_NE(first.out.find("cache:        compiled"), std::string::npos)
      << first.out;
  EXPECT_NE(first.out.find("compile time:"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("compiler:     fake-jit 1"), std::string::npos);
  ToolResult second = moeRun(quote(mlir), env);
  ASSERT_EQ(second.code, 0) << second.out << second.err;
  EXPECT_NE(second.out.find("cache:        disk"), std::string::npos)
      << second.out;
  ToolResult noCache = moeRun(quote(mlir) + " --no-disk-cache", env);
  EXPECT_NE(noCache.out.find("cache:        compiled"), std::string::npos)
      << noCache.out;

  ToolResult missing =
      moeRun(quote(mlir), {"MOE_JIT_LIBRARY=/nonexistent/libmoe_jit.so",
                           "MOE_CACHE_DIR=" + dir.file("other")});
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.err.find("compiling needs the compiler library "
                             "libmoe_jit.so"),
            std::string::npos)
      << missing.err;
}

TEST(RuntimeMoeRun, CudaCompilesForTheDevicesChip) {
  // The cuda backend on the fake driver (test/fake-cuda), compiling through
  // the fake compiler, which logs each request: the request carries the
  // chip of the device's compute capability, and the chip is part of the
  // cache key, so one device's code is never reused on another.
  TempDir dir, cache;
  std::string mlir = dir.file("add.mlir");
  writeBytes(mlir, "func.func @add() // for the fake compiler");
  std::string log = dir.file("compiles.log");
  auto env = [&](const std::string &capability) {
    return std::vector<std::string>{
        std::string("MOE_JIT_LIBRARY=") + MOE_FAKE_JIT,
        "MOE_CACHE_DIR=" + cache.path(),
        std::string("LD_LIBRARY_PATH=") + MOE_FAKE_CUDA_DIR,
        "MOE_FAKE_CUDA_LOG=" + dir.file("driver.log"),
        "MOE_FAKE_CUDA_CC=" + capability, "FAKE_JIT_LOG=" + log};
  };
  auto compiles = [&] {
    std::vector<std::string> lines;
    std::istringstream in(readBytes(log));
    for (std::string line; std::getline(in, line);)
      lines.push_back(line.substr(line.find(' ', 8) + 1)); // without the pid
    return lines;
  };
  std::string cuda = quote(mlir) + " --backend cuda";

  ToolResult h200 = moeRun(cuda, env("9.0"));
  ASSERT_EQ(h200.code, 0) << h200.out << h200.err;
  EXPECT_NE(h200.out.find("cache:        compiled"), std::string::npos)
      << h200.out;
  EXPECT_EQ(compiles(), (std::vector<std::string>{"nvptx sm_90 device"}));

  // Another compute capability: another key, compiled for its chip.
  ToolResult a100 = moeRun(cuda, env("8.0"));
  ASSERT_EQ(a100.code, 0) << a100.out << a100.err;
  EXPECT_NE(a100.out.find("cache:        compiled"), std::string::npos)
      << a100.out;
  EXPECT_EQ(compiles(), (std::vector<std::string>{"nvptx sm_90 device",
                                                  "nvptx sm_80 device"}));
  EXPECT_EQ(cache.withSuffix(".so").size(), 2u)
      << ::testing::PrintToString(cache.list());

  // Each device finds its own entry again.
  ToolResult again = moeRun(cuda, env("9.0"));
  ASSERT_EQ(again.code, 0) << again.out << again.err;
  EXPECT_NE(again.out.find("cache:        disk"), std::string::npos)
      << again.out;

  // A chip asked for wins over the device's (sm_80 PTX on the sm_90
  // device: the sm_80 entry); one the compiler must take as it is.
  ToolResult forced = moeRun(cuda + " --chip sm_80", env("9.0"));
  ASSERT_EQ(forced.code, 0) << forced.out << forced.err;
  EXPECT_NE(forced.out.find("cache:        disk"), std::string::npos)
      << forced.out;
  ToolResult exact = moeRun(cuda + " --chip sm_86 --no-disk-cache", env("9.0"));
  ASSERT_EQ(exact.code, 0) << exact.out << exact.err;
  EXPECT_EQ(compiles().back(), "nvptx sm_86 exact");

  // A chip means nothing to the cpu backend.
  ToolResult cpu = moeRun(quote(mlir) + " --chip sm_90", env("9.0"));
  EXPECT_EQ(cpu.code, 1);
  EXPECT_NE(cpu.err.find("a compile option chip ('sm_90') applies to cuda, "
                         "hip and emu contexts, not cpu"),
            std::string::npos)
      << cpu.err;
}

TEST(RuntimeMoeRun, LinksNoLlvm) {
  FILE *pipe = popen((std::string("ldd '") + MOE_RUN_TOOL + "' 2>&1").c_str(),
                     "r");
  ASSERT_NE(pipe, nullptr);
  std::string text;
  char chunk[512];
  while (size_t n = fread(chunk, 1, sizeof(chunk), pipe))
    text.append(chunk, n);
  if (pclose(pipe) != 0)
    GTEST_SKIP() << "ldd is not available: " << text;
  EXPECT_NE(text.find("libmoe_runtime.so"), std::string::npos) << text;
  EXPECT_EQ(text.find("libLLVM"), std::string::npos) << text;
  EXPECT_EQ(text.find("libMLIR"), std::string::npos) << text;
}

TEST(RuntimeMoeRun, RealLayerMatchesTheReference) {
  // Needs the real compiler library (built with MOE_ENABLE_COMPILER=ON).
  if (access(MOE_REAL_JIT, F_OK) != 0)
    GTEST_SKIP() << "no " << MOE_REAL_JIT;
  TempDir dir;
  std::vector<std::string> env = {std::string("MOE_JIT_LIBRARY=") + MOE_REAL_JIT,
                                  "MOE_CACHE_DIR=" + dir.file("cache")};
  for (const char *spec :
       {"experts=8,k=2,hidden=32,inter=16,dtype=f32",
        "experts=6,k=3,hidden=24,inter=8,dtype=bf16,renormalize=1,"
        "shared_inter=8"}) {
    SCOPED_TRACE(spec);
    ToolResult result = moeRun(std::string("--layer ") + spec +
                                   " --check --tokens 13 --output " +
                                   quote("out=@" + dir.file("out.npy")),
                               env);
    ASSERT_EQ(result.code, 0) << result.out << result.err;
    EXPECT_NE(result.out.find(": ok"), std::string::npos) << result.out;
    std::vector<int64_t> shape;
    loadF32(dir.file("out.npy"), &shape); // bf16 is written as f32
    EXPECT_EQ(shape[0], 13);
  }
}
