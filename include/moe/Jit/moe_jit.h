/*===- moe_jit.h - the compiler's C entry points (libmoe_jit) -----*- C -*-===*
 *
 * libmoe_runtime dlopen()s libmoe_jit.so only when it must compile; these
 * are the symbols it looks up. Artifacts are described in docs/abi.md.
 *
 *===----------------------------------------------------------------------===*/
#ifndef MOE_JIT_MOE_JIT_H
#define MOE_JIT_MOE_JIT_H

#ifdef __cplusplus
extern "C" {
#endif

/* What to compile (fields NULL or 0 when unused). */
typedef struct moe_jit_request {
  const char *source;       /* MLIR text, or a layer spec */
  int source_is_layer_spec; /* nonzero: `source` is a layer spec */
  const char *target;       /* "cpu" (NULL), "emu", "nvptx", "rocdl" */
  /* GPU targets: the chip (NULL or "": the target's default; sm_90, gfx942,
   * ...). With chip_is_device nonzero, `chip` is the chip of the device the
   * artifact will run on: an NVIDIA chip newer than the compiler knows
   * compiles for the newest one it knows below it (PTX runs on newer GPUs
   * through the driver's JIT). The manifest's "chip" is the chip used. */
  const char *chip;
  int chip_is_device;
  int checks;             /* nonzero: compile the runtime contract checks in */
  const char *tile_table; /* cpu: a tuning table file replacing the built-in */
  const char *out_path;   /* where the artifact is written */
} moe_jit_request_t;

/* Compiles `request` into an artifact at request->out_path; libmoe_runtime
 * calls this one. Returns 0 on success; otherwise nonzero and *error is a
 * malloc'd message to release with moe_jit_free. */
int moe_jit_compile_request(const moe_jit_request_t *request, char **error);

/* moe_jit_compile_request with only these fields (no chip, the built-in
 * tile table): the entry point of earlier runtimes, kept for them. */
int moe_jit_compile(const char *source, int source_is_layer_spec,
                    const char *target, int checks, const char *out_path,
                    char **error);

/* "moe-mlir 0.1.0 (LLVM 22.1.8; jit <hash of this library>)": changes with
 * every rebuild of the compiler, so cached artifacts are keyed by it. */
const char *moe_jit_version(void);

void moe_jit_free(void *pointer);

#ifdef __cplusplus
}
#endif

#endif /* MOE_JIT_MOE_JIT_H */
