//===- RuntimeManifestTest.cpp - the artifact manifest reader -------------===//
//
// An artifact's manifest is input the runtime must not trust: every value is
// checked, and one that does not fit is an error naming it, never a wrapped
// or truncated number.
//
//===----------------------------------------------------------------------===//
#include "Manifest.h"

#include <gtest/gtest.h>

#include <string>

using namespace moe::runtime;

namespace {

std::string withExtent(const std::string &extent) {
  return R"({"format": 2, "compiler": "moe-mlir", "target": "cpu",
    "entries": [{"name": "f", "args": [{"name": "x", "dtype": "f32",
    "shape": [)" +
         extent + R"(, 4]}], "results": []}]})";
}

TEST(RuntimeManifest, ExtentsThatDoNotFitInt64AreRefused) {
  Manifest manifest;
  Error ok = parseManifest(withExtent("-1"), manifest);
  ASSERT_FALSE(ok) << ok.message;
  EXPECT_EQ(manifest.entries.at(0).args.at(0).shape,
            (std::vector<int64_t>{-1, 4}));
  for (const char *extent :
       {"18446744073709551615", "9223372036854775808", "-2", "1.5"}) {
    Manifest refused;
    Error error = parseManifest(withExtent(extent), refused);
    ASSERT_TRUE(error) << extent << " was accepted";
    EXPECT_EQ(error.status, MOE_ERROR_IO);
    EXPECT_NE(error.message.find("has a shape extent that is not an integer "
                                 ">= -1"),
              std::string::npos)
        << error.message;
  }
  Manifest largest;
  Error fits = parseManifest(withExtent("9223372036854775807"), largest);
  ASSERT_FALSE(fits) << fits.message;
  EXPECT_EQ(largest.entries.at(0).args.at(0).shape.at(0), INT64_MAX);
}

} // namespace
