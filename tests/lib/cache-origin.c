/* tests/lib/cache-origin.c — see cache-origin.h. */
#include "tests/lib/cache-origin.h"

#include <string.h>

gboolean
bimi_test_origin_fetch(const char *selector, const char *domain, gpointer user_data, GBytes **value,
                       gboolean *negative, guint *ttl_s, GError **error)
{
  BimiTestOrigin *o = user_data;
  guint n = atomic_fetch_add(&o->calls, 1) + 1;
  char *s;

  if (o->sleep_ms > 0)
    g_usleep(o->sleep_ms * 1000);
  if (o->fail) {
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_AGAIN, "origin slow");
    return FALSE;
  }
  s = o->name_in_value ? g_strdup_printf("v%u:%s/%s", n, selector, domain) : g_strdup_printf("v%u", n);
  *value = g_bytes_new_take(s, strlen(s) + 1);
  *negative = o->negative;
  *ttl_s = o->ttl_s;
  return TRUE;
}
