//===- Hash.h - SHA-256 for cache keys and cache entry checks ---*- C++ -*-===//
#ifndef MOE_RUNTIME_HASH_H
#define MOE_RUNTIME_HASH_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace moe::runtime {

/// Incremental SHA-256 (FIPS 180-4).
class Sha256 {
public:
  Sha256();
  void update(const void *data, size_t size);
  void update(std::string_view text) { update(text.data(), text.size()); }
  /// The digest as 64 lower-case hex digits; the object is spent afterwards.
  std::string hexDigest();

private:
  void block(const uint8_t *p);
  uint32_t state[8];
  uint8_t buffer[64];
  size_t buffered = 0;
  uint64_t total = 0;
};

/// SHA-256 of `data` in hex.
std::string sha256Hex(const void *data, size_t size);
inline std::string sha256Hex(std::string_view text) {
  return sha256Hex(text.data(), text.size());
}

} // namespace moe::runtime

#endif // MOE_RUNTIME_HASH_H
