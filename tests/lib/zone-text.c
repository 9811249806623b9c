/* tests/lib/zone-text.c — see zone-text.h. */
#include "tests/lib/zone-text.h"

void
bimi_test_zone_append_string(GString *zone, const char *s, gsize len)
{
  g_string_append(zone, " \"");
  for (gsize i = 0; i < len; i++) {
    if (s[i] == '"' || s[i] == '\\')
      g_string_append_c(zone, '\\');
    g_string_append_c(zone, s[i]);
  }
  g_string_append_c(zone, '"');
}
