//===- FuzzNpy.cpp - libFuzzer target: moe-run's .npy reader ---------------===//
//
// The input is a whole .npy file. readNpy must accept or refuse it with a
// message, never crash; an accepted array must survive writeNpy + readNpy
// unchanged.
//
//===----------------------------------------------------------------------===//
#include "Npy.h"

#include "FuzzCheck.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <unistd.h>

namespace {

std::string scratchPath(const char *suffix) {
  const char *dir = getenv("TMPDIR");
  return std::string(dir && *dir ? dir : "/tmp") + "/moe-fuzz-npy-" +
         std::to_string(getpid()) + suffix;
}

void check(bool condition, const char *what) {
  moe::fuzz::check(condition, "FuzzNpy", what);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const std::string input = scratchPath(".npy");
  static const std::string output = scratchPath(".out.npy");
  {
    std::ofstream out(input, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char *>(data),
              static_cast<std::streamsize>(size));
  }
  moe::tools::NpyArray array;
  std::string error;
  if (!moe::tools::readNpy(input, array, error)) {
    check(!error.empty(), "readNpy failed without a message");
    return 0;
  }
  check(array.itemSize() > 0, "accepted an array without an item size");
  int64_t elements = array.numElements();
  check(elements >= 0, "accepted a shape whose element count overflows");
  check(array.data.size() == static_cast<size_t>(elements) * array.itemSize(),
        "data size disagrees with the shape");
  // What writeNpy writes must read back as it was.
  if (!moe::tools::writeNpy(output, array, error))
    return 0;
  moe::tools::NpyArray again;
  check(moe::tools::readNpy(output, again, error),
        "writeNpy wrote a file readNpy refuses");
  check(again.descr == array.descr && again.shape == array.shape &&
            again.data == array.data,
        "writeNpy + readNpy changed the array");
  return 0;
}
