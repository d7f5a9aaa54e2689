//===- Errors.cpp - the thread-local last error ---------------------------===//

#include "Errors.h"

namespace moe::runtime {

namespace {
thread_local std::string lastErrorText;
} // namespace

moe_status_t setLastError(moe_status_t status, std::string message) {
  if (status != MOE_OK)
    lastErrorText = std::move(message);
  return status;
}

moe_status_t report(Error error) {
  return setLastError(error.status, std::move(error.message));
}

const char *lastError() { return lastErrorText.c_str(); }

std::string quoted(const std::string &text) { return "'" + text + "'"; }

} // namespace moe::runtime
