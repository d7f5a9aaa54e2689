/*===- RuntimeCApi.c - the C API used from C -----------------------------===*
 *
 * Compiled as C11 with -pedantic: moe_runtime.h must be a C header. Called
 * from RuntimeContextTest.cpp.
 *
 *===---------------------------------------------------------------------===*/

#include "moe/Runtime/moe_runtime.h"

#include <string.h>

int moe_test_c_api_smoke(const char *artifact) {
  moe_context_t context = NULL;
  if (moe_context_create(MOE_BACKEND_AUTO, &context) != MOE_OK)
    return 1;
  moe_module_t module = NULL;
  if (moe_load_artifact(context, artifact, &module) != MOE_OK)
    return 2;
  float a[8] = {1, 2, 3, 4, 5, 6, 7, 8}, b[8] = {1, 1, 1, 1, 1, 1, 1, 1},
        sum[8] = {0};
  int64_t shape[2] = {2, 4};
  moe_buffer_t inputs[2] = {{a, MOE_DTYPE_F32, 2, shape, NULL},
                            {b, MOE_DTYPE_F32, 2, shape, NULL}};
  moe_buffer_t output = {sum, MOE_DTYPE_F32, 2, shape, NULL};
  if (moe_run(module, "add", inputs, 2, &output, 1) != MOE_OK)
    return 3;
  for (int i = 0; i < 8; ++i)
    if (sum[i] != a[i] + 1)
      return 4;
  moe_status_t status = moe_run(module, "nope", inputs, 2, &output, 1);
  if (status != MOE_ERROR_INVALID_ARGUMENT ||
      strstr(moe_last_error(), "no entry point 'nope'") == NULL)
    return 5;
  moe_module_release(module);
  moe_context_destroy(context);
  return 0;
}
