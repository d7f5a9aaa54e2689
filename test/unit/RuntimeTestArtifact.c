/*===- RuntimeTestArtifact.c - a hand-written artifact for runtime tests ---===*
 *
 * Implements the artifact ABI of docs/abi.md in plain C, so the runtime's
 * loader, calling convention, status decoding and result handling are tested
 * without the compiler. Entries:
 *   add(a [?,4] f32, b [?,4] f32) -> sum [?,4] f32             (status)
 *     contract 0 (finite "logits") when an element of a is not finite
 *   histogram(ids [?,2] i32) -> counts [4] i32, total [] i32     (status)
 *     contract 1 (ids_range "ids", E = 4) when an id is outside [0, 4)
 *   views(x [?,3] f16) -> same, copy, copy_again [?,3], transposed [3,?],
 *                         shifted [?,3]                          (no status)
 *     same aliases the argument; copy is fresh; copy_again aliases copy;
 *     transposed is a strided view of copy; shifted is copy from row 1 on
 *     (an offset), with T-1 rows
 *   bad_shape(x [?,4] f32) -> y [?,4] f32 returns T+1 rows       (status)
 *   add_nocheck: add without the status parameter (used by the fake
 *     compiler's checks=0 artifacts)
 *
 * With MOE_TEST_MANIFEST_SLOT the manifest is a placeholder that the fake
 * compiler (RuntimeFakeJit.c) overwrites in the file; when it says target
 * nvptx, results are device memory (mgpuMemAlloc), as GPU host code
 * allocates them.
 *
 *===---------------------------------------------------------------------===*/

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

typedef struct {
  void *allocated;
  void *aligned;
  int64_t offset;
  int64_t sizes[2];
  int64_t strides[2];
} Desc2;

typedef struct {
  void *allocated;
  void *aligned;
  int64_t offset;
  int64_t sizes[1];
  int64_t strides[1];
} Desc1;

typedef struct {
  void *allocated;
  void *aligned;
  int64_t offset;
} Desc0;

#ifdef MOE_TEST_MANIFEST_SLOT
/* "MOE-FAKE-MANIFEST-SLOT" followed by zeros; the fake compiler writes the
 * JSON (NUL-terminated) over it. Not const, so it is kept as bytes. */
EXPORT char moe_test_manifest_slot[8192] = "MOE-FAKE-MANIFEST-SLOT";
EXPORT const char *moe_artifact_manifest(void) { return moe_test_manifest_slot; }
#else
static const char manifest[] =
    "{\"format\": 2, \"compiler\": \"hand-written test artifact\", "
    "\"target\": \"cpu\", \"checks\": true, \"entries\": ["
    "{\"name\": \"add\", \"symbol\": \"_mlir_ciface_add\", \"status\": true,"
    " \"args\": [{\"name\": \"a\", \"dtype\": \"f32\", \"shape\": [-1, 4]},"
    "            {\"name\": \"b\", \"dtype\": \"f32\", \"shape\": [-1, 4]}],"
    " \"results\": [{\"name\": \"sum\", \"dtype\": \"f32\", \"shape\": [-1, 4]}]},"
    "{\"name\": \"histogram\", \"symbol\": \"_mlir_ciface_histogram\","
    " \"status\": true,"
    " \"args\": [{\"name\": \"ids\", \"dtype\": \"i32\", \"shape\": [-1, 2]}],"
    " \"results\": [{\"name\": \"counts\", \"dtype\": \"i32\", \"shape\": [4]},"
    "               {\"name\": \"total\", \"dtype\": \"i32\", \"shape\": []}]},"
    "{\"name\": \"views\", \"symbol\": \"_mlir_ciface_views\", \"status\": false,"
    " \"args\": [{\"name\": \"x\", \"dtype\": \"f16\", \"shape\": [-1, 3]}],"
    " \"results\": [{\"name\": \"same\", \"dtype\": \"f16\", \"shape\": [-1, 3]},"
    "   {\"name\": \"copy\", \"dtype\": \"f16\", \"shape\": [-1, 3]},"
    "   {\"name\": \"copy_again\", \"dtype\": \"f16\", \"shape\": [-1, 3]},"
    "   {\"name\": \"transposed\", \"dtype\": \"f16\", \"shape\": [3, -1]},"
    "   {\"name\": \"shifted\", \"dtype\": \"f16\", \"shape\": [-1, 3]}]},"
    "{\"name\": \"bad_shape\", \"status\": true,"
    " \"args\": [{\"name\": \"x\", \"dtype\": \"f32\", \"shape\": [-1, 4]}],"
    " \"results\": [{\"name\": \"y\", \"dtype\": \"f32\", \"shape\": [-1, 4]}]}"
    "], \"contracts\": ["
    "{\"op\": \"moe.route\", \"kind\": \"finite\", \"tensor\": \"logits\","
    " \"rank\": 2},"
    "{\"op\": \"moe.permute\", \"kind\": \"ids_range\", \"tensor\": \"ids\","
    " \"rank\": 2}]}";
EXPORT const char *moe_artifact_manifest(void) { return manifest; }
#endif

/* Records the first violation only, as compiled code does. */
static void violate(Desc1 *status, int64_t site, int64_t i, int64_t j,
                    int64_t value, int64_t context) {
  int64_t *s = (int64_t *)status->aligned + status->offset;
  if (s[0] != 0)
    return;
  s[0] = site + 1;
  s[1] = i;
  s[2] = j;
  s[3] = value;
  s[4] = context;
}

/* Results come from the runtime's allocator, as in compiled CPU artifacts
 * (manifest format 2, docs/abi.md): the runtime frees them with it. GPU
 * artifacts allocate them on the device, which frees them. */
void *_mlir_memref_to_llvm_alloc(size_t bytes);
void *mgpuMemAlloc(uint64_t bytes, void *stream, _Bool hostShared);
static void *allocate(size_t bytes) {
#ifdef MOE_TEST_MANIFEST_SLOT
  if (strstr(moe_test_manifest_slot, "\"target\": \"nvptx\""))
    return mgpuMemAlloc(bytes ? bytes : 1, NULL, 0);
#endif
  return _mlir_memref_to_llvm_alloc(bytes ? bytes : 1);
}

static void fresh2(Desc2 *d, int64_t rows, int64_t cols, size_t elem) {
  d->allocated = allocate((size_t)(rows * cols) * elem);
  d->aligned = d->allocated;
  d->offset = 0;
  d->sizes[0] = rows;
  d->sizes[1] = cols;
  d->strides[0] = cols;
  d->strides[1] = 1;
}

static float at(const Desc2 *d, int64_t i, int64_t j) {
  return ((const float *)d->aligned)[d->offset + i * d->strides[0] +
                                     j * d->strides[1]];
}

static void addImpl(Desc2 *result, Desc2 *a, Desc2 *b, Desc1 *status) {
  int64_t rows = a->sizes[0];
  fresh2(result, rows, 4, sizeof(float));
  float *out = (float *)result->aligned;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < 4; ++j) {
      float x = at(a, i, j);
      if (status && !isfinite(x)) {
        uint32_t bits;
        memcpy(&bits, &x, sizeof(bits));
        violate(status, 0, i, j, (int64_t)bits, 0);
      }
      out[i * 4 + j] = x + at(b, i, j);
    }
}

EXPORT void _mlir_ciface_add(Desc2 *result, Desc2 *a, Desc2 *b, Desc1 *status) {
  addImpl(result, a, b, status);
}

EXPORT void _mlir_ciface_add_nocheck(Desc2 *result, Desc2 *a, Desc2 *b) {
  addImpl(result, a, b, NULL);
}

typedef struct {
  Desc1 counts;
  Desc0 total;
} HistogramResults;

EXPORT void _mlir_ciface_histogram(HistogramResults *results, Desc2 *ids,
                                   Desc1 *status) {
  int32_t *counts = (int32_t *)allocate(4 * sizeof(int32_t));
  int32_t *total = (int32_t *)allocate(sizeof(int32_t));
  memset(counts, 0, 4 * sizeof(int32_t));
  *total = 0;
  const int32_t *data = (const int32_t *)ids->aligned + ids->offset;
  for (int64_t i = 0; i < ids->sizes[0]; ++i)
    for (int64_t j = 0; j < 2; ++j) {
      int32_t id = data[i * ids->strides[0] + j * ids->strides[1]];
      if (id < 0 || id >= 4) {
        violate(status, 1, i, j, id, 4);
        continue; /* memory-safe: the pair routes nowhere */
      }
      counts[id] += 1;
      *total += 1;
    }
  results->counts.allocated = counts;
  results->counts.aligned = counts;
  results->counts.offset = 0;
  results->counts.sizes[0] = 4;
  results->counts.strides[0] = 1;
  results->total.allocated = total;
  results->total.aligned = total;
  results->total.offset = 0;
}

typedef struct {
  Desc2 same, copy, copyAgain, transposed, shifted;
} ViewResults;

EXPORT void _mlir_ciface_views(ViewResults *results, Desc2 *x) {
  int64_t rows = x->sizes[0];
  results->same = *x;
  fresh2(&results->copy, rows, 3, sizeof(uint16_t));
  uint16_t *copy = (uint16_t *)results->copy.aligned;
  const uint16_t *in = (const uint16_t *)x->aligned + x->offset;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < 3; ++j)
      copy[i * 3 + j] = in[i * x->strides[0] + j * x->strides[1]];
  results->copyAgain = results->copy;
  results->transposed = results->copy;
  results->transposed.sizes[0] = 3;
  results->transposed.sizes[1] = rows;
  results->transposed.strides[0] = 1;
  results->transposed.strides[1] = 3;
  results->shifted = results->copy;
  results->shifted.offset = rows > 0 ? 3 : 0;
  results->shifted.sizes[0] = rows > 0 ? rows - 1 : 0;
}

EXPORT void _mlir_ciface_bad_shape(Desc2 *result, Desc2 *x, Desc1 *status) {
  (void)status;
  int64_t rows = x->sizes[0] + 1;
  fresh2(result, rows, 4, sizeof(float));
  memset(result->aligned, 0, (size_t)(rows * 4) * sizeof(float));
}
