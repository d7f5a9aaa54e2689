//===- MoeDialect.h - the moe dialect and its attributes --------*- C++ -*-===//
#ifndef MOE_MOEDIALECT_H
#define MOE_MOEDIALECT_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dialect.h"

#include "moe/MoeDialect.h.inc"
#include "moe/MoeEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "moe/MoeAttrs.h.inc"

#endif // MOE_MOEDIALECT_H
