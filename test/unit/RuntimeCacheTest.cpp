//===- RuntimeCacheTest.cpp - the compile cache, with a fake compiler -----===//
//
// $MOE_JIT_LIBRARY points the runtime at RuntimeFakeJit.c, which "compiles"
// by stamping a manifest into a prebuilt artifact, so the whole cache path
// (keys, disk entries, locking, rebuilds, version checks) runs without MLIR.
//
//===----------------------------------------------------------------------===//

#include "RuntimeTestUtil.h"

#include "../../lib/Runtime/Hash.h"

#include <atomic>
#include <cmath>
#include <limits>
#include <sys/wait.h>
#include <thread>

using namespace moe::runtime::test;

namespace {

class RuntimeCache : public ::testing::Test {
protected:
  RuntimeCache() : jit("MOE_JIT_LIBRARY", MOE_FAKE_JIT) {
    moe_compile_options_init(&options);
    options.cache_dir = dir.path().c_str();
  }

  /// Compiles `source` (MLIR unless layer) in `context` into `module`.
  moe_status_t compile(moe_context_t context, const char *source,
                       Module &module, bool layer = false) {
    return layer ? moe_compile_layer(context, source, &options, module.out())
                 : moe_compile_mlir(context, source, &options, module.out());
  }

  /// The one .so entry of the cache directory.
  std::string entry(const std::string &suffix) {
    std::vector<std::string> names = dir.withSuffix(suffix);
    EXPECT_EQ(names.size(), 1u) << ::testing::PrintToString(dir.list());
    return names.empty() ? std::string() : dir.file(names[0]);
  }

  TempDir dir;
  ScopedEnv jit;
  ScopedEnv noDelay{"FAKE_JIT_DELAY_MS", nullptr};
  ScopedEnv noVersion{"FAKE_JIT_VERSION", nullptr};
  moe_compile_options_t options;
};

const char *kSource = "func.func @add() // test module A";

} // namespace

TEST_F(RuntimeCache, CompileWritesAnEntryThatAFreshContextFindsOnDisk) {
  int before = fakeJitCompiles();
  {
    Context context;
    Module module;
    ASSERT_EQ(compile(context, kSource, module), MOE_OK) << moe_last_error();
    EXPECT_EQ(module.state(), MOE_CACHE_COMPILED);
    EXPECT_GT(module.info().compile_time_ms, 0.0);
    EXPECT_STREQ(module.info().compiler, "fake-jit 1");
    expectAddWorks(module);
  }
  EXPECT_EQ(fakeJitCompiles(), before + 1);
  // One artifact, its .meta and its lock file; no temporaries left behind.
  std::vector<std::string> names = dir.list();
  ASSERT_EQ(names.size(), 3u) << ::testing::PrintToString(names);
  std::string so = entry(".so"), meta = entry(".meta");
  EXPECT_EQ(entry(".lock").size(), so.size() + 2);
  EXPECT_EQ(so.substr(dir.path().size() + 1).size(), 32u + 3u); // hex key
  std::string metaText = readBytes(meta);
  EXPECT_NE(metaText.find("size " + std::to_string(readBytes(so).size())),
            std::string::npos)
      << metaText;
  EXPECT_NE(metaText.find("sha256 "), std::string::npos);

  Context fresh;
  Module again;
  ASSERT_EQ(compile(fresh, kSource, again), MOE_OK) << moe_last_error();
  EXPECT_EQ(again.state(), MOE_CACHE_DISK);
  EXPECT_EQ(fakeJitCompiles(), before + 1);
  expectAddWorks(again);
}

TEST_F(RuntimeCache, MemoryHitSharesTheLoadedModule) {
  Context context;
  Module first, second;
  ASSERT_EQ(compile(context, kSource, first), MOE_OK) << moe_last_error();
  int after = fakeJitCompiles();
  ASSERT_EQ(compile(context, kSource, second), MOE_OK) << moe_last_error();
  EXPECT_EQ(first.state(), MOE_CACHE_COMPILED);
  EXPECT_EQ(second.state(), MOE_CACHE_MEMORY);
  EXPECT_EQ(fakeJitCompiles(), after);
  // One loaded artifact behind both handles (its manifest string is shared).
  EXPECT_EQ(first.info().manifest, second.info().manifest);
  // Releasing one handle keeps the other usable.
  first.out();
  expectAddWorks(second);
}

TEST_F(RuntimeCache, KeyCoversSourceKindAndChecks) {
  Context context;
  Module a, b, noChecks, layerA;
  ASSERT_EQ(compile(context, kSource, a), MOE_OK);
  ASSERT_EQ(compile(context, "func.func @other()", b), MOE_OK);
  EXPECT_EQ(b.state(), MOE_CACHE_COMPILED);
  options.checks = 0;
  ASSERT_EQ(compile(context, kSource, noChecks), MOE_OK) << moe_last_error();
  EXPECT_EQ(noChecks.state(), MOE_CACHE_COMPILED);
  EXPECT_EQ(noChecks.info().checks, 0);
  EXPECT_EQ(dir.withSuffix(".so").size(), 3u);

  // Without checks a non-finite input is not reported (and the entry takes
  // no status parameter); with checks it is.
  std::vector<int64_t> shape{1, 4};
  std::vector<float> x{1, std::numeric_limits<float>::infinity(), 3, 4},
      sum(4);
  moe_buffer_t inputs[2] = {buffer(x.data(), MOE_DTYPE_F32, shape),
                            buffer(x.data(), MOE_DTYPE_F32, shape)};
  moe_buffer_t output = buffer(sum.data(), MOE_DTYPE_F32, shape);
  EXPECT_EQ(moe_run(noChecks, nullptr, inputs, 2, &output, 1), MOE_OK)
      << moe_last_error();
  EXPECT_TRUE(std::isinf(sum[1]));
  EXPECT_EQ(moe_run(a, nullptr, inputs, 2, &output, 1), MOE_ERROR_CONTRACT);
  EXPECT_STREQ(moe_last_error(), "moe.route: runtime contract logits finite "
                                 "violated: logits[0, 1] = inf");
}

// A tuning table given at compile time is keyed by its contents, not its
// path: editing the file compiles again, an unchanged file hits.
TEST_F(RuntimeCache, TileTableIsKeyedByItsContents) {
  Context context;
  std::string tablePath = dir.path() + "/tiles.json";
  auto writeTable = [&](const char *text) {
    FILE *file = fopen(tablePath.c_str(), "w");
    ASSERT_NE(file, nullptr);
    fputs(text, file);
    fclose(file);
  };
  Module plain, first, again, edited;
  ASSERT_EQ(compile(context, kSource, plain), MOE_OK) << moe_last_error();
  writeTable("{\"format\": 1, \"entries\": []}");
  options.tile_table = tablePath.c_str();
  ASSERT_EQ(compile(context, kSource, first), MOE_OK) << moe_last_error();
  EXPECT_EQ(first.state(), MOE_CACHE_COMPILED);
  ASSERT_EQ(compile(context, kSource, again), MOE_OK) << moe_last_error();
  EXPECT_EQ(again.state(), MOE_CACHE_MEMORY);
  writeTable("{\"format\": 1, \"entries\": [], \"about\": \"edited\"}");
  ASSERT_EQ(compile(context, kSource, edited), MOE_OK) << moe_last_error();
  EXPECT_EQ(edited.state(), MOE_CACHE_COMPILED);
  unlink(tablePath.c_str());

  Module missing;
  EXPECT_EQ(compile(context, kSource, missing), MOE_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(moe_last_error()).find("tile_table: "),
            std::string::npos)
      << moe_last_error();
}

TEST_F(RuntimeCache, LayerSpecsAreValidatedAndKeyedByTheirCanonicalForm) {
  Context context;
  Module module;
  EXPECT_EQ(compile(context, "experts=8,k=9,hidden=64,inter=32,dtype=f32", module, true),
            MOE_ERROR_INVALID_ARGUMENT);
  std::string message = moe_last_error();
  EXPECT_EQ(message.rfind("invalid layer spec: k = 9 ", 0), 0u) << message;
  EXPECT_EQ(compile(context, "experts=8,k=2,hidden=64,inter=32,dtype=f32,colour=red",
                    module, true),
            MOE_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(std::string(moe_last_error())
                .rfind("invalid layer spec: unknown key 'colour'", 0),
            0u)
      << moe_last_error();
  EXPECT_TRUE(dir.list().empty());

  Module first, second, third;
  ASSERT_EQ(compile(context, "experts=8,k=2,hidden=64,inter=32,dtype=f32", first, true),
            MOE_OK)
      << moe_last_error();
  EXPECT_EQ(first.state(), MOE_CACHE_COMPILED);
  const char *spec = first.info().layer_spec;
  ASSERT_NE(spec, nullptr);
  EXPECT_NE(std::string(spec).find("experts=8"), std::string::npos) << spec;
  // Another spelling of the same layer hits the same entry.
  ASSERT_EQ(compile(context, "dtype=f32,inter=32,hidden=64,k=2,experts=8", second, true),
            MOE_OK)
      << moe_last_error();
  EXPECT_EQ(second.state(), MOE_CACHE_MEMORY);
  Context fresh;
  ASSERT_EQ(compile(fresh, "k=2,experts=8,inter=32,dtype=f32,hidden=64", third, true),
            MOE_OK);
  EXPECT_EQ(third.state(), MOE_CACHE_DISK);
  EXPECT_EQ(dir.withSuffix(".so").size(), 1u);
}

/// The value of the line "NAME VALUE" of the .meta at `path`, as the line.
std::string metaLine(const std::string &path, const std::string &name) {
  std::string text = readBytes(path);
  size_t at = text.find("\n" + name + " ");
  EXPECT_NE(at, std::string::npos) << text;
  if (at == std::string::npos)
    return {};
  return text.substr(at + 1, text.find('\n', at + 1) - at - 1);
}

/// Ways to damage a cache entry; each must make the next lookup rebuild.
struct Damage {
  const char *name;
  void (*apply)(const std::string &so, const std::string &meta);
};

void PrintTo(const Damage &damage, std::ostream *out) { *out << damage.name; }

class RuntimeCacheDamage : public RuntimeCache,
                           public ::testing::WithParamInterface<Damage> {};

TEST_P(RuntimeCacheDamage, DamagedEntryIsRebuiltNeverTrusted) {
  // A lookup that blocks (a FIFO) fails the test instead of hanging it.
  alarm(60);
  {
    Context context;
    Module module;
    ASSERT_EQ(compile(context, kSource, module), MOE_OK) << moe_last_error();
  }
  std::string so = entry(".so"), meta = entry(".meta");
  GetParam().apply(so, meta);
  int before = fakeJitCompiles();
  {
    Context context;
    Module module;
    ASSERT_EQ(compile(context, kSource, module), MOE_OK) << moe_last_error();
    EXPECT_EQ(module.state(), MOE_CACHE_COMPILED);
    expectAddWorks(module);
  }
  EXPECT_EQ(fakeJitCompiles(), before + 1);
  // The rebuilt entry is valid again.
  Context context;
  Module module;
  ASSERT_EQ(compile(context, kSource, module), MOE_OK) << moe_last_error();
  EXPECT_EQ(module.state(), MOE_CACHE_DISK);
  EXPECT_EQ(dir.withSuffix(".so").size(), 1u);
  EXPECT_EQ(dir.withSuffix(".meta").size(), 1u);
  EXPECT_EQ(dir.list().size(), 3u) << ::testing::PrintToString(dir.list());
  alarm(0);
}

INSTANTIATE_TEST_SUITE_P(
    All, RuntimeCacheDamage,
    ::testing::Values(
        Damage{"TruncatedSo",
               [](const std::string &so, const std::string &) {
                 writeBytes(so, readBytes(so).substr(0, 1000));
               }},
        Damage{"EmptySo",
               [](const std::string &so, const std::string &) {
                 writeBytes(so, "");
               }},
        Damage{"FlippedByteSameSize",
               [](const std::string &so, const std::string &) {
                 std::string bytes = readBytes(so);
                 bytes[bytes.size() / 2] ^= 0x5a;
                 writeBytes(so, bytes);
               }},
        Damage{"MissingSo",
               [](const std::string &so, const std::string &) {
                 ::remove(so.c_str());
               }},
        Damage{"MissingMeta",
               [](const std::string &, const std::string &meta) {
                 ::remove(meta.c_str());
               }},
        Damage{"TruncatedMeta",
               [](const std::string &, const std::string &meta) {
                 writeBytes(meta, readBytes(meta).substr(0, 30));
               }},
        Damage{"GarbageMeta",
               [](const std::string &, const std::string &meta) {
                 writeBytes(meta, "\x01\x02 not a meta file");
               }},
        Damage{"WrongHashInMeta",
               [](const std::string &, const std::string &meta) {
                 std::string text = readBytes(meta);
                 size_t at = text.find("sha256 ") + 7;
                 text[at] = text[at] == '0' ? '1' : '0';
                 writeBytes(meta, text);
               }},
        Damage{"OtherValidArtifactWithMatchingMeta",
               // A consistent entry of this key, but built by another
               // compiler (the hand-written artifact's manifest says so):
               // rebuilt.
               [](const std::string &so, const std::string &meta) {
                 std::string bytes = readBytes(MOE_TEST_ARTIFACT);
                 writeBytes(so, bytes);
                 writeBytes(meta, "moe-mlir cache entry 2\n" +
                                      metaLine(meta, "key") + "\nsize " +
                                      std::to_string(bytes.size()) +
                                      "\nsha256 " +
                                      moe::runtime::sha256Hex(bytes) + "\n");
               }},
        Damage{"MetaOfTheOldFormat",
               // Format 1 had no key: such an entry is not trusted.
               [](const std::string &, const std::string &meta) {
                 std::string text = readBytes(meta);
                 text.replace(0, text.find('\n'), "moe-mlir cache entry 1");
                 text.erase(text.find("key "),
                            text.find('\n', text.find("key ")) -
                                text.find("key ") + 1);
                 writeBytes(meta, text);
               }},
        Damage{"MetaIsAFifo",
               // Opening a FIFO without a writer blocks: the lookup hung.
               [](const std::string &, const std::string &meta) {
                 ::remove(meta.c_str());
                 ASSERT_EQ(mkfifo(meta.c_str(), 0644), 0);
               }},
        Damage{"SoIsAFifo",
               [](const std::string &so, const std::string &) {
                 ::remove(so.c_str());
                 ASSERT_EQ(mkfifo(so.c_str(), 0644), 0);
               }},
        Damage{"SoIsADevice",
               // /dev/zero never ends: read, it would fill the memory.
               [](const std::string &so, const std::string &) {
                 ::remove(so.c_str());
                 ASSERT_EQ(symlink("/dev/zero", so.c_str()), 0);
               }},
        Damage{"SoLargerThanItsMeta",
               [](const std::string &so, const std::string &) {
                 writeBytes(so, readBytes(so) + std::string(4096, '\0'));
               }}),
    [](const ::testing::TestParamInfo<Damage> &info) {
      return std::string(info.param.name);
    });

TEST_F(RuntimeCache, EntryOfAnotherKeyCopiedOverAKeyIsRebuilt) {
  // Both files of module B's entry copied over module A's: each is
  // consistent with the other (size, SHA-256, a loadable artifact for the
  // same target), so only the key recorded in the .meta tells them apart.
  const char *other = "func.func @add() // test module B";
  std::string a, b;
  {
    Context context;
    Module moduleA, moduleB;
    ASSERT_EQ(compile(context, kSource, moduleA), MOE_OK) << moe_last_error();
    a = entry(".so");
    ASSERT_EQ(compile(context, other, moduleB), MOE_OK) << moe_last_error();
  }
  for (const std::string &name : dir.withSuffix(".so"))
    if (dir.file(name) != a)
      b = dir.file(name);
  ASSERT_FALSE(b.empty());
  auto stem = [](const std::string &path) {
    return path.substr(0, path.size() - 3);
  };
  writeBytes(a, readBytes(b));
  writeBytes(stem(a) + ".meta", readBytes(stem(b) + ".meta"));
  int before = fakeJitCompiles();
  Context context;
  Module module;
  ASSERT_EQ(compile(context, kSource, module), MOE_OK) << moe_last_error();
  EXPECT_EQ(module.state(), MOE_CACHE_COMPILED);
  EXPECT_EQ(fakeJitCompiles(), before + 1);
  // The rebuilt entry records its own key again.
  EXPECT_EQ(metaLine(stem(a) + ".meta", "key").substr(4, 32),
            a.substr(a.rfind('/') + 1, 32));
}

TEST_F(RuntimeCache, EntryFromAnotherCompilerVersionIsRebuilt) {
  {
    Context context;
    Module module;
    ASSERT_EQ(compile(context, kSource, module), MOE_OK) << moe_last_error();
    EXPECT_STREQ(module.info().compiler, "fake-jit 1");
  }
  // A new compiler install: another library (a copy, so it is loaded afresh
  // and reads the version it reports) saying version 2.
  std::string upgraded = dir.file("libmoe_jit_v2.so");
  writeBytes(upgraded, readBytes(MOE_FAKE_JIT));
  ScopedEnv jit2("MOE_JIT_LIBRARY", upgraded.c_str());
  ScopedEnv version("FAKE_JIT_VERSION", "fake-jit 2");
  {
    Context context;
    Module module;
    ASSERT_EQ(compile(context, kSource, module), MOE_OK) << moe_last_error();
    EXPECT_EQ(module.state(), MOE_CACHE_COMPILED);
    EXPECT_STREQ(module.info().compiler, "fake-jit 2");
  }
  Context context;
  Module module;
  ASSERT_EQ(compile(context, kSource, module), MOE_OK) << moe_last_error();
  EXPECT_EQ(module.state(), MOE_CACHE_DISK);
  EXPECT_STREQ(module.info().compiler, "fake-jit 2");
  EXPECT_EQ(dir.withSuffix(".so").size(), 2u); // the entry and the compiler
}

/// Runs `body` in a child process and returns its exit code.
template <typename Body> int inChild(Body body) {
  pid_t pid = fork();
  if (pid == 0)
    _exit(body());
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
    return -1;
  return WEXITSTATUS(status);
}

TEST_F(RuntimeCache, DiskHitsDoNotLoadTheCompilerThatBuiltTheEntry) {
  // A hit compares the compiler library file with the one recorded in the
  // .meta; only when it differs is the compiler loaded to ask its version.
  // Each step runs in a fresh process so "loaded" is observable.
  std::string cacheDir = dir.file("cache");
  options.cache_dir = cacheDir.c_str();
  std::string jit2 = dir.file("jit2.so"), jit3 = dir.file("jit3.so");
  writeBytes(jit2, readBytes(MOE_FAKE_JIT));
  writeBytes(jit3, readBytes(MOE_FAKE_JIT));
  // Exit code: 10 + cache state, +20 when `jit` ended up loaded, 1 on error.
  auto step = [&](const std::string &jit) {
    return inChild([&] {
      setenv("MOE_JIT_LIBRARY", jit.c_str(), 1);
      moe_context_t context = nullptr;
      moe_module_t module = nullptr;
      if (moe_context_create(MOE_BACKEND_CPU, &context) != MOE_OK ||
          moe_compile_mlir(context, kSource, &options, &module) != MOE_OK)
        return 1;
      moe_cache_state_t state;
      moe_module_cache_state(module, &state);
      bool loaded = dlopen(jit.c_str(), RTLD_NOW | RTLD_NOLOAD) != nullptr;
      return 10 + static_cast<int>(state) + (loaded ? 20 : 0);
    });
  };
  EXPECT_EQ(step(jit2), 10 + MOE_CACHE_COMPILED + 20);
  EXPECT_EQ(step(jit2), 10 + MOE_CACHE_DISK);
  // Another file with the same version (a reinstall): loaded once to compare
  // versions, no rebuild, and the .meta now names it.
  EXPECT_EQ(step(jit3), 10 + MOE_CACHE_DISK + 20);
  EXPECT_EQ(step(jit3), 10 + MOE_CACHE_DISK);
}

TEST_F(RuntimeCache, ConcurrentCompilesInOneContextCompileOnce) {
  ScopedEnv delay("FAKE_JIT_DELAY_MS", "100");
  Context context;
  int before = fakeJitCompiles();
  std::vector<Module> modules(8);
  std::vector<moe_status_t> statuses(8, MOE_ERROR_INTERNAL);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < modules.size(); ++i)
    threads.emplace_back(
        [&, i] { statuses[i] = compile(context, kSource, modules[i]); });
  for (std::thread &thread : threads)
    thread.join();
  EXPECT_EQ(fakeJitCompiles(), before + 1);
  int compiled = 0, memory = 0;
  for (size_t i = 0; i < modules.size(); ++i) {
    ASSERT_EQ(statuses[i], MOE_OK);
    compiled += modules[i].state() == MOE_CACHE_COMPILED;
    memory += modules[i].state() == MOE_CACHE_MEMORY;
    expectAddWorks(modules[i]);
  }
  EXPECT_EQ(compiled, 1);
  EXPECT_EQ(memory, 7);
}

TEST_F(RuntimeCache, ConcurrentCompilesInManyContextsCompileOnce) {
  // Separate contexts share nothing in memory: the disk entry's lock file
  // keeps the other threads waiting until the entry is written.
  ScopedEnv delay("FAKE_JIT_DELAY_MS", "200");
  int before = fakeJitCompiles();
  std::vector<Module> modules(8);
  std::vector<moe_status_t> statuses(8, MOE_ERROR_INTERNAL);
  {
    std::vector<std::unique_ptr<Context>> contexts;
    for (size_t i = 0; i < modules.size(); ++i)
      contexts.push_back(std::make_unique<Context>());
    std::vector<std::thread> threads;
    for (size_t i = 0; i < modules.size(); ++i)
      threads.emplace_back([&, i] {
        statuses[i] = compile(*contexts[i], kSource, modules[i]);
      });
    for (std::thread &thread : threads)
      thread.join();
  }
  EXPECT_EQ(fakeJitCompiles(), before + 1);
  int compiled = 0, disk = 0;
  for (size_t i = 0; i < modules.size(); ++i) {
    ASSERT_EQ(statuses[i], MOE_OK);
    compiled += modules[i].state() == MOE_CACHE_COMPILED;
    disk += modules[i].state() == MOE_CACHE_DISK;
    expectAddWorks(modules[i]);
  }
  EXPECT_EQ(compiled, 1);
  EXPECT_EQ(disk, 7);
  EXPECT_EQ(dir.list().size(), 3u) << ::testing::PrintToString(dir.list());
}

TEST_F(RuntimeCache, ConcurrentCompilesInManyProcessesCompileOnce) {
  std::string log = dir.file("compiles.log");
  ScopedEnv logEnv("FAKE_JIT_LOG", log.c_str());
  ScopedEnv delay("FAKE_JIT_DELAY_MS", "300");
  std::string cacheDir = dir.file("cache");
  options.cache_dir = cacheDir.c_str();
  // Exit codes: 10 + the cache state, 1 for an error.
  std::vector<pid_t> children;
  for (int i = 0; i < 4; ++i) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      moe_context_t context = nullptr;
      moe_module_t module = nullptr;
      int code = 1;
      if (moe_context_create(MOE_BACKEND_CPU, &context) == MOE_OK &&
          moe_compile_mlir(context, kSource, &options, &module) == MOE_OK) {
        moe_cache_state_t state;
        moe_module_cache_state(module, &state);
        code = 10 + static_cast<int>(state);
      }
      _exit(code);
    }
    children.push_back(pid);
  }
  int compiled = 0, disk = 0;
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    int code = WEXITSTATUS(status);
    compiled += code == 10 + MOE_CACHE_COMPILED;
    disk += code == 10 + MOE_CACHE_DISK;
  }
  EXPECT_EQ(compiled, 1);
  EXPECT_EQ(disk, 3);
  std::string lines = readBytes(log);
  EXPECT_EQ(std::count(lines.begin(), lines.end(), '\n'), 1) << lines;
}

TEST_F(RuntimeCache, CompileErrorsReportTheCompilersMessage) {
  Context context;
  Module module;
  EXPECT_EQ(compile(context, "module { syntax error }", module),
            MOE_ERROR_COMPILE);
  EXPECT_STREQ(moe_last_error(), "<source>:1:1: error: custom op 'syntax' is "
                                 "unknown (fake compiler)");
  EXPECT_EQ(module.get(), nullptr);
  // Nothing but the lock file is left.
  EXPECT_EQ(dir.withSuffix(".so").size(), 0u);
  EXPECT_EQ(dir.withSuffix(".meta").size(), 0u);
  EXPECT_EQ(dir.list().size(), 1u) << ::testing::PrintToString(dir.list());

  EXPECT_EQ(compile(context, "garbage", module), MOE_ERROR_INTERNAL);
  EXPECT_EQ(std::string(moe_last_error())
                .rfind("the compiler wrote an artifact that does not load: ", 0),
            0u)
      << moe_last_error();
  EXPECT_EQ(dir.withSuffix(".so").size(), 0u);
}

TEST_F(RuntimeCache, DiskCacheOffCompilesPrivately) {
  options.disk_cache = 0;
  int before = fakeJitCompiles();
  {
    Context context;
    Module module, again;
    ASSERT_EQ(compile(context, kSource, module), MOE_OK) << moe_last_error();
    EXPECT_EQ(module.state(), MOE_CACHE_COMPILED);
    ASSERT_EQ(compile(context, kSource, again), MOE_OK) << moe_last_error();
    EXPECT_EQ(again.state(), MOE_CACHE_MEMORY);
    expectAddWorks(again);
  }
  Context fresh;
  Module module;
  ASSERT_EQ(compile(fresh, kSource, module), MOE_OK) << moe_last_error();
  EXPECT_EQ(module.state(), MOE_CACHE_COMPILED);
  EXPECT_EQ(fakeJitCompiles(), before + 2);
  EXPECT_TRUE(dir.list().empty());
}

TEST_F(RuntimeCache, AnUncreatableDirectoryOnlyDisablesTheDiskCache) {
  // A cache directory that cannot be created (its parent is a file).
  std::string file = dir.file("file");
  writeBytes(file, "x");
  std::string below = file + "/cache";
  options.cache_dir = below.c_str();
  for (int i = 0; i < 2; ++i) {
    Context context;
    Module module;
    ASSERT_EQ(compile(context, kSource, module), MOE_OK) << moe_last_error();
    EXPECT_EQ(module.state(), MOE_CACHE_COMPILED);
    expectAddWorks(module);
  }
}

TEST_F(RuntimeCache, AReadOnlyDirectoryOnlyDisablesTheDiskCache) {
  if (geteuid() == 0)
    GTEST_SKIP() << "root ignores directory permissions";
  // Compiles work, nothing is stored.
  std::string readOnly = dir.file("ro");
  ASSERT_EQ(mkdir(readOnly.c_str(), 0555), 0);
  options.cache_dir = readOnly.c_str();
  Context context;
  Module module;
  ASSERT_EQ(compile(context, kSource, module), MOE_OK) << moe_last_error();
  EXPECT_EQ(module.state(), MOE_CACHE_COMPILED);
  chmod(readOnly.c_str(), 0755);
}

TEST_F(RuntimeCache, DefaultDirectoryFollowsTheEnvironment) {
  options.cache_dir = nullptr;
  std::string explicitDir = dir.file("explicit"), xdgDir = dir.file("xdg"),
              homeDir = dir.file("home");
  struct Case {
    const char *cacheDir, *xdg, *home;
    std::string expected;
  };
  const Case cases[] = {
      {explicitDir.c_str(), xdgDir.c_str(), homeDir.c_str(), explicitDir},
      {nullptr, xdgDir.c_str(), homeDir.c_str(), xdgDir + "/moe-mlir"},
      {"", "relative/is/ignored", homeDir.c_str(),
       homeDir + "/.cache/moe-mlir"},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.expected);
    ScopedEnv cacheDir("MOE_CACHE_DIR", c.cacheDir);
    ScopedEnv xdg("XDG_CACHE_HOME", c.xdg);
    ScopedEnv home("HOME", c.home);
    Context context;
    Module module;
    ASSERT_EQ(compile(context, kSource, module), MOE_OK) << moe_last_error();
    EXPECT_EQ(module.state(), MOE_CACHE_COMPILED);
    std::string bytes;
    bool found = false;
    if (DIR *d = opendir(c.expected.c_str())) {
      while (dirent *e = readdir(d))
        found |= std::string(e->d_name).find(".meta") != std::string::npos;
      closedir(d);
    }
    EXPECT_TRUE(found);
  }
}

TEST_F(RuntimeCache, MlirFromAFile) {
  Context context;
  Module module;
  std::string path = dir.file("module.mlir");
  EXPECT_EQ(moe_compile_mlir_file(context, path.c_str(), &options,
                                  module.out()),
            MOE_ERROR_IO);
  EXPECT_EQ(std::string(moe_last_error()),
            "cannot open '" + path + "': No such file or directory");
  writeBytes(path, kSource);
  ASSERT_EQ(moe_compile_mlir_file(context, path.c_str(), &options,
                                  module.out()),
            MOE_OK)
      << moe_last_error();
  // The same text from memory is the same key.
  Module again;
  ASSERT_EQ(compile(context, kSource, again), MOE_OK);
  EXPECT_EQ(again.state(), MOE_CACHE_MEMORY);
}

//===----------------------------------------------------------------------===//
// Without a compiler
//===----------------------------------------------------------------------===//

TEST(RuntimeNoCompiler, CompilingIsUnavailableButArtifactsRun) {
  TempDir dir;
  std::string missing = dir.file("libmoe_jit.so");
  ScopedEnv jit("MOE_JIT_LIBRARY", missing.c_str());
  moe_compile_options_t options;
  moe_compile_options_init(&options);
  options.cache_dir = dir.path().c_str();
  Context context;
  Module module;
  EXPECT_EQ(moe_compile_mlir(context, kSource, &options, module.out()),
            MOE_ERROR_UNAVAILABLE);
  std::string message = moe_last_error();
  EXPECT_EQ(message.rfind("the compiler library could not be loaded from "
                          "$MOE_JIT_LIBRARY (" +
                              missing + "): ",
                          0),
            0u)
      << message;
  EXPECT_NE(message.find("compiling needs the compiler library libmoe_jit.so"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("prebuilt artifacts still run without it"),
            std::string::npos)
      << message;
  EXPECT_EQ(moe_compile_layer(context, "experts=4,k=1,hidden=8,inter=4,dtype=f32",
                              &options, module.out()),
            MOE_ERROR_UNAVAILABLE);
  const char *version = nullptr;
  EXPECT_EQ(moe_compiler_info(&version, nullptr), MOE_ERROR_UNAVAILABLE);

  ASSERT_EQ(moe_load_artifact(context, MOE_TEST_ARTIFACT, module.out()),
            MOE_OK)
      << moe_last_error();
  expectAddWorks(module);
}

TEST(RuntimeNoCompiler, CachedEntriesRunWithoutTheCompiler) {
  TempDir dir;
  moe_compile_options_t options;
  moe_compile_options_init(&options);
  options.cache_dir = dir.path().c_str();
  {
    ScopedEnv jit("MOE_JIT_LIBRARY", MOE_FAKE_JIT);
    Context context;
    Module module;
    ASSERT_EQ(moe_compile_mlir(context, kSource, &options, module.out()),
              MOE_OK)
        << moe_last_error();
  }
  std::string missing = dir.file("nowhere/libmoe_jit.so");
  ScopedEnv jit("MOE_JIT_LIBRARY", missing.c_str());
  Context context;
  Module module;
  ASSERT_EQ(moe_compile_mlir(context, kSource, &options, module.out()), MOE_OK)
      << moe_last_error();
  EXPECT_EQ(module.state(), MOE_CACHE_DISK);
  expectAddWorks(module);
}

TEST(RuntimeNoCompiler, ALibraryThatIsNotTheCompiler) {
  ScopedEnv jit("MOE_JIT_LIBRARY", MOE_TEST_ARTIFACT);
  const char *version = nullptr;
  EXPECT_EQ(moe_compiler_info(&version, nullptr), MOE_ERROR_UNAVAILABLE);
  EXPECT_NE(std::string(moe_last_error())
                .find(std::string(MOE_TEST_ARTIFACT) +
                      " is not the moe-mlir compiler library (it lacks "
                      "moe_jit_compile_request)"),
            std::string::npos)
      << moe_last_error();
}

TEST(RuntimeNoCompiler, ATruncatedCompilerLibraryIsRefusedBeforeDlopen) {
  // A compiler library cut at half its size (an interrupted install) made
  // dlopen() die of SIGSEGV; now it is one clear error.
  TempDir dir;
  std::string half = dir.file("libmoe_jit.so");
  std::string whole = readBytes(MOE_FAKE_JIT);
  writeBytes(half, whole.substr(0, whole.size() / 2));
  ScopedEnv jit("MOE_JIT_LIBRARY", half.c_str());
  const char *version = nullptr;
  EXPECT_EQ(moe_compiler_info(&version, nullptr), MOE_ERROR_UNAVAILABLE);
  EXPECT_NE(std::string(moe_last_error())
                .find(half + " is truncated or not a valid shared object: "),
            std::string::npos)
      << moe_last_error();
}

TEST(RuntimeNoCompiler, CompilerInfoOfTheFake) {
  ScopedEnv jit("MOE_JIT_LIBRARY", MOE_FAKE_JIT);
  ScopedEnv version("FAKE_JIT_VERSION", nullptr);
  const char *text = nullptr, *path = nullptr;
  ASSERT_EQ(moe_compiler_info(&text, &path), MOE_OK) << moe_last_error();
  EXPECT_STREQ(text, "fake-jit 1");
  EXPECT_STREQ(path, MOE_FAKE_JIT);
}
