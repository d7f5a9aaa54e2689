//===- MoeDialect.cpp - the moe dialect -----------------------------------===//
#include "moe/MoeDialect.h"
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
                               int64_t threadM, int64_t threadN) {
  if (blockM <= 0 || blockN <= 0 || blockK <= 0 || threadM <= 0 ||
      threadN <= 0)
    return emitError() << "tile sizes must be positive, got block_m = "
                       << blockM << ", block_n = " << blockN
                       << ", block_k = " << blockK << ", thread_m = "
                       << threadM << ", thread_n = " << threadN;
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
  return success();
}
