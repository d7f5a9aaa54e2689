//===- WarpMatrix.h - warp-wide matrix instructions, lane by lane -*- C++ -*-===//
//
// What one warp's ldmatrix and mma.sync compute, given every lane's operands
// in the fragment layouts of the PTX ISA ("Warp-level matrix instructions":
// ldmatrix, and the mma.m16n8k{4,8,16} fragment figures), and what one AMD
// wave's MFMA computes in the layouts of the CDNA3 ISA ("Matrix Arithmetic
// Instructions"). The emulator calls these once every lane of a warp (wave)
// has arrived at the instruction.
//
//===----------------------------------------------------------------------===//
#ifndef MOE_RUNTIME_WARPMATRIX_H
#define MOE_RUNTIME_WARPMATRIX_H

#include <cstdint>
#include <optional>
#include <string>

namespace moe::emu {

constexpr int kNvidiaWarp = 32;
constexpr int kAmdWave = 64;

/// An mma.sync operand's element type (moe_emu.h's MOE_EMU_MATRIX_*).
enum class MatrixType : int32_t { F32 = 0, F16 = 1, BF16 = 2, TF32 = 3 };

/// One lane of an ldmatrix: the address of the 16-byte row it supplies
/// (lanes 8i..8i+7 supply matrix i's rows 0..7; null: the row reads as
/// zeros, an access the kernel found out of bounds) and where its result
/// goes (numTiles 32-bit words, matrix i in word i).
struct LdMatrixLane {
  const void *row = nullptr;
  void *out = nullptr;
};

/// ldmatrix.sync.aligned.m8n8.x{numTiles}[.trans].b16 for all 32 lanes:
/// lane l receives, of each 8 x 8 matrix, row l / 4's word l % 4 or, with
/// `transpose`, column l / 4's 16-bit elements 2 (l % 4) and 2 (l % 4) + 1.
void ldmatrix(const LdMatrixLane *lanes, int32_t numTiles, bool transpose);

/// One lane of an mma.sync: its A, B and C fragments and where D goes.
struct MmaLane {
  const void *a = nullptr, *b = nullptr, *c = nullptr;
  void *d = nullptr;
};

struct MmaShape {
  int32_t m = 0, n = 0, k = 0;
  MatrixType ab = MatrixType::F16, cd = MatrixType::F32;
};

/// Why the emulator cannot run this mma.sync (nothing when it can): it runs
/// m16n8k8 and m16n8k16 on f16 / bf16, m16n8k4 and m16n8k8 on tf32, with f32
/// accumulators (f16 ones for f16 inputs).
std::optional<std::string> unsupportedMma(const MmaShape &shape);

/// D = A B + C for all 32 lanes. Products of the inputs are exact in f32 and
/// each D element sums C and the products in ascending k, in f32 (tf32
/// inputs drop their low 13 mantissa bits first, as the tensor cores do).
void mmaSync(const MmaLane *lanes, const MmaShape &shape);

/// Why the emulator cannot run this MFMA (nothing when it can): it runs
/// v_mfma_f32_16x16x16 and v_mfma_f32_32x32x8 on f16 / bf16 (the gfx90a+
/// "_1k" bf16 forms), one block, f32 accumulators.
std::optional<std::string> unsupportedMfma(const MmaShape &shape);

/// D = A B + C for all 64 lanes of a wave, summed as mmaSync does. With
/// m = n = 16 or 32 and g = 64 / m lane groups, lane l holds A[l % m][4 (l /
/// m) + e] and B[4 (l / m) + e][l % m] in element e (e < 4), and D[i][j] in
/// lane j + m ((i / 4) % g), element i % 4 + 4 (i / (4 g)).
void mfma(const MmaLane *lanes, const MmaShape &shape);

} // namespace moe::emu

#endif // MOE_RUNTIME_WARPMATRIX_H
