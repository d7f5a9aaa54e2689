//===- RuntimeHashTest.cpp - the SHA-256 of cache keys and entries --------===//

#include "../../lib/Runtime/Hash.h"

#include <gtest/gtest.h>

using moe::runtime::Sha256;
using moe::runtime::sha256Hex;

TEST(RuntimeHash, KnownVectors) {
  EXPECT_EQ(sha256Hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(
      sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  std::string million(1000000, 'a');
  EXPECT_EQ(sha256Hex(million),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(RuntimeHash, IncrementalEqualsOneShot) {
  std::string text;
  for (int i = 0; i < 1000; ++i)
    text += static_cast<char>('a' + i % 26);
  for (size_t split : {0u, 1u, 55u, 56u, 63u, 64u, 65u, 127u, 999u}) {
    Sha256 hash;
    hash.update(text.substr(0, split));
    hash.update(text.substr(split));
    EXPECT_EQ(hash.hexDigest(), sha256Hex(text)) << split;
  }
}
