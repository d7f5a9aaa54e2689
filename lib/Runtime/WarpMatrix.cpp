//===- WarpMatrix.cpp - warp-wide matrix instructions, lane by lane -------===//
//
// The fragment layouts are those of the PTX ISA for 32-bit registers holding
// `e` = 32 / bits elements (2 for f16 / bf16, 1 for tf32), with g = lane / 4
// and t = lane % 4. An 8 x (4 e) piece of A is one register per lane, row g,
// columns e t .. e t + e - 1; A's pieces go down M first, then along K. B is
// the same with K as its rows: column g, rows e t .. e t + e - 1. C and D hold
// two elements of row 8 r + g, columns 2 t and 2 t + 1, in register r.
//
//===----------------------------------------------------------------------===//
#include "WarpMatrix.h"

#include "moe/Reference/Reference.h"

#include <cstring>
#include <vector>

namespace moe::emu {
namespace {

int bitsOf(MatrixType type) {
  return type == MatrixType::F16 || type == MatrixType::BF16 ? 16 : 32;
}

float readElement(const void *base, int64_t i, MatrixType type) {
  const auto *bytes = static_cast<const uint8_t *>(base);
  if (bitsOf(type) == 16) {
    uint16_t bits;
    std::memcpy(&bits, bytes + 2 * i, 2);
    return type == MatrixType::F16 ? ref::fromF16Bits(bits)
                                   : ref::fromBF16Bits(bits);
  }
  uint32_t bits;
  std::memcpy(&bits, bytes + 4 * i, 4);
  if (type == MatrixType::TF32)
    bits &= ~uint32_t(0x1fff);
  float value;
  std::memcpy(&value, &bits, 4);
  return value;
}

void writeElement(void *base, int64_t i, MatrixType type, float value) {
  auto *bytes = static_cast<uint8_t *>(base);
  if (type == MatrixType::F16) {
    uint16_t bits = ref::toF16Bits(value);
    std::memcpy(bytes + 2 * i, &bits, 2);
    return;
  }
  std::memcpy(bytes + 4 * i, &value, 4);
}

} // namespace

void ldmatrix(const LdMatrixLane *lanes, int32_t numTiles, bool transpose) {
  // Read every row first: a lane's result may overwrite another's row.
  uint8_t rows[4][8][16];
  for (int32_t tile = 0; tile < numTiles; ++tile)
    for (int r = 0; r < 8; ++r) {
      const void *row = lanes[8 * tile + r].row;
      if (row)
        std::memcpy(rows[tile][r], row, 16);
      else
        std::memset(rows[tile][r], 0, 16);
    }
  for (int lane = 0; lane < kNvidiaWarp; ++lane) {
    auto *out = static_cast<uint8_t *>(lanes[lane].out);
    int g = lane / 4, t = lane % 4;
    for (int32_t tile = 0; tile < numTiles; ++tile) {
      uint8_t *word = out + 4 * tile;
      if (!transpose) {
        std::memcpy(word, &rows[tile][g][4 * t], 4);
        continue;
      }
      std::memcpy(word, &rows[tile][2 * t][2 * g], 2);
      std::memcpy(word + 2, &rows[tile][2 * t + 1][2 * g], 2);
    }
  }
}

std::optional<std::string> unsupportedMma(const MmaShape &shape) {
  std::string what = "mma.sync m" + std::to_string(shape.m) + "n" +
                     std::to_string(shape.n) + "k" + std::to_string(shape.k);
  bool sixteen = shape.ab == MatrixType::F16 || shape.ab == MatrixType::BF16;
  if (shape.ab == MatrixType::F32)
    return what + " on f32 without tf32: the tensor cores take tf32";
  if (shape.m != 16 || shape.n != 8)
    return what + ": the emulator runs m16n8 shapes";
  if (sixteen ? shape.k != 8 && shape.k != 16 : shape.k != 4 && shape.k != 8)
    return what + ": k must be " + (sixteen ? "8 or 16" : "4 or 8") +
           " for these inputs";
  if (shape.cd != MatrixType::F32 &&
      !(shape.cd == MatrixType::F16 && shape.ab == MatrixType::F16))
    return what + ": the accumulator must be f32 (or f16 with f16 inputs)";
  return std::nullopt;
}

void mmaSync(const MmaLane *lanes, const MmaShape &shape) {
  const int m = shape.m, n = shape.n, k = shape.k;
  const int e = 32 / bitsOf(shape.ab);
  const int pieceK = 4 * e, tilesM = m / 8, tilesK = k / pieceK;
  std::vector<float> a(size_t(m) * k), b(size_t(k) * n), c(size_t(m) * n);
  for (int lane = 0; lane < kNvidiaWarp; ++lane) {
    const int g = lane / 4, t = lane % 4;
    for (int reg = 0; reg < tilesM * tilesK; ++reg)
      for (int j = 0; j < e; ++j) {
        int row = 8 * (reg % tilesM) + g, col = pieceK * (reg / tilesM) + e * t + j;
        a[size_t(row) * k + col] = readElement(lanes[lane].a, reg * e + j, shape.ab);
      }
    for (int reg = 0; reg < tilesK; ++reg)
      for (int j = 0; j < e; ++j) {
        int row = pieceK * reg + e * t + j;
        b[size_t(row) * n + g] = readElement(lanes[lane].b, reg * e + j, shape.ab);
      }
    for (int reg = 0; reg < tilesM; ++reg)
      for (int j = 0; j < 2; ++j)
        c[size_t(8 * reg + g) * n + 2 * t + j] =
            readElement(lanes[lane].c, reg * 2 + j, shape.cd);
  }
  // Every lane's C is read before any D is written (D may alias C).
  for (int lane = 0; lane < kNvidiaWarp; ++lane) {
    const int g = lane / 4, t = lane % 4;
    for (int reg = 0; reg < tilesM; ++reg)
      for (int j = 0; j < 2; ++j) {
        int row = 8 * reg + g, col = 2 * t + j;
        float sum = c[size_t(row) * n + col];
        for (int kk = 0; kk < k; ++kk)
          sum += a[size_t(row) * k + kk] * b[size_t(kk) * n + col];
        writeElement(lanes[lane].d, reg * 2 + j, shape.cd, sum);
      }
  }
}

std::optional<std::string> unsupportedMfma(const MmaShape &shape) {
  std::string what = "mfma " + std::to_string(shape.m) + "x" +
                     std::to_string(shape.n) + "x" + std::to_string(shape.k);
  if (shape.ab != MatrixType::F16 && shape.ab != MatrixType::BF16)
    return what + ": the emulator runs f16 and bf16 inputs";
  if (shape.cd != MatrixType::F32)
    return what + ": the accumulator must be f32";
  if (!(shape.m == 16 && shape.n == 16 && shape.k == 16) &&
      !(shape.m == 32 && shape.n == 32 && shape.k == 8))
    return what + ": the emulator runs 16x16x16 and 32x32x8";
  return std::nullopt;
}

void mfma(const MmaLane *lanes, const MmaShape &shape) {
  const int m = shape.m, n = shape.n, k = shape.k, groups = kAmdWave / m;
  std::vector<float> a(size_t(m) * k), b(size_t(k) * n), c(size_t(m) * n);
  auto dLane = [&](int i, int j) { return j + m * ((i / 4) % groups); };
  auto dElement = [&](int i) { return i % 4 + 4 * (i / (4 * groups)); };
  for (int lane = 0; lane < kAmdWave; ++lane)
    for (int e = 0; e < 4; ++e) {
      int kk = 4 * (lane / m) + e;
      a[size_t(lane % m) * k + kk] = readElement(lanes[lane].a, e, shape.ab);
      b[size_t(kk) * n + lane % m] = readElement(lanes[lane].b, e, shape.ab);
    }
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j)
      c[size_t(i) * n + j] =
          readElement(lanes[dLane(i, j)].c, dElement(i), shape.cd);
  // Every lane's C is read before any D is written (D may alias C).
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      float sum = c[size_t(i) * n + j];
      for (int kk = 0; kk < k; ++kk)
        sum += a[size_t(i) * k + kk] * b[size_t(kk) * n + j];
      writeElement(lanes[dLane(i, j)].d, dElement(i), shape.cd, sum);
    }
}

} // namespace moe::emu
