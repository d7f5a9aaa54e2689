/*===- FakeCudaDriver.c - a libcuda.so.1 stand-in for tests -----------------===
 *
 * Lets the runtime's cuda backend run its whole host side on a machine with
 * no GPU: the driver calls the backend makes are answered (one sm_90
 * device, managed memory from malloc) and written to $MOE_FAKE_CUDA_LOG, a
 * line each. Kernels are not executed, so results are meaningless; the test
 * checks the calls: the PTX loaded, the kernels looked up and launched with
 * their grids, every allocation freed.
 *
 *===----------------------------------------------------------------------===*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;
typedef unsigned long long CUdeviceptr;

static FILE *logFile(void) {
  static FILE *file;
  if (!file) {
    const char *path = getenv("MOE_FAKE_CUDA_LOG");
    file = path ? fopen(path, "w") : stderr;
    if (!file)
      file = stderr;
  }
  return file;
}

#define LOG(...)                                                               \
  do {                                                                         \
    fprintf(logFile(), __VA_ARGS__);                                           \
    fflush(logFile());                                                         \
  } while (0)

static long allocations, frees;

CUresult cuInit(unsigned flags) {
  LOG("cuInit %u\n", flags);
  return 0;
}
CUresult cuDeviceGetCount(int *count) {
  *count = 1;
  return 0;
}
CUresult cuDeviceGet(int *device, int ordinal) {
  *device = ordinal;
  return 0;
}
CUresult cuDeviceGetAttribute(int *value, int attribute, int device) {
  (void)device;
  *value = attribute == 75 ? 9 : 0; /* compute capability 9.0 */
  return 0;
}
CUresult cuDevicePrimaryCtxRetain(void **context, int device) {
  static int primary;
  (void)device;
  *context = &primary;
  return 0;
}
CUresult cuCtxSetCurrent(void *context) {
  (void)context;
  return 0;
}
CUresult cuCtxSynchronize(void) { return 0; }
CUresult cuModuleLoadData(void **module, const void *image) {
  const char *text = (const char *)image;
  const char *target = strstr(text, ".target ");
  LOG("cuModuleLoadData ptx=%s target=%.13s\n",
      strncmp(text, "//", 2) == 0 ? "yes" : "no", target ? target : "none");
  *module = strdup("module");
  return 0;
}
CUresult cuModuleUnload(void *module) {
  LOG("cuModuleUnload\n");
  free(module);
  return 0;
}
CUresult cuModuleGetFunction(void **function, void *module, const char *name) {
  (void)module;
  *function = strdup(name); /* leaked: one per kernel, as the driver's */
  return 0;
}
CUresult cuLaunchKernel(void *function, unsigned gx, unsigned gy, unsigned gz,
                        unsigned bx, unsigned by, unsigned bz, unsigned smem,
                        void *stream, void **params, void **extra) {
  (void)stream;
  (void)extra;
  LOG("cuLaunchKernel %s grid %u %u %u block %u %u %u smem %u params %s\n",
      (const char *)function, gx, gy, gz, bx, by, bz, smem,
      params ? "yes" : "no");
  return 0;
}
CUresult cuMemAllocManaged(CUdeviceptr *pointer, size_t bytes,
                           unsigned flags) {
  (void)flags;
  *pointer = (CUdeviceptr)(size_t)malloc(bytes);
  ++allocations;
  return *pointer ? 0 : 2;
}
CUresult cuMemFree_v2(CUdeviceptr pointer) {
  free((void *)(size_t)pointer);
  ++frees;
  LOG("cuMemFree allocations %ld frees %ld\n", allocations, frees);
  return 0;
}
CUresult cuGetErrorString(CUresult error, const char **text) {
  (void)error;
  *text = "fake error";
  return 0;
}
