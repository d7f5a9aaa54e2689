//===- Diagnostics.h - MLIR diagnostics as llvm::Error ----------*- C++ -*-===//
#ifndef MOE_LIB_JIT_DIAGNOSTICS_H
#define MOE_LIB_JIT_DIAGNOSTICS_H

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace moe::jit {

/// Collects every diagnostic as "file:line:col: error: message" lines.
class DiagnosticCollector {
public:
  explicit DiagnosticCollector(mlir::MLIRContext &context)
      : handler(&context, [this](mlir::Diagnostic &diagnostic) {
          llvm::raw_string_ostream os(text);
          os << diagnostic.getLocation() << ": ";
          switch (diagnostic.getSeverity()) {
          case mlir::DiagnosticSeverity::Error:
            os << "error: ";
            break;
          case mlir::DiagnosticSeverity::Warning:
            os << "warning: ";
            break;
          default:
            os << "note: ";
          }
          os << diagnostic << "\n";
          for (mlir::Diagnostic &note : diagnostic.getNotes())
            os << note.getLocation() << ": note: " << note << "\n";
          return mlir::success();
        }) {}

  llvm::Error error(const llvm::Twine &what) const {
    return llvm::createStringError(what + (text.empty() ? "" : ":\n" + text));
  }

private:
  std::string text;
  mlir::ScopedDiagnosticHandler handler;
};

} // namespace moe::jit

#endif // MOE_LIB_JIT_DIAGNOSTICS_H
