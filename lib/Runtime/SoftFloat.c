/*===- SoftFloat.c - the bf16 rounding helper compiled code may call ------===
 *
 * LLVM rounds f32 to bf16 with a call to __truncsfbf2 wherever x86 code
 * keeps a bf16 value in a register (a select or phi of bf16, which the
 * optimizer makes from the emulated kernels). Compiler-rt and the libgcc of
 * GCC >= 13 define it; GCC 12's does not, so the runtime exports it for the
 * artifacts it loads. Round to nearest even; NaN stays a quiet NaN.
 *
 *===----------------------------------------------------------------------===*/
#include "moe/Runtime/moe_runtime.h"

#include <stdint.h>
#include <string.h>

/* _Float16 has bf16's calling convention on x86-64: the 16 bits in the low
 * half of xmm0. */
MOE_RUNTIME_API _Float16 __truncsfbf2(float value) {
  uint32_t bits;
  memcpy(&bits, &value, sizeof bits);
  uint16_t rounded;
  if ((bits & 0x7fffffffu) > 0x7f800000u)
    rounded = (uint16_t)((bits >> 16) | 0x0040u);
  else
    rounded = (uint16_t)((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
  _Float16 result;
  memcpy(&result, &rounded, sizeof result);
  return result;
}
