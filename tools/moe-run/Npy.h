//===- Npy.h - NumPy .npy files ---------------------------------*- C++ -*-===//
//
// Reads format versions 1.0, 2.0 and 3.0 and writes 1.0, little-endian, C
// order. Enough for moe-run's --input and --output.
//
//===----------------------------------------------------------------------===//
#ifndef MOE_TOOLS_MOE_RUN_NPY_H
#define MOE_TOOLS_MOE_RUN_NPY_H

#include <cstdint>
#include <string>
#include <vector>

namespace moe::tools {

struct NpyArray {
  /// The dtype, normalized to little-endian spelling: "<f4", "<f2", "<f8",
  /// "<i4", "<i8", "<u2", ...
  std::string descr;
  std::vector<int64_t> shape;
  std::vector<char> data; ///< C order

  /// The bytes per element the dtype names; 0 when it names none.
  size_t itemSize() const;
  /// The element count; -1 when the shape's product overflows int64
  /// (readNpy refuses such files).
  int64_t numElements() const;
};

/// Reads `path`; false with `error` set when it is not a readable .npy file,
/// is big-endian or Fortran-ordered, or its data is short.
bool readNpy(const std::string &path, NpyArray &array, std::string &error);

/// Writes `array` to `path` (version 1.0).
bool writeNpy(const std::string &path, const NpyArray &array,
              std::string &error);

} // namespace moe::tools

#endif // MOE_TOOLS_MOE_RUN_NPY_H
