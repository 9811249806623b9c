/* engine/base/base-text.c — list splitting for tag values (RFC 6376 §3.5 colon lists). */
#include "engine/base/base-text.h"

char **
bimi_text_split_trimmed(const char *value, char sep)
{
  char s[2] = { sep, '\0' };
  char **items;

  g_return_val_if_fail(value != NULL && sep != '\0', NULL);
  items = g_strsplit(value, s, -1);
  for (guint i = 0; items[i] != NULL; i++)
    g_strstrip(items[i]);
  return items;
}
