/*===- moe_emu.h - the GPU emulator's ABI ---------------------------*- C -*-===
 *
 * What code compiled for the emu target calls (docs/abi.md, "Emulator"):
 * libmoe_runtime runs each launch block after block, one fiber per GPU
 * thread; a kernel reads its ids with moe_emu_id and waits for its block at
 * moe_emu_barrier. Not for hand-written callers.
 *
 *===----------------------------------------------------------------------===*/
#ifndef MOE_RUNTIME_MOE_EMU_H
#define MOE_RUNTIME_MOE_EMU_H

#include "moe/Runtime/moe_runtime.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Runs `kernel(params)` once per thread of a grid x block launch (params:
 *  pointers to each kernel argument, cuLaunchKernel's convention). A launch
 *  with a zero (or negative) dimension does nothing, as GPU launches of an
 *  empty grid are skipped by the runtime. Returns 0, or 1 when the kernel
 *  (named `name` in the message) did what a GPU would not run correctly:
 *  barrier divergence (a thread returned while others wait at a barrier), an
 *  out-of-bounds access reported by its checks (moe_emu_out_of_bounds), a
 *  workgroup-memory race (moe_emu_workgroup_access); the
 *  launch stops at a divergence, and moe_emu_error() describes the first
 *  error, naming the block and the thread. */
MOE_RUNTIME_API int moe_emu_launch(const char *name, void (*kernel)(void **),
                                   void **params, int64_t grid_x,
                                   int64_t grid_y, int64_t grid_z,
                                   int64_t block_x, int64_t block_y,
                                   int64_t block_z);

/** The first error of the calling thread's last launch ("" when none). */
MOE_RUNTIME_API const char *moe_emu_error(void);

/** Called by a kernel compiled with checks instead of an access out of
 *  bounds (which it skips): whether it was a store, whether to workgroup
 *  memory, and the first dim whose index is outside [0, size). */
MOE_RUNTIME_API void moe_emu_out_of_bounds(int32_t is_store,
                                           int32_t is_workgroup, int64_t dim,
                                           int64_t index, int64_t size);

/** Called by a kernel compiled with checks before each (in-bounds) load or
 *  store of workgroup buffer `buffer` (of `size` elements) at element
 *  `index`: two threads touching one element between the same two barriers,
 *  one of them storing, are a race, reported as an error of the launch. */
MOE_RUNTIME_API void moe_emu_workgroup_access(int32_t buffer, int64_t size,
                                              int64_t index, int32_t is_store);

/** The running thread's ids: 0-2 thread x/y/z, 3-5 block x/y/z, 6-8 block
 *  dims, 9-11 grid dims, 12 its lane in a 32-lane warp (its linear thread
 *  id mod 32), 13 its lane in a 64-lane AMD wave (mod 64). */
MOE_RUNTIME_API int64_t moe_emu_id(int32_t which);

/** Waits until every running thread of the block has arrived. */
MOE_RUNTIME_API void moe_emu_barrier(void);

/* Asynchronous copies to workgroup memory (nvgpu.device_async_copy, PTX
 * cp.async), per thread: a copy joins the thread's open group; a commit
 * closes it; a wait completes every committed group but the newest
 * `groups`. A copy lands only then (or when the thread ends), so a kernel
 * that reads its destination earlier reads the old contents. */

/** Queues a copy of `dst_bytes` (4, 8 or 16) to `dst`: `src_bytes` of them
 *  from `src`, the rest zeros. `buffer` >= 0: the destination is elements
 *  index .. index + elements - 1 of workgroup buffer `buffer` (of `size`
 *  elements), which the race detector sees stored when the copy lands. */
MOE_RUNTIME_API void moe_emu_async_copy(int64_t dst, int64_t src,
                                        int32_t dst_bytes, int32_t src_bytes,
                                        int32_t buffer, int64_t size,
                                        int64_t index, int32_t elements);
/** nvgpu.device_async_create_group: closes the thread's open group. */
MOE_RUNTIME_API void moe_emu_async_commit(void);
/** nvgpu.device_async_wait {numGroups = groups}. */
MOE_RUNTIME_API void moe_emu_async_wait(int32_t groups);

/* Warp collectives. A warp is 32 consecutive threads of a block (by linear
 * thread id), an AMD wave 64 (moe_emu_mfma; shuffles and reductions take
 * their width); each lane calls the function
 * with its own operands and returns once every lane of its warp has arrived
 * and the instruction is computed. A lane that never arrives (it returned,
 * or waits at a barrier), lanes at different collectives, and a partial
 * warp are errors of the launch. Addresses are passed as integers. */

/** mma.sync operand element types. */
enum {
  MOE_EMU_MATRIX_F32 = 0,
  MOE_EMU_MATRIX_F16 = 1,
  MOE_EMU_MATRIX_BF16 = 2,
  MOE_EMU_MATRIX_TF32 = 3
};

/** nvgpu.ldmatrix (ldmatrix.sync.aligned.m8n8.x{num_tiles}[.trans].b16):
 *  `row` is the address of the 16-byte row this lane supplies (lanes 8i to
 *  8i+7 supply matrix i; 0: a row out of bounds, read as zeros), `out`
 *  receives num_tiles 32-bit words (1, 2 or 4). */
MOE_RUNTIME_API void moe_emu_ldmatrix(int64_t row, int64_t out,
                                      int32_t num_tiles, int32_t transpose);

/** nvgpu.mma.sync m x n x k: this lane's A, B and C fragments (PTX layouts)
 *  at `a`, `b`, `c`; its D fragment is written to `d`. */
MOE_RUNTIME_API void moe_emu_mma_sync(int64_t a, int64_t b, int64_t c,
                                      int64_t d, int32_t m, int32_t n,
                                      int32_t k, int32_t ab_type,
                                      int32_t cd_type);

/** amdgpu.mfma m x n x k (one block) over a 64-lane wave: this lane's A, B
 *  and C fragments (CDNA3 ISA layouts) at `a`, `b`, `c`; its D fragment is
 *  written to `d`. Types are MOE_EMU_MATRIX_*. */
MOE_RUNTIME_API void moe_emu_mfma(int64_t a, int64_t b, int64_t c, int64_t d,
                                  int32_t m, int32_t n, int32_t k,
                                  int32_t ab_type, int32_t cd_type);

/** gpu.shuffle modes (gpu::ShuffleMode's numbering is not used here). */
enum {
  MOE_EMU_SHUFFLE_XOR = 0,
  MOE_EMU_SHUFFLE_UP = 1,
  MOE_EMU_SHUFFLE_DOWN = 2,
  MOE_EMU_SHUFFLE_IDX = 3
};

/** gpu.shuffle: this lane's value (its bits, up to 64), its offset and the
 *  warp's mode and width; `out` receives two int64: the source lane's value
 *  and 1 when the source lane lies in [0, width) (else the lane's own value
 *  and 0). `lanes`: the warp's, 32 or 64 (an AMD wave). */
MOE_RUNTIME_API void moe_emu_shuffle(int64_t value, int32_t offset,
                                     int32_t width, int32_t mode, int64_t out,
                                     int32_t lanes);

/** Scalar types of gpu.subgroup_reduce: integers are their bit width. */
enum {
  MOE_EMU_SCALAR_F16 = 0x110,
  MOE_EMU_SCALAR_BF16 = 0x310,
  MOE_EMU_SCALAR_F32 = 0x120,
  MOE_EMU_SCALAR_F64 = 0x140
};

/** gpu.subgroup_reduce operations (gpu::AllReduceOperation's numbering). */
enum {
  MOE_EMU_REDUCE_ADD = 0,
  MOE_EMU_REDUCE_MUL = 1,
  MOE_EMU_REDUCE_MINUI = 2,
  MOE_EMU_REDUCE_MINSI = 3,
  MOE_EMU_REDUCE_MINNUMF = 4,
  MOE_EMU_REDUCE_MAXUI = 5,
  MOE_EMU_REDUCE_MAXSI = 6,
  MOE_EMU_REDUCE_MAXNUMF = 7,
  MOE_EMU_REDUCE_AND = 8,
  MOE_EMU_REDUCE_OR = 9,
  MOE_EMU_REDUCE_XOR = 10,
  MOE_EMU_REDUCE_MINIMUMF = 11,
  MOE_EMU_REDUCE_MAXIMUMF = 12
};

/** gpu.subgroup_reduce of this lane's value (bits) over its cluster of
 *  `cluster_size` lanes `cluster_stride` apart, combined in ascending lane
 *  order; returns the cluster's result. `lanes`: the warp's, 32 or 64. */
MOE_RUNTIME_API int64_t moe_emu_subgroup_reduce(int64_t value, int32_t op,
                                                int32_t scalar,
                                                int32_t cluster_size,
                                                int32_t cluster_stride,
                                                int32_t lanes);

#ifdef __cplusplus
}
#endif

#endif /* MOE_RUNTIME_MOE_EMU_H */
