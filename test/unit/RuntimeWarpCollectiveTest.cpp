//===- RuntimeWarpCollectiveTest.cpp - warp matrix ops on the emulator ----===//
//
// Hand-written kernels whose 32 lanes (64 for MFMA) build their fragments
// element by element from the PTX ISA's (CDNA3 ISA's) tables, written out
// here as the ISA states them, not as the emulator computes them, and check
// D against a plain matrix product of random small integers, so a wrong lane or register mapping
// shows. Also the launch errors of a collective: a lane that never arrives,
// lanes at different collectives, a partial warp.
//
//===----------------------------------------------------------------------===//
#include "moe/Reference/Reference.h"
#include "moe/Runtime/moe_emu.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

namespace {

int64_t address(const void *pointer) {
  return reinterpret_cast<int64_t>(pointer);
}

/// A matrix of small random integers (exact in bf16, f16 and their sums).
std::vector<float> randomMatrix(int rows, int cols, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> value(-8, 8);
  std::vector<float> m(size_t(rows) * cols);
  for (float &v : m)
    v = float(value(rng));
  return m;
}

struct MmaCase {
  int k;
  int32_t abType, cdType;
  std::vector<float> a, b, c; // row-major 16 x k, k x 8, 16 x 8
  std::vector<float> d;       // what each lane wrote back, as 16 x 8
};

uint32_t encode(float value, int32_t type) {
  if (type == MOE_EMU_MATRIX_BF16)
    return moe::ref::toBF16Bits(value);
  if (type == MOE_EMU_MATRIX_F16)
    return moe::ref::toF16Bits(value);
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  return bits;
}

float decode(const uint8_t *bytes, int32_t type) {
  if (type == MOE_EMU_MATRIX_F16) {
    uint16_t bits;
    std::memcpy(&bits, bytes, 2);
    return moe::ref::fromF16Bits(bits);
  }
  float value;
  std::memcpy(&value, bytes, 4);
  return value;
}

/// Each lane packs its fragment elements from the PTX ISA's per-element
/// tables for mma.m16n8k16 / k8 (16-bit inputs) and m16n8k8 / k4 (tf32),
/// with groupID = lane >> 2 and threadID_in_group = lane % 4.
void mmaLane(void **params) {
  MmaCase &test = **static_cast<MmaCase **>(params[0]);
  const int lane = int(moe_emu_id(12));
  const int group = lane >> 2, inGroup = lane % 4, k = test.k;
  const bool tf32 = test.abType == MOE_EMU_MATRIX_TF32;
  const int elementBytes = tf32 ? 4 : 2;
  uint8_t a[32], b[16], c[16], d[16];
  auto put = [&](uint8_t *fragment, int i, float value, int32_t type,
                 int bytes) {
    uint32_t bits = encode(value, type);
    std::memcpy(fragment + i * bytes, &bits, bytes);
  };
  const int aCount = 16 * k / 32, bCount = k * 8 / 32;
  for (int i = 0; i < aCount; ++i) {
    int row, col;
    if (!tf32) { // a0..a7: rows g (a0 a1 a4 a5) / g + 8, cols 2t + (i & 1) (+8)
      row = group + ((i / 2) % 2) * 8;
      col = inGroup * 2 + (i & 1) + (i >= 4 ? 8 : 0);
    } else { // a0..a3: rows g (a0 a2) / g + 8, cols t (+4 for a2 a3)
      row = group + (i % 2) * 8;
      col = inGroup + (i >= 2 ? 4 : 0);
    }
    put(a, i, test.a[size_t(row) * k + col], test.abType, elementBytes);
  }
  for (int i = 0; i < bCount; ++i) {
    int row = tf32 ? inGroup + (i >= 1 ? 4 : 0)
                   : inGroup * 2 + (i & 1) + (i >= 2 ? 8 : 0);
    put(b, i, test.b[size_t(row) * 8 + group], test.abType, elementBytes);
  }
  const int cdBytes = test.cdType == MOE_EMU_MATRIX_F16 ? 2 : 4;
  for (int i = 0; i < 4; ++i) { // c0..c3: rows g (c0 c1) / g + 8, cols 2t + (i & 1)
    int row = group + (i >= 2 ? 8 : 0), col = inGroup * 2 + (i & 1);
    put(c, i, test.c[size_t(row) * 8 + col], test.cdType, cdBytes);
  }
  moe_emu_mma_sync(address(a), address(b), address(c), address(d), 16, 8, k,
                   test.abType, test.cdType);
  for (int i = 0; i < 4; ++i) {
    int row = group + (i >= 2 ? 8 : 0), col = inGroup * 2 + (i & 1);
    test.d[size_t(row) * 8 + col] = decode(d + i * cdBytes, test.cdType);
  }
}

void expectMmaMatchesProduct(int k, int32_t abType, int32_t cdType,
                             unsigned seed) {
  MmaCase test;
  test.k = k;
  test.abType = abType;
  test.cdType = cdType;
  test.a = randomMatrix(16, k, seed);
  test.b = randomMatrix(k, 8, seed + 1);
  test.c = randomMatrix(16, 8, seed + 2);
  test.d.assign(16 * 8, -1000.0f);
  MmaCase *pointer = &test;
  void *params[] = {&pointer};
  // Two warps: each computes the same product independently.
  ASSERT_EQ(moe_emu_launch("mma", mmaLane, params, 1, 1, 1, 64, 1, 1), 0)
      << moe_emu_error();
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 8; ++j) {
      float expected = test.c[size_t(i) * 8 + j];
      for (int kk = 0; kk < k; ++kk)
        expected += test.a[size_t(i) * k + kk] * test.b[size_t(kk) * 8 + j];
      EXPECT_EQ(test.d[size_t(i) * 8 + j], expected)
          << "D[" << i << "][" << j << "] of m16n8k" << k;
    }
}

TEST(RuntimeWarpCollective, MmaSyncBf16MatchesAPlainProduct) {
  expectMmaMatchesProduct(16, MOE_EMU_MATRIX_BF16, MOE_EMU_MATRIX_F32, 1);
  expectMmaMatchesProduct(8, MOE_EMU_MATRIX_BF16, MOE_EMU_MATRIX_F32, 2);
}

TEST(RuntimeWarpCollective, MmaSyncF16MatchesAPlainProduct) {
  expectMmaMatchesProduct(16, MOE_EMU_MATRIX_F16, MOE_EMU_MATRIX_F32, 3);
  expectMmaMatchesProduct(16, MOE_EMU_MATRIX_F16, MOE_EMU_MATRIX_F16, 4);
  expectMmaMatchesProduct(8, MOE_EMU_MATRIX_F16, MOE_EMU_MATRIX_F16, 5);
}

TEST(RuntimeWarpCollective, MmaSyncTf32MatchesAPlainProduct) {
  expectMmaMatchesProduct(8, MOE_EMU_MATRIX_TF32, MOE_EMU_MATRIX_F32, 6);
  expectMmaMatchesProduct(4, MOE_EMU_MATRIX_TF32, MOE_EMU_MATRIX_F32, 7);
}

/// tf32 keeps 10 mantissa bits: 1 + 2^-11 is 1 to the tensor cores.
void tf32Lane(void **params) {
  float *out = *static_cast<float **>(params[0]);
  float one = 1.0f + 1.0f / 2048.0f, a[4] = {one, one, one, one},
        b[2] = {one, one}, c[4] = {0, 0, 0, 0}, d[4];
  moe_emu_mma_sync(address(a), address(b), address(c), address(d), 16, 8, 8,
                   MOE_EMU_MATRIX_TF32, MOE_EMU_MATRIX_F32);
  if (moe_emu_id(12) == 0)
    *out = d[0];
}

TEST(RuntimeWarpCollective, Tf32DropsTheLowMantissaBits) {
  float d = 0;
  float *pointer = &d;
  void *params[] = {&pointer};
  ASSERT_EQ(moe_emu_launch("tf32", tf32Lane, params, 1, 1, 1, 32, 1, 1), 0)
      << moe_emu_error();
  EXPECT_EQ(d, 8.0f); // 8 products of 1 x 1
}

struct MfmaCase {
  int m, k; // n = m
  int32_t abType;
  std::vector<float> a, b, c; // row-major m x k, k x m, m x m
  std::vector<float> d;       // what each lane wrote back, as m x m
};

/// Each lane of a 64-lane wave packs its operands from the CDNA3 ISA's
/// layouts: v_mfma_f32_16x16x16: a[i] = A[l % 16][4 (l / 16) + i], b[i] =
/// B[4 (l / 16) + i][l % 16], c[i] = C[4 (l / 16) + i][l % 16];
/// v_mfma_f32_32x32x8: a[i] = A[l % 32][4 (l / 32) + i], b likewise, and
/// c[i] = C[8 (i / 4) + 4 (l / 32) + i % 4][l % 32] for i < 16.
void mfmaLane(void **params) {
  MfmaCase &test = **static_cast<MfmaCase **>(params[0]);
  const int lane = int(moe_emu_id(13)), m = test.m, k = test.k;
  uint16_t a[4], b[4];
  float c[16], d[16];
  for (int i = 0; i < 4; ++i) {
    int kk = 4 * (lane / m) + i;
    a[i] = uint16_t(encode(test.a[size_t(lane % m) * k + kk], test.abType));
    b[i] = uint16_t(encode(test.b[size_t(kk) * m + lane % m], test.abType));
  }
  auto cRow = [&](int i) {
    return m == 16 ? 4 * (lane / 16) + i : 8 * (i / 4) + 4 * (lane / 32) + i % 4;
  };
  const int count = m * m / 64;
  for (int i = 0; i < count; ++i)
    c[i] = test.c[size_t(cRow(i)) * m + lane % m];
  moe_emu_mfma(address(a), address(b), address(c), address(d), m, m, k,
               test.abType, MOE_EMU_MATRIX_F32);
  for (int i = 0; i < count; ++i)
    test.d[size_t(cRow(i)) * m + lane % m] = d[i];
}

void expectMfmaMatchesProduct(int m, int k, int32_t abType, unsigned seed) {
  MfmaCase test;
  test.m = m;
  test.k = k;
  test.abType = abType;
  test.a = randomMatrix(m, k, seed);
  test.b = randomMatrix(k, m, seed + 1);
  test.c = randomMatrix(m, m, seed + 2);
  test.d.assign(size_t(m) * m, -1000.0f);
  MfmaCase *pointer = &test;
  void *params[] = {&pointer};
  // Two waves: each computes the same product independently.
  ASSERT_EQ(moe_emu_launch("mfma", mfmaLane, params, 1, 1, 1, 128, 1, 1), 0)
      << moe_emu_error();
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < m; ++j) {
      float expected = test.c[size_t(i) * m + j];
      for (int kk = 0; kk < k; ++kk)
        expected += test.a[size_t(i) * k + kk] * test.b[size_t(kk) * m + j];
      EXPECT_EQ(test.d[size_t(i) * m + j], expected)
          << "D[" << i << "][" << j << "] of mfma " << m << "x" << m << "x"
          << k;
    }
}

TEST(RuntimeWarpCollective, MfmaMatchesAPlainProduct) {
  expectMfmaMatchesProduct(16, 16, MOE_EMU_MATRIX_F16, 11);
  expectMfmaMatchesProduct(16, 16, MOE_EMU_MATRIX_BF16, 12);
  expectMfmaMatchesProduct(32, 8, MOE_EMU_MATRIX_F16, 13);
  expectMfmaMatchesProduct(32, 8, MOE_EMU_MATRIX_BF16, 14);
}

void halfWave(void **) {
  uint16_t ab[4] = {};
  float c[4] = {}, d[4];
  moe_emu_mfma(address(ab), address(ab), address(c), address(d), 16, 16, 16,
               MOE_EMU_MATRIX_F16, MOE_EMU_MATRIX_F32);
}

TEST(RuntimeWarpCollective, MfmaNeedsAWholeWave) {
  EXPECT_EQ(moe_emu_launch("half", halfWave, nullptr, 1, 1, 1, 96, 1, 1), 1);
  EXPECT_STREQ(moe_emu_error(),
               "amdgpu.mfma in a partial warp in kernel half, block (0, 0, "
               "0), thread (64, 0, 0): its warp has 32 threads (the block's "
               "thread count is not a multiple of 64); the instruction needs "
               "all 64");
}

struct LdMatrixCase {
  uint16_t shared[32][24]; // rows of 16-bit elements, 8 of padding
  int32_t numTiles;
  bool transpose;
  uint32_t out[32][4];
};

/// Matrix i of an x4 load is rows 8i..8i+7 of `shared`, columns 8..15;
/// lane l supplies row l % 8 of matrix l / 8.
void ldmatrixLane(void **params) {
  LdMatrixCase &test = **static_cast<LdMatrixCase **>(params[0]);
  int lane = int(moe_emu_id(12));
  int matrix = lane / 8, row = lane % 8;
  const uint16_t *rowAddress =
      matrix < test.numTiles ? &test.shared[8 * matrix + row][8] : nullptr;
  moe_emu_ldmatrix(address(rowAddress), address(test.out[lane]),
                   test.numTiles, test.transpose);
}

void expectLdMatrix(int32_t numTiles, bool transpose) {
  auto test = std::make_unique<LdMatrixCase>();
  for (int r = 0; r < 32; ++r)
    for (int c = 0; c < 24; ++c)
      test->shared[r][c] = uint16_t(r * 100 + c);
  test->numTiles = numTiles;
  test->transpose = transpose;
  std::memset(test->out, 0xff, sizeof(test->out));
  LdMatrixCase *pointer = test.get();
  void *params[] = {&pointer};
  ASSERT_EQ(moe_emu_launch("ldmatrix", ldmatrixLane, params, 1, 1, 1, 32, 1, 1),
            0)
      << moe_emu_error();
  // PTX: each thread receives a row's two consecutive elements, row
  // lane / 4, elements 2 (lane % 4) and 2 (lane % 4) + 1; .trans delivers
  // the matrix transposed (column lane / 4).
  for (int lane = 0; lane < 32; ++lane)
    for (int i = 0; i < numTiles; ++i) {
      uint16_t got[2];
      std::memcpy(got, &test->out[lane][i], 4);
      for (int j = 0; j < 2; ++j) {
        int row = lane / 4, col = 2 * (lane % 4) + j;
        if (transpose)
          std::swap(row, col);
        EXPECT_EQ(got[j], test->shared[8 * i + row][8 + col])
            << "lane " << lane << ", matrix " << i << ", element " << j
            << (transpose ? " (transposed)" : "");
      }
    }
}

TEST(RuntimeWarpCollective, LdMatrixDealsRowsToLanes) {
  expectLdMatrix(1, false);
  expectLdMatrix(2, false);
  expectLdMatrix(4, false);
}

TEST(RuntimeWarpCollective, LdMatrixTransposedDealsColumnsToLanes) {
  expectLdMatrix(2, true);
  expectLdMatrix(4, true);
}

/// Lane 5 of the second warp returns before the collective.
void laneReturnsEarly(void **) {
  if (moe_emu_id(0) == 37)
    return;
  uint32_t out[1];
  uint16_t row[8] = {};
  moe_emu_ldmatrix(address(row), address(out), 1, 0);
}

/// The first half-warp loads, the second multiplies.
void lanesDisagree(void **) {
  uint32_t words[8] = {}, d[4];
  if (moe_emu_id(0) < 16)
    moe_emu_ldmatrix(address(words), address(d), 1, 0);
  else
    moe_emu_mma_sync(address(words), address(words), address(words),
                     address(d), 16, 8, 16, MOE_EMU_MATRIX_BF16,
                     MOE_EMU_MATRIX_F32);
}

void halfWarp(void **) {
  uint32_t out[1];
  uint16_t row[8] = {};
  moe_emu_ldmatrix(address(row), address(out), 1, 0);
}

TEST(RuntimeWarpCollective, CollectiveMisuseIsAnErrorNamingTheThreads) {
  EXPECT_EQ(moe_emu_launch("early", laneReturnsEarly, nullptr, 1, 1, 1, 64, 1,
                           1),
            1);
  EXPECT_STREQ(moe_emu_error(),
               "lane missing from a warp collective in kernel early, block "
               "(0, 0, 0): thread (32, 0, 0) waits at nvgpu.ldmatrix, which "
               "thread (37, 0, 0) of its warp returned without reaching");
  EXPECT_EQ(moe_emu_launch("disagree", lanesDisagree, nullptr, 1, 1, 1, 32, 1,
                           1),
            1);
  EXPECT_STREQ(moe_emu_error(),
               "lanes of a warp at different collectives in kernel disagree, "
               "block (0, 0, 0), thread (16, 0, 0): it is at nvgpu.mma.sync "
               "while thread (0, 0, 0) waits at nvgpu.ldmatrix");
  EXPECT_EQ(moe_emu_launch("half", halfWarp, nullptr, 1, 1, 1, 16, 1, 1), 1);
  EXPECT_STREQ(moe_emu_error(),
               "nvgpu.ldmatrix in a partial warp in kernel half, block (0, 0, "
               "0), thread (0, 0, 0): its warp has 16 threads (the block's "
               "thread count is not a multiple of 32); the instruction needs "
               "all 32");
}

} // namespace

namespace {

struct ShuffleCase {
  int32_t mode, width, lanes;
  int64_t result[64];
  int64_t valid[64];
};

/// Lane l holds 100 + l and shuffles with offset 3 (idx: lane lanes-1-l).
void shuffleLane(void **params) {
  ShuffleCase &test = **static_cast<ShuffleCase **>(params[0]);
  int32_t lane = int32_t(moe_emu_id(test.lanes == 64 ? 13 : 12));
  int32_t offset = test.mode == MOE_EMU_SHUFFLE_IDX ? test.lanes - 1 - lane : 3;
  int64_t out[2];
  moe_emu_shuffle(100 + lane, offset, test.width, test.mode, address(out),
                  test.lanes);
  test.result[lane] = out[0];
  test.valid[lane] = out[1];
}

TEST(RuntimeWarpCollective, ShuffleReadsTheSourceLaneWithinTheWidth) {
  for (int32_t lanes : {32, 64})
    for (int32_t mode : {MOE_EMU_SHUFFLE_XOR, MOE_EMU_SHUFFLE_UP,
                         MOE_EMU_SHUFFLE_DOWN, MOE_EMU_SHUFFLE_IDX})
      for (int32_t width : {lanes, 16}) {
        ShuffleCase test{mode, width, lanes, {}, {}};
        ShuffleCase *pointer = &test;
        void *params[] = {&pointer};
        // Two warps (waves): each shuffles within itself.
        ASSERT_EQ(moe_emu_launch("shuffle", shuffleLane, params, 1, 1, 1,
                                 lanes, 1, 1),
                  0)
            << moe_emu_error();
        for (int lane = 0; lane < lanes; ++lane) {
          int source = mode == MOE_EMU_SHUFFLE_XOR    ? lane ^ 3
                       : mode == MOE_EMU_SHUFFLE_UP   ? lane - 3
                       : mode == MOE_EMU_SHUFFLE_DOWN ? lane + 3
                                                      : lanes - 1 - lane;
          bool valid = source >= 0 && source < width;
          EXPECT_EQ(test.valid[lane], valid)
              << lanes << " lanes, mode " << mode << ", width " << width
              << ", lane " << lane;
          EXPECT_EQ(test.result[lane], valid ? 100 + source : 100 + lane)
              << lanes << " lanes, mode " << mode << ", width " << width
              << ", lane " << lane;
        }
      }
}

struct ReduceCase {
  int32_t op, scalar, size, stride;
  int64_t in[32], out[32];
};

void reduceLane(void **params) {
  ReduceCase &test = **static_cast<ReduceCase **>(params[0]);
  int lane = int(moe_emu_id(12));
  test.out[lane] = moe_emu_subgroup_reduce(test.in[lane], test.op, test.scalar,
                                           test.size, test.stride, 32);
}

ReduceCase runReduce(int32_t op, int32_t scalar, int32_t size, int32_t stride,
                     const std::vector<int64_t> &in) {
  ReduceCase test{op, scalar, size, stride, {}, {}};
  std::copy(in.begin(), in.end(), test.in);
  ReduceCase *pointer = &test;
  void *params[] = {&pointer};
  EXPECT_EQ(moe_emu_launch("reduce", reduceLane, params, 1, 1, 1, 32, 1, 1), 0)
      << moe_emu_error();
  return test;
}

int64_t f32Bits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  return bits;
}

TEST(RuntimeWarpCollective, SubgroupReduceCombinesEachCluster) {
  std::vector<int64_t> values(32);
  for (int lane = 0; lane < 32; ++lane)
    values[size_t(lane)] = f32Bits(float(lane) * 0.5f);
  // The whole warp: 0.5 (0 + 1 + ... + 31) = 248.
  ReduceCase all = runReduce(MOE_EMU_REDUCE_ADD, MOE_EMU_SCALAR_F32, 32, 1,
                             values);
  for (int lane = 0; lane < 32; ++lane)
    EXPECT_EQ(all.out[lane], f32Bits(248.0f)) << "lane " << lane;
  // Clusters of 4 lanes 2 apart: lane l's cluster is {b, b+2, b+4, b+6},
  // b = (l / 8) 8 + l % 2.
  ReduceCase clusters = runReduce(MOE_EMU_REDUCE_ADD, MOE_EMU_SCALAR_F32, 4,
                                  2, values);
  for (int lane = 0; lane < 32; ++lane) {
    int base = (lane / 8) * 8 + lane % 2;
    float sum = 0.5f * float(4 * base + 12);
    EXPECT_EQ(clusters.out[lane], f32Bits(sum)) << "lane " << lane;
  }
  // Signed i32 maximum: lane l holds (l * 7) % 13 - 6 as 32-bit bits.
  std::vector<int64_t> ints(32);
  for (int lane = 0; lane < 32; ++lane)
    ints[size_t(lane)] = int64_t(uint32_t(int32_t((lane * 7) % 13 - 6)));
  ReduceCase maximum = runReduce(MOE_EMU_REDUCE_MAXSI, 32, 8, 1, ints);
  for (int lane = 0; lane < 32; ++lane) {
    int32_t best = INT32_MIN;
    for (int i = (lane / 8) * 8; i < (lane / 8) * 8 + 8; ++i)
      best = std::max(best, int32_t((i * 7) % 13 - 6));
    EXPECT_EQ(maximum.out[lane], int64_t(uint32_t(best))) << "lane " << lane;
  }
}

/// An AMD wave reduces over its 64 lanes.
void waveReduceLane(void **params) {
  int64_t *out = *static_cast<int64_t **>(params[0]);
  int lane = int(moe_emu_id(13));
  int64_t bits = f32Bits(float(lane) * 0.5f);
  out[lane] = moe_emu_subgroup_reduce(bits, MOE_EMU_REDUCE_ADD,
                                      MOE_EMU_SCALAR_F32, 64, 1, 64);
  out[64 + lane] = moe_emu_subgroup_reduce(bits, MOE_EMU_REDUCE_ADD,
                                           MOE_EMU_SCALAR_F32, 32, 1, 64);
}

TEST(RuntimeWarpCollective, SubgroupReduceOnAWave) {
  int64_t out[128] = {};
  int64_t *pointer = out;
  void *params[] = {&pointer};
  ASSERT_EQ(moe_emu_launch("wave", waveReduceLane, params, 1, 1, 1, 64, 1, 1),
            0)
      << moe_emu_error();
  for (int lane = 0; lane < 64; ++lane) {
    // 0.5 (0 + ... + 63) = 1008; halves: 0.5 (0 + ... + 31) = 248 and
    // 0.5 (32 + ... + 63) = 760.
    EXPECT_EQ(out[lane], f32Bits(1008.0f)) << "lane " << lane;
    EXPECT_EQ(out[64 + lane], f32Bits(lane < 32 ? 248.0f : 760.0f))
        << "lane " << lane;
  }
}

} // namespace
