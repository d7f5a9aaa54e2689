//===- TensorCoreKernelTest.cpp - a vector.contract kernel on mma.sync ----===//
//
// A one-warp kernel whose vector.contract (16 x 8 x 16, f16 in, f32
// accumulator) upstream MLIR's convert-vector-to-gpu{use-nvgpu} turns into
// nvgpu.ldmatrix and nvgpu.mma.sync, run on the emulator: the lane mapping of
// the upstream conversion and the emulator's PTX fragment layouts must agree
// for D to equal C + A B. B is read both from a K x N buffer (a transposed
// read: ldmatrix .trans) and from an N x K one.
//
//===----------------------------------------------------------------------===//
#include "NumericTestUtil.h"

namespace moe::numeric {
namespace {

/// The kernel stages A and B in workgroup memory, then contracts them with
/// C read from global memory into `out`. `bShape` is "16x8" (K x N, read
/// transposed) or "8x16" (N x K).
std::string mmaModule(const std::string &bShape) {
  bool kn = bShape == "16x8";
  std::string bType = "memref<" + bShape + "xf16>";
  std::string bShared =
      "memref<" + bShape + "xf16, #gpu.address_space<workgroup>>";
  std::string bRead =
      kn ? "{in_bounds = [true, true], permutation_map = "
           "affine_map<(d0, d1) -> (d1, d0)>}"
         : "{in_bounds = [true, true]}";
  std::string bCols = kn ? "%c8" : "%c16";
  return R"(#mapA = affine_map<(m, n, k) -> (m, k)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>
func.func @mma(%a: tensor<16x16xf16>, %b: tensor<)" +
         bShape + R"(xf16>, %c: tensor<16x8xf32>) -> tensor<16x8xf32> {
  %am = bufferization.to_buffer %a : tensor<16x16xf16> to memref<16x16xf16>
  %bm = bufferization.to_buffer %b : tensor<)" +
         bShape + "xf16> to " + bType + R"(
  %cm = bufferization.to_buffer %c : tensor<16x8xf32> to memref<16x8xf32>
  %out = memref.alloc() : memref<16x8xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  %bRows = memref.dim %bm, %c0 : )" +
         bType + R"(
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1)
             workgroup(%sa : memref<16x16xf16, #gpu.address_space<workgroup>>,
                       %sb : )" +
         bShared + R"() {
    // Lanes 0-15 stage row t of A, lanes 16-31 row t - 16 of B.
    %row = arith.remui %tx, %c16 : index
    %isA = arith.cmpi ult, %tx, %c16 : index
    scf.if %isA {
      scf.for %i = %c0 to %c16 step %c1 {
        %v = memref.load %am[%row, %i] : memref<16x16xf16>
        memref.store %v, %sa[%row, %i] : memref<16x16xf16, #gpu.address_space<workgroup>>
      }
    } else {
      %inB = arith.cmpi ult, %row, %bRows : index
      scf.if %inB {
        scf.for %j = %c0 to )" +
         bCols + R"( step %c1 {
          %v = memref.load %bm[%row, %j] : )" +
         bType + R"(
          memref.store %v, %sb[%row, %j] : )" +
         bShared + R"(
        }
      }
    }
    gpu.barrier
    %pad = arith.constant 0.0 : f16
    %padf = arith.constant 0.0 : f32
    %A = vector.transfer_read %sa[%c0, %c0], %pad {in_bounds = [true, true]} : memref<16x16xf16, #gpu.address_space<workgroup>>, vector<16x16xf16>
    %B = vector.transfer_read %sb[%c0, %c0], %pad )" +
         bRead + " : " + bShared + R"(, vector<8x16xf16>
    %C = vector.transfer_read %cm[%c0, %c0], %padf {in_bounds = [true, true]} : memref<16x8xf32>, vector<16x8xf32>
    %D = vector.contract {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %A, %B, %C : vector<16x16xf16>, vector<8x16xf16> into vector<16x8xf32>
    vector.transfer_write %D, %out[%c0, %c0] {in_bounds = [true, true]} : vector<16x8xf32>, memref<16x8xf32>
    gpu.terminator
  }
  %r = bufferization.to_tensor %out restrict : memref<16x8xf32> to tensor<16x8xf32>
  return %r : tensor<16x8xf32>
}
)";
}

/// Small integers: every product and sum is exact in f32.
HostTensor integers(std::vector<int64_t> shape, moe_dtype_t dtype,
                    std::mt19937 &rng) {
  HostTensor t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  std::uniform_int_distribution<int> value(-6, 6);
  t.floats.resize(size_t(t.numel()));
  for (float &v : t.floats)
    v = float(value(rng));
  return t;
}

void expectProduct(const std::string &bShape) {
  if (backend() != MOE_BACKEND_EMU)
    GTEST_SKIP() << "a GPU kernel: runs on the emu backend";
  bool kn = bShape == "16x8";
  Module module = compileMlir(mmaModule(bShape));
  ASSERT_TRUE(module);
  std::mt19937 rng(kn ? 11 : 12);
  std::vector<HostTensor> inputs{
      integers({16, 16}, MOE_DTYPE_F16, rng),
      integers(kn ? std::vector<int64_t>{16, 8} : std::vector<int64_t>{8, 16},
               MOE_DTYPE_F16, rng),
      integers({16, 8}, MOE_DTYPE_F32, rng)};
  RunResult result = run(module.get(), inputs);
  ASSERT_EQ(result.status, MOE_OK) << result.error;
  const std::vector<float> &a = inputs[0].floats, &b = inputs[1].floats,
                           &c = inputs[2].floats;
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 8; ++j) {
      float expected = c[size_t(i) * 8 + j];
      for (int k = 0; k < 16; ++k)
        expected += a[size_t(i) * 16 + k] *
                    (kn ? b[size_t(k) * 8 + j] : b[size_t(j) * 16 + k]);
      EXPECT_EQ(result.outputs[0].floats[size_t(i) * 8 + j], expected)
          << "D[" << i << "][" << j << "], B " << bShape;
    }
}

TEST(TensorCoreKernel, MmaSyncWithATransposedLoadOfB) { expectProduct("16x8"); }

TEST(TensorCoreKernel, MmaSyncWithBStoredNByK) { expectProduct("8x16"); }

} // namespace
} // namespace moe::numeric
