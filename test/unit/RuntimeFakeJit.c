/*===- RuntimeFakeJit.c - a stand-in for libmoe_jit in runtime tests -----===*
 *
 * Exports the C interface of libmoe_jit that the runtime uses
 * (moe_jit_compile_request, moe_jit_version, moe_jit_free). "Compiling" copies
 * the template artifact built from RuntimeTestArtifact.c and writes a
 * manifest for the request into its manifest slot, so the runtime's whole
 * cache path (keys, disk entries, locking, rebuilds, version checks) is
 * tested without MLIR. Targets cpu and nvptx (the host code is the same; the
 * manifest records the target and the chip, for the cuda backend run on the
 * fake driver of test/fake-cuda).
 *
 * Knobs (environment):
 *   FAKE_JIT_VERSION   the version it reports (default "fake-jit 1")
 *   FAKE_JIT_DELAY_MS  sleep this long in each compile (widens races)
 *   FAKE_JIT_LOG       append one line per compile to this file:
 *                      "compile PID TARGET CHIP device|exact" (CHIP "-"
 *                      when none was asked for)
 * Sources containing "syntax error" fail to compile; "garbage" makes it write
 * a file that is not a shared object.
 *
 *===---------------------------------------------------------------------===*/

#include "moe/Jit/moe_jit.h"

#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

static atomic_int compileCount;

EXPORT int fake_jit_compile_count(void) { return atomic_load(&compileCount); }

EXPORT const char *moe_jit_version(void) {
  const char *version = getenv("FAKE_JIT_VERSION");
  return version && *version ? version : "fake-jit 1";
}

EXPORT void moe_jit_free(void *p) { free(p); }

static int fail(char **error, const char *message) {
  if (error)
    *error = strdup(message);
  return 1;
}

/* Appends `text` to out as a JSON string body (quotes and backslashes
 * escaped, control characters dropped). */
static void appendEscaped(char *out, size_t capacity, const char *text) {
  size_t n = strlen(out);
  for (; *text && n + 3 < capacity; ++text) {
    if (*text == '"' || *text == '\\')
      out[n++] = '\\';
    if ((unsigned char)*text >= 0x20)
      out[n++] = *text;
  }
  out[n] = '\0';
}

static char *readAll(const char *path, size_t *size) {
  FILE *file = fopen(path, "rb");
  if (!file)
    return NULL;
  fseek(file, 0, SEEK_END);
  long length = ftell(file);
  fseek(file, 0, SEEK_SET);
  char *bytes = malloc((size_t)length);
  if (bytes && fread(bytes, 1, (size_t)length, file) != (size_t)length) {
    free(bytes);
    bytes = NULL;
  }
  fclose(file);
  *size = (size_t)length;
  return bytes;
}

static int writeAll(const char *path, const char *bytes, size_t size) {
  FILE *file = fopen(path, "wb");
  if (!file)
    return 0;
  int ok = fwrite(bytes, 1, size, file) == size;
  return fclose(file) == 0 && ok;
}

EXPORT int moe_jit_compile_request(const moe_jit_request_t *request,
                                   char **error) {
  const char *source = request->source;
  int sourceIsLayerSpec = request->source_is_layer_spec;
  const char *target = request->target ? request->target : "cpu";
  const char *chip = request->chip;
  int chipIsDevice = request->chip_is_device;
  int checks = request->checks;
  const char *outPath = request->out_path;
  const char *delay = getenv("FAKE_JIT_DELAY_MS");
  if (delay && *delay) {
    long ms = atol(delay);
    struct timespec wait = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&wait, NULL);
  }
  const char *log = getenv("FAKE_JIT_LOG");
  if (log && *log) {
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      char line[256];
      int n = snprintf(line, sizeof(line), "compile %ld %.32s %.32s %s\n",
                       (long)getpid(), target, chip && *chip ? chip : "-",
                       chipIsDevice ? "device" : "exact");
      if (write(fd, line, (size_t)n) != n)
        perror("fake-jit log");
      close(fd);
    }
  }
  atomic_fetch_add(&compileCount, 1);

  if (strstr(source, "syntax error"))
    return fail(error, "<source>:1:1: error: custom op 'syntax' is unknown "
                       "(fake compiler)");
  int nvptx = strcmp(target, "nvptx") == 0;
  if (strcmp(target, "cpu") != 0 && !nvptx)
    return fail(error, "fake compiler: only the cpu and nvptx targets");
  if (strstr(source, "garbage")) {
    static const char junk[] = "this is not a shared object";
    return writeAll(outPath, junk, sizeof(junk) - 1)
               ? 0
               : fail(error, "fake compiler: cannot write");
  }

  size_t size = 0;
  char *bytes = readAll(MOE_FAKE_JIT_TEMPLATE, &size);
  if (!bytes)
    return fail(error, "fake compiler: cannot read " MOE_FAKE_JIT_TEMPLATE);
  static const char marker[] = "MOE-FAKE-MANIFEST-SLOT";
  char *slot = NULL;
  for (size_t i = 0; i + sizeof(marker) <= size; ++i)
    if (memcmp(bytes + i, marker, sizeof(marker) - 1) == 0) {
      slot = bytes + i;
      break;
    }
  if (!slot) {
    free(bytes);
    return fail(error, "fake compiler: no manifest slot in the template");
  }

  char manifest[8192];
  snprintf(manifest, sizeof(manifest),
           "{\"format\": 2, \"compiler\": \"");
  appendEscaped(manifest, sizeof(manifest), moe_jit_version());
  snprintf(manifest + strlen(manifest), sizeof(manifest) - strlen(manifest),
           "\", \"target\": \"%s\", \"checks\": %s, ",
           nvptx ? "nvptx" : "cpu", checks ? "true" : "false");
  if (nvptx) {
    strcat(manifest, "\"chip\": \"");
    appendEscaped(manifest, sizeof(manifest) - 1024,
                  chip && *chip ? chip : "sm_80");
    strcat(manifest, "\", ");
  }
  if (sourceIsLayerSpec) {
    strcat(manifest, "\"layer_spec\": \"");
    appendEscaped(manifest, sizeof(manifest) - 1024, source);
    strcat(manifest, "\", ");
  }
  snprintf(
      manifest + strlen(manifest), sizeof(manifest) - strlen(manifest),
      "\"entries\": [{\"name\": \"add\", \"symbol\": \"%s\", \"status\": %s, "
      "\"args\": [{\"name\": \"a\", \"dtype\": \"f32\", \"shape\": [-1, 4]}, "
      "{\"name\": \"b\", \"dtype\": \"f32\", \"shape\": [-1, 4]}], "
      "\"results\": [{\"name\": \"sum\", \"dtype\": \"f32\", \"shape\": [-1, "
      "4]}]}], \"contracts\": [{\"op\": \"moe.route\", \"kind\": \"finite\", "
      "\"tensor\": \"logits\", \"rank\": 2}]}",
      checks ? "_mlir_ciface_add" : "_mlir_ciface_add_nocheck",
      checks ? "true" : "false");
  memcpy(slot, manifest, strlen(manifest) + 1);

  int ok = writeAll(outPath, bytes, size);
  free(bytes);
  return ok ? 0 : fail(error, "fake compiler: cannot write the output");
}
