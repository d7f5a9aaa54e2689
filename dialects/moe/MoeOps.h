//===- MoeOps.h - moe dialect operations ------------------------*- C++ -*-===//
#ifndef MOE_MOEOPS_H
#define MOE_MOEOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "moe/MoeDialect.h"

#define GET_OP_CLASSES
#include "moe/MoeOps.h.inc"

#endif // MOE_MOEOPS_H
