//===- Errors.h - the thread-local last error -------------------*- C++ -*-===//
//
// Every C API call returns a status; failing ones also store a message for
// moe_last_error() in a thread-local string.
//
//===----------------------------------------------------------------------===//
#ifndef MOE_RUNTIME_ERRORS_H
#define MOE_RUNTIME_ERRORS_H

#include "moe/Runtime/moe_runtime.h"

#include <string>

namespace moe::runtime {

/// An error on its way to the C API: a status and its message.
struct Error {
  moe_status_t status = MOE_OK;
  std::string message;

  explicit operator bool() const { return status != MOE_OK; }
  static Error ok() { return {}; }
};

inline Error makeError(moe_status_t status, std::string message) {
  return Error{status, std::move(message)};
}

/// Records `message` as the calling thread's last error and returns `status`.
moe_status_t setLastError(moe_status_t status, std::string message);
/// Records `error` (when it is one) and returns its status.
moe_status_t report(Error error);

/// The calling thread's last error message.
const char *lastError();

/// `text` with quotes for messages: 'text'.
std::string quoted(const std::string &text);

} // namespace moe::runtime

#endif // MOE_RUNTIME_ERRORS_H
