//===- SplitCodegen.h - optimize and compile a host module in parts -------===//
//
// LLVM's O3 and code generation of a CPU layer take most of a cold compile
// and run on one thread. A module whose functions are independent (the
// OpenMP-outlined tile loops of a layer) is split into partitions that are
// optimized and compiled concurrently, each in its own LLVMContext, and the
// objects are linked together into one artifact.
//
//===----------------------------------------------------------------------===//
#ifndef MOE_LIB_JIT_SPLITCODEGEN_H
#define MOE_LIB_JIT_SPLITCODEGEN_H

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <vector>

namespace llvm {
class Module;
class TargetMachine;
} // namespace llvm

namespace moe::jit {

/// The partitions a module is split into: a constant, so an artifact's bytes
/// do not depend on the machine that compiled it (only the threads do).
inline constexpr unsigned kCodegenPartitions = 4;

/// Whether `module` can be split: more than one function definition and no
/// module constructors (llvm.global_ctors, which SplitModule would copy).
bool canSplitForCodegen(const llvm::Module &module);

using TargetMachineFactory =
    llvm::function_ref<llvm::Expected<std::unique_ptr<llvm::TargetMachine>>()>;

/// Splits `module` (consumed) into kCodegenPartitions parts, then optimizes
/// each at O3 and emits it as an object file, on up to that many threads
/// (at most one a core).
/// Functions that another part calls become hidden external symbols.
llvm::Expected<std::vector<std::vector<char>>>
optimizeAndEmitInParts(std::unique_ptr<llvm::Module> module,
                       TargetMachineFactory makeMachine);

} // namespace moe::jit

#endif // MOE_LIB_JIT_SPLITCODEGEN_H
