//===- RuntimeTestUtil.h - helpers for the libmoe_runtime tests -*- C++ -*-===//
#ifndef MOE_TEST_RUNTIMETESTUTIL_H
#define MOE_TEST_RUNTIMETESTUTIL_H

#include "moe/Runtime/moe_runtime.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <dlfcn.h>
#include <fstream>
#include <ftw.h>
#include <sys/stat.h>
#include <iterator>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

// Paths of the build products, from CMake.
#ifndef MOE_TEST_ARTIFACT
#error "MOE_TEST_ARTIFACT must name the hand-written test artifact"
#endif
#ifndef MOE_FAKE_JIT
#error "MOE_FAKE_JIT must name the fake compiler library"
#endif

namespace moe::runtime::test {

/// A fresh directory, removed with its contents at the end of the scope.
class TempDir {
public:
  TempDir() {
    const char *base = getenv("TMPDIR");
    std::string pattern =
        std::string(base && *base ? base : "/tmp") + "/moe-runtime-test-XXXXXX";
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    if (!mkdtemp(name.data()))
      ADD_FAILURE() << "mkdtemp failed";
    dir = name.data();
  }
  ~TempDir() {
    nftw(
        dir.c_str(),
        [](const char *path, const struct stat *, int, struct FTW *) {
          return ::remove(path);
        },
        16, FTW_DEPTH | FTW_PHYS);
  }
  const std::string &path() const { return dir; }
  std::string file(const std::string &name) const { return dir + "/" + name; }

  /// The names in the directory (no . and ..), sorted.
  std::vector<std::string> list() const {
    std::vector<std::string> names;
    if (DIR *d = opendir(dir.c_str())) {
      while (dirent *entry = readdir(d))
        if (std::strcmp(entry->d_name, ".") && std::strcmp(entry->d_name, ".."))
          names.push_back(entry->d_name);
      closedir(d);
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  /// The names ending in `suffix`.
  std::vector<std::string> withSuffix(const std::string &suffix) const {
    std::vector<std::string> found;
    for (const std::string &name : list())
      if (name.size() >= suffix.size() &&
          name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
        found.push_back(name);
    return found;
  }

private:
  std::string dir;
};

/// Sets (or, with nullptr, unsets) an environment variable for a scope.
class ScopedEnv {
public:
  ScopedEnv(const char *name, const char *value) : name(name) {
    if (const char *old = getenv(name))
      previous = old;
    if (value)
      setenv(name, value, 1);
    else
      unsetenv(name);
  }
  ~ScopedEnv() {
    if (previous)
      setenv(name.c_str(), previous->c_str(), 1);
    else
      unsetenv(name.c_str());
  }

private:
  std::string name;
  std::optional<std::string> previous;
};

inline std::string readBytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void writeBytes(const std::string &path, const std::string &bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/// A caller buffer over `data` (shape and strides must outlive the call).
inline moe_buffer_t buffer(void *data, moe_dtype_t dtype,
                           const std::vector<int64_t> &shape,
                           const std::vector<int64_t> *strides = nullptr) {
  moe_buffer_t b;
  b.data = data;
  b.dtype = dtype;
  b.rank = static_cast<int32_t>(shape.size());
  b.shape = shape.data();
  b.strides = strides ? strides->data() : nullptr;
  return b;
}

/// How many compiles the fake compiler did in this process (0 when it was
/// never loaded).
inline int fakeJitCompiles() {
  void *handle = dlopen(MOE_FAKE_JIT, RTLD_NOW | RTLD_NOLOAD);
  if (!handle)
    return 0;
  auto count = reinterpret_cast<int (*)()>(dlsym(handle, "fake_jit_compile_count"));
  int n = count ? count() : -1;
  dlclose(handle);
  return n;
}

/// A cpu context, destroyed at the end of the scope.
class Context {
public:
  Context() {
    moe_status_t status = moe_context_create(MOE_BACKEND_CPU, &context);
    EXPECT_EQ(status, MOE_OK) << moe_last_error();
  }
  ~Context() { moe_context_destroy(context); }
  operator moe_context_t() const { return context; }

private:
  moe_context_t context = nullptr;
};

/// A module handle released at the end of the scope.
class Module {
public:
  Module() = default;
  ~Module() { moe_module_release(module); }
  Module(const Module &) = delete;
  Module &operator=(const Module &) = delete;
  moe_module_t *out() {
    moe_module_release(module);
    module = nullptr;
    return &module;
  }
  operator moe_module_t() const { return module; }
  moe_module_t get() const { return module; }

  moe_cache_state_t state() const {
    moe_cache_state_t s = MOE_CACHE_NONE;
    EXPECT_EQ(moe_module_cache_state(module, &s), MOE_OK) << moe_last_error();
    return s;
  }
  moe_module_info_t info() const {
    moe_module_info_t i{};
    EXPECT_EQ(moe_module_info(module, &i), MOE_OK) << moe_last_error();
    return i;
  }

private:
  moe_module_t module = nullptr;
};

/// Runs entry "add" of a module on a [rows, 4] pair and checks the sum.
inline void expectAddWorks(moe_module_t module, int64_t rows = 3) {
  std::vector<int64_t> shape{rows, 4};
  std::vector<float> a(static_cast<size_t>(rows * 4)), b(a.size()),
      sum(a.size(), -1.0f);
  for (size_t i = 0; i < a.size(); ++i) {
    a[i] = static_cast<float>(i);
    b[i] = 0.5f * static_cast<float>(i);
  }
  moe_buffer_t inputs[2] = {buffer(a.data(), MOE_DTYPE_F32, shape),
                            buffer(b.data(), MOE_DTYPE_F32, shape)};
  moe_buffer_t output = buffer(sum.data(), MOE_DTYPE_F32, shape);
  ASSERT_EQ(moe_run(module, "add", inputs, 2, &output, 1), MOE_OK)
      << moe_last_error();
  for (size_t i = 0; i < a.size(); ++i)
    EXPECT_EQ(sum[i], 1.5f * static_cast<float>(i)) << "element " << i;
}

} // namespace moe::runtime::test

#endif // MOE_TEST_RUNTIMETESTUTIL_H
