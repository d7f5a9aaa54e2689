//===- MoeDialect.cpp - the moe dialect -----------------------------------===//
#include "moe/MoeDialect.h"
#include "moe/TileLimits.h"
#include "moe/MoeOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::moe;

#include "moe/MoeDialect.cpp.inc"
#include "moe/MoeEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "moe/MoeAttrs.cpp.inc"

void MoeDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "moe/MoeOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "moe/MoeAttrs.cpp.inc"
      >();
}

LogicalResult TargetAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 StringRef kind, StringRef chip,
                                 StringRef features) {
  if (kind != "cpu" && kind != "nvptx" && kind != "rocdl" && kind != "emu")
    return emitError() << "target kind must be cpu, nvptx, rocdl or emu, got '"
                       << kind << "'";
  if (kind != "cpu" && kind != "emu" && chip.empty())
    return emitError() << "a " << kind << " target needs a chip";
  return success();
}

bool TargetAttr::hasFeature(StringRef feature) const {
  SmallVector<StringRef> list;
  getFeatures().split(list, ',', -1, /*KeepEmpty=*/false);
  return llvm::any_of(list, [&](StringRef entry) {
    return entry.trim() == ("+" + feature).str();
  });
}

LogicalResult TileAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                               int64_t blockM, int64_t blockN, int64_t blockK,
                               int64_t threadM, int64_t threadN, int64_t warpM,
                               int64_t warpN) {
  if (blockM <= 0 || blockN <= 0 || blockK <= 0 || threadM <= 0 ||
      threadN <= 0)
    return emitError() << "tile sizes must be positive, got block_m = "
                       << blockM << ", block_n = " << blockN
                       << ", block_k = " << blockK << ", thread_m = "
                       << threadM << ", thread_n = " << threadN;
  for (auto [name, size] : {std::pair<const char *, int64_t>{"block_m", blockM},
                            {"block_n", blockN},
                            {"block_k", blockK}})
    if (size > ::moe::kMaxTileExtent)
      return emitError() << "tile " << name << " = " << size
                         << " is above the limit of " << ::moe::kMaxTileExtent;
  if (threadM > ::moe::kMaxRegisterTile / threadN)
    return emitError() << "tile thread_m x thread_n = " << threadM << " x "
                       << threadN << " is above the limit of "
                       << ::moe::kMaxRegisterTile
                       << " accumulators (a register tile or a GPU thread's "
                          "results)";
  if (blockM % threadM)
    return emitError() << "tile block_m = " << blockM
                       << " is not a multiple of thread_m = " << threadM;
  if (blockN % threadN)
    return emitError() << "tile block_n = " << blockN
                       << " is not a multiple of thread_n = " << threadN;
  int64_t threads = (blockM / threadM) * (blockN / threadN);
  if (threads > 1024)
    return emitError() << "tile has " << threads
                       << " threads per block; a GPU block has at most 1024";
  if (warpM == 0 && warpN == 0)
    return success();
  // mma.sync m16n8k16: a warp's piece is whole 16 x 8 steps, K whole k16s.
  if (warpM <= 0 || warpN <= 0 || warpM % 16 || warpN % 8 || blockK % 16)
    return emitError() << "tile warp_m = " << warpM << ", warp_n = " << warpN
                       << ", block_k = " << blockK
                       << ": a tensor-core tile needs warp_m a multiple of 16, "
                          "warp_n of 8 and block_k of 16";
  if (blockM % warpM || blockN % warpN)
    return emitError() << "tile block " << blockM << "x" << blockN
                       << " is not made of whole " << warpM << "x" << warpN
                       << " warp pieces";
  // A warp is 32 lanes (mma.sync) or 64 (an AMD wave, MFMA); which one the
  // target has is moe-lower-to-gpu's check.
  int64_t warps = (blockM / warpM) * (blockN / warpN);
  if (threads != warps * 32 && threads != warps * 64)
    return emitError() << "tile has " << threads
                       << " threads (thread_m, thread_n) but its " << warps
                       << " warp pieces need " << warps * 32
                       << " (32 per warp) or " << warps * 64
                       << " (64 per AMD wave)";
  return success();
}
