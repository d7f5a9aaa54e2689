//===- RuntimeContextTest.cpp - contexts, backends and names --------------===//

#include "RuntimeTestUtil.h"

#include <cstdint>
#include <dlfcn.h>
#include <string>
#include <thread>

using namespace moe::runtime::test;

extern "C" int moe_test_c_api_smoke(const char *artifact);

TEST(RuntimeCApi, UsableFromC) {
  EXPECT_EQ(moe_test_c_api_smoke(MOE_TEST_ARTIFACT), 0) << moe_last_error();
}

TEST(RuntimeContext, CpuWorks) {
  moe_context_t context = nullptr;
  ASSERT_EQ(moe_context_create(MOE_BACKEND_CPU, &context), MOE_OK)
      << moe_last_error();
  ASSERT_NE(context, nullptr);
  moe_backend_t backend = MOE_BACKEND_AUTO;
  EXPECT_EQ(moe_context_backend(context, &backend), MOE_OK);
  EXPECT_EQ(backend, MOE_BACKEND_CPU);
  moe_context_destroy(context);
  moe_context_destroy(nullptr); // ignored
}

TEST(RuntimeContext, AutoPicksCpuToday) {
  moe_context_t context = nullptr;
  ASSERT_EQ(moe_context_create(MOE_BACKEND_AUTO, &context), MOE_OK)
      << moe_last_error();
  moe_backend_t backend = MOE_BACKEND_AUTO;
  EXPECT_EQ(moe_context_backend(context, &backend), MOE_OK);
  EXPECT_EQ(backend, MOE_BACKEND_CPU);
  moe_context_destroy(context);
}

TEST(RuntimeContext, HipOpensOnlyWithARuntimeAndADevice) {
  void *runtime = dlopen("libamdhip64.so", RTLD_LAZY | RTLD_LOCAL);
  if (!runtime)
    runtime = dlopen("libamdhip64.so.6", RTLD_LAZY | RTLD_LOCAL);
  bool present = runtime != nullptr;
  if (runtime)
    dlclose(runtime);
  moe_context_t context = nullptr;
  moe_status_t status = moe_context_create(MOE_BACKEND_HIP, &context);
  if (!present || status != MOE_OK) {
    std::string message = moe_last_error();
    EXPECT_EQ(status, MOE_ERROR_UNAVAILABLE);
    EXPECT_EQ(message.rfind(present ? "the hip backend cannot start: "
                                    : "the hip backend cannot start: "
                                      "libamdhip64.so could not be loaded (",
                            0),
              0u)
        << message;
  }
  moe_context_destroy(context);
}

TEST(RuntimeContext, CudaOpensOnlyWithADriverAndADevice) {
  void *driver = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
  bool present = driver != nullptr;
  if (driver)
    dlclose(driver);
  moe_context_t context = nullptr;
  moe_status_t status = moe_context_create(MOE_BACKEND_CUDA, &context);
  std::string message = status == MOE_OK ? "" : moe_last_error();
  if (!present) {
    EXPECT_EQ(status, MOE_ERROR_UNAVAILABLE);
    EXPECT_EQ(message.rfind("the cuda backend cannot start: libcuda.so.1 could "
                            "not be loaded (",
                            0),
              0u)
        << message;
  } else if (status != MOE_OK) {
    // A driver without a usable device says why.
    EXPECT_EQ(status, MOE_ERROR_UNAVAILABLE);
    EXPECT_EQ(message.rfind("the cuda backend cannot start: ", 0), 0u)
        << message;
  }
  moe_context_destroy(context);
  // auto takes the GPU exactly when cuda opens.
  moe_context_t any = nullptr;
  ASSERT_EQ(moe_context_create(MOE_BACKEND_AUTO, &any), MOE_OK);
  moe_backend_t picked = MOE_BACKEND_EMU;
  EXPECT_EQ(moe_context_backend(any, &picked), MOE_OK);
  EXPECT_EQ(picked, status == MOE_OK ? MOE_BACKEND_CUDA : MOE_BACKEND_CPU);
  moe_context_destroy(any);
}

TEST(RuntimeContext, EmuIsAlwaysAvailable) {
  moe_context_t context = nullptr;
  ASSERT_EQ(moe_context_create(MOE_BACKEND_EMU, &context), MOE_OK)
      << moe_last_error();
  moe_backend_t backend = MOE_BACKEND_CPU;
  EXPECT_EQ(moe_context_backend(context, &backend), MOE_OK);
  EXPECT_EQ(backend, MOE_BACKEND_EMU);
  moe_context_destroy(context);
}

TEST(RuntimeContext, InvalidArguments) {
  EXPECT_EQ(moe_context_create(MOE_BACKEND_CPU, nullptr),
            MOE_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(moe_last_error(), "context is NULL");
  moe_context_t context = nullptr;
  EXPECT_EQ(moe_context_create(static_cast<moe_backend_t>(42), &context),
            MOE_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(moe_last_error(), "invalid backend 42");
  EXPECT_EQ(moe_context_backend(nullptr, nullptr), MOE_ERROR_INVALID_ARGUMENT);
}

TEST(RuntimeContext, LastErrorIsPerThread) {
  EXPECT_EQ(moe_context_create(MOE_BACKEND_EMU, nullptr),
            MOE_ERROR_INVALID_ARGUMENT);
  std::string mine = moe_last_error();
  std::string theirs;
  std::thread other([&] {
    moe_backend_t backend = MOE_BACKEND_CPU;
    EXPECT_EQ(moe_backend_from_name("tpu", &backend), MOE_ERROR_INVALID_ARGUMENT);
    theirs = moe_last_error();
  });
  other.join();
  EXPECT_EQ(mine, "context is NULL");
  EXPECT_EQ(std::string(moe_last_error()), mine);
  EXPECT_NE(theirs.find("unknown backend 'tpu'"), std::string::npos) << theirs;
}

TEST(RuntimeNames, BackendsRoundTrip) {
  for (moe_backend_t backend : {MOE_BACKEND_CPU, MOE_BACKEND_EMU,
                                MOE_BACKEND_CUDA, MOE_BACKEND_HIP,
                                MOE_BACKEND_AUTO}) {
    const char *name = moe_backend_name(backend);
    ASSERT_NE(name, nullptr);
    moe_backend_t parsed = MOE_BACKEND_CPU;
    EXPECT_EQ(moe_backend_from_name(name, &parsed), MOE_OK);
    EXPECT_EQ(parsed, backend);
  }
  EXPECT_STREQ(moe_backend_name(MOE_BACKEND_HIP), "hip");
  moe_backend_t parsed;
  EXPECT_EQ(moe_backend_from_name("metal", &parsed),
            MOE_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(moe_last_error(),
               "unknown backend 'metal' (expected cpu, emu, cuda, hip or auto)");
  EXPECT_EQ(moe_backend_name(static_cast<moe_backend_t>(9)), nullptr);
}

TEST(RuntimeNames, DTypes) {
  struct Case {
    moe_dtype_t dtype;
    const char *name;
    size_t size;
  };
  for (Case c : {Case{MOE_DTYPE_F32, "f32", 4}, Case{MOE_DTYPE_F16, "f16", 2},
                 Case{MOE_DTYPE_BF16, "bf16", 2}, Case{MOE_DTYPE_I32, "i32", 4}}) {
    EXPECT_STREQ(moe_dtype_name(c.dtype), c.name);
    EXPECT_EQ(moe_dtype_size(c.dtype), c.size);
    moe_dtype_t parsed = MOE_DTYPE_F32;
    EXPECT_EQ(moe_dtype_from_name(c.name, &parsed), MOE_OK);
    EXPECT_EQ(parsed, c.dtype);
  }
  moe_dtype_t parsed;
  EXPECT_EQ(moe_dtype_from_name("f64", &parsed), MOE_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(moe_dtype_size(static_cast<moe_dtype_t>(17)), 0u);
  EXPECT_EQ(moe_dtype_name(static_cast<moe_dtype_t>(17)), nullptr);
}

TEST(RuntimeNames, StatusesAndCacheStates) {
  EXPECT_STREQ(moe_status_string(MOE_OK), "ok");
  EXPECT_STREQ(moe_status_string(MOE_ERROR_CONTRACT), "contract violation");
  EXPECT_STREQ(moe_status_string(MOE_ERROR_UNAVAILABLE), "unavailable");
  EXPECT_STREQ(moe_cache_state_name(MOE_CACHE_COMPILED), "compiled");
  EXPECT_STREQ(moe_cache_state_name(MOE_CACHE_MEMORY), "memory");
  EXPECT_STREQ(moe_cache_state_name(MOE_CACHE_DISK), "disk");
  EXPECT_STREQ(moe_cache_state_name(MOE_CACHE_NONE), "none");
  EXPECT_EQ(std::string(moe_runtime_version()).rfind("moe-mlir runtime ", 0),
            0u);
}

TEST(RuntimeDeviceMemory, SizesThatWrapWhenRoundedAreRefused) {
  // Host blocks are rounded up to 64 bytes: SIZE_MAX used to wrap to a
  // 64-byte block returned with MOE_OK. Refused on every backend, before
  // anything is allocated.
  for (moe_backend_t backend : {MOE_BACKEND_CPU, MOE_BACKEND_EMU}) {
    SCOPED_TRACE(moe_backend_name(backend));
    moe_context_t context = nullptr;
    ASSERT_EQ(moe_context_create(backend, &context), MOE_OK)
        << moe_last_error();
    for (size_t bytes : {SIZE_MAX, SIZE_MAX - 62, size_t(INT64_MAX)}) {
      void *pointer = reinterpret_cast<void *>(0x1);
      EXPECT_EQ(moe_device_alloc(context, bytes, &pointer),
                MOE_ERROR_INVALID_ARGUMENT)
          << bytes;
      EXPECT_EQ(pointer, nullptr);
      EXPECT_EQ(std::string(moe_last_error()),
                "moe_device_alloc: " + std::to_string(bytes) +
                    " bytes is more than any buffer can hold (at most " +
                    std::to_string(INT64_MAX) + ")");
    }
    // Small sizes still work, 0 included.
    for (size_t bytes : {size_t(0), size_t(1), size_t(65)}) {
      void *pointer = nullptr;
      ASSERT_EQ(moe_device_alloc(context, bytes, &pointer), MOE_OK)
          << moe_last_error();
      EXPECT_NE(pointer, nullptr);
      moe_device_free(context, pointer);
    }
    moe_context_destroy(context);
  }
}
