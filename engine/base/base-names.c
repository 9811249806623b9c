/* engine/base/base-names.c — see base-names.h. */
#include "engine/base/base-names.h"

#include <string.h>

const char *
bimi_names_get(const char *const *names, gsize n_names, guint value, const char *fallback)
{
  g_return_val_if_fail(names != NULL || n_names == 0, fallback);
  if (value >= n_names || names[value] == NULL)
    return fallback;
  return names[value];
}

gboolean
bimi_names_find(const char *const *names, gsize n_names, const char *text, guint flags, guint *out_value)
{
  g_return_val_if_fail(names != NULL || n_names == 0, FALSE);
  g_return_val_if_fail(out_value != NULL, FALSE);
  if (text == NULL)
    return FALSE;
  for (gsize i = 0; i < n_names; i++) {
    if (names[i] == NULL)
      continue;
    if ((flags & BIMI_NAMES_ASCII_CASELESS) != 0 ? g_ascii_strcasecmp(text, names[i]) == 0
                                                  : strcmp(text, names[i]) == 0) {
      *out_value = (guint) i;
      return TRUE;
    }
  }
  return FALSE;
}
