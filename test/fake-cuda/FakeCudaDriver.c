/*===- FakeCudaDriver.c - a libcuda.so.1 stand-in for tests -----------------===
 *
 * Lets the runtime's cuda backend run its whole host side on a machine with
 * no GPU: the driver calls the backend makes are answered (one device of
 * compute capability $MOE_FAKE_CUDA_CC, "MAJOR.MINOR", default 9.0; device
 * memory from malloc) and written to $MOE_FAKE_CUDA_LOG, a line each. Kernels are not executed, so results are meaningless; the test
 * checks the calls: the PTX loaded, the kernels looked up and launched with
 * their grids, every allocation freed.
 *
 *===----------------------------------------------------------------------===*/
#include <pthread.h>
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
  int major = 9, minor = 0;
  const char *capability = getenv("MOE_FAKE_CUDA_CC");
  if (capability && *capability &&
      sscanf(capability, "%d.%d", &major, &minor) != 2)
    return 1; /* CUDA_ERROR_INVALID_VALUE */
  /* CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR and _MINOR */
  *value = attribute == 75 ? major : attribute == 76 ? minor : 0;
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
  LOG("cuModuleLoadData ptx=%s target=%.*s\n",
      strncmp(text, "//", 2) == 0 ? "yes" : "no",
      target ? (int)strcspn(target, ",\n") : 4, target ? target : "none");
  *module = strdup("module");
  return 0;
}
CUresult cuModuleUnload(void *module) {
  LOG("cuModuleUnload\n");
  free(module);
  return 0;
}
/* Function handles live as long as the process (the driver frees them with
 * their module): one interned name per kernel, kept reachable. */
enum { kMaxFunctions = 1024 };
static char *functions[kMaxFunctions];
static pthread_mutex_t functionsLock = PTHREAD_MUTEX_INITIALIZER;

CUresult cuModuleGetFunction(void **function, void *module, const char *name) {
  (void)module;
  CUresult result = 500; /* CUDA_ERROR_NOT_FOUND */
  pthread_mutex_lock(&functionsLock);
  for (int i = 0; i < kMaxFunctions; ++i) {
    if (!functions[i])
      functions[i] = strdup(name);
    if (functions[i] && strcmp(functions[i], name) == 0) {
      *function = functions[i];
      result = 0;
      break;
    }
  }
  pthread_mutex_unlock(&functionsLock);
  return result;
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
/* Device memory is malloc'ed; the live allocations are remembered so that
 * cuPointerGetAttribute can tell device pointers from host ones. */
enum { kMaxLive = 4096 };
static struct {
  char *base;
  size_t bytes;
} live[kMaxLive];

CUresult cuMemAlloc_v2(CUdeviceptr *pointer, size_t bytes) {
  char *memory = malloc(bytes);
  if (!memory)
    return 2; /* CUDA_ERROR_OUT_OF_MEMORY */
  for (int i = 0; i < kMaxLive; ++i)
    if (!live[i].base) {
      live[i].base = memory;
      live[i].bytes = bytes;
      *pointer = (CUdeviceptr)(size_t)memory;
      ++allocations;
      return 0;
    }
  free(memory);
  return 2;
}
CUresult cuMemFree_v2(CUdeviceptr pointer) {
  for (int i = 0; i < kMaxLive; ++i)
    if (live[i].base == (char *)(size_t)pointer)
      live[i].base = NULL;
  free((void *)(size_t)pointer);
  ++frees;
  LOG("cuMemFree allocations %ld frees %ld\n", allocations, frees);
  return 0;
}
static int isDevice(CUdeviceptr pointer) {
  const char *p = (const char *)(size_t)pointer;
  for (int i = 0; i < kMaxLive; ++i)
    if (live[i].base && p >= live[i].base && p < live[i].base + live[i].bytes)
      return 1;
  return 0;
}
CUresult cuMemcpy(CUdeviceptr destination, CUdeviceptr source, size_t bytes) {
  LOG("cuMemcpy %s to %s bytes %zu\n", isDevice(source) ? "device" : "host",
      isDevice(destination) ? "device" : "host", bytes);
  memmove((void *)(size_t)destination, (const void *)(size_t)source, bytes);
  return 0;
}
CUresult cuPointerGetAttribute(void *data, int attribute, CUdeviceptr pointer) {
  if (attribute != 2 /* CU_POINTER_ATTRIBUTE_MEMORY_TYPE */ || !isDevice(pointer))
    return 1; /* CUDA_ERROR_INVALID_VALUE, as for an unregistered host pointer */
  *(unsigned *)data = 2; /* CU_MEMORYTYPE_DEVICE */
  return 0;
}
CUresult cuGetErrorString(CUresult error, const char **text) {
  (void)error;
  *text = "fake error";
  return 0;
}
