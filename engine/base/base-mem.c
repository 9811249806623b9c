/* engine/base/base-mem.c — see base-mem.h. */
#include "engine/base/base-mem.h"

void
bimi_free_all(gpointer const *ptrs, gsize n)
{
  g_return_if_fail(ptrs != NULL || n == 0);
  for (gsize i = 0; i < n; i++)
    g_free(ptrs[i]);
}
