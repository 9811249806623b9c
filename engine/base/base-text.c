/* engine/base/base-text.c — list splitting for tag values (RFC 6376 §3.5 colon
 * lists), escaping of hostile bytes for logs and messages, and RFC 4180 CSV fields. */
#include "engine/base/base-text.h"

#include <string.h>

/* Escapes @n bytes of @data into @out (see bimi_text_escape_ascii()). */
static void
escape_into(GString *out, const char *data, gsize n, guint flags)
{
  static const char hex[] = "0123456789abcdef";
  const char *run = data;

  for (gsize i = 0; i < n; i++) {
    guchar c = (guchar) data[i];
    if (c >= 0x20 && c < 0x7f && c != '\\' && !(c == '"' && (flags & BIMI_TEXT_ESCAPE_QUOTE)) &&
        !(c == ' ' && (flags & BIMI_TEXT_ESCAPE_SPACE)))
      continue;
    g_string_append_len(out, run, data + i - run);
    run = data + i + 1;
    char x[4] = { '\\', 'x', hex[c >> 4], hex[c & 0xf] };
    g_string_append_len(out, x, sizeof x);
  }
  g_string_append_len(out, run, data + n - run);
}

char *
bimi_text_escape_ascii(const char *data, gsize len, gsize max, guint flags)
{
  gsize n = MIN(len, max);
  GString *out;

  g_return_val_if_fail(data != NULL || len == 0, NULL);
  out = g_string_sized_new(n + 8);
  escape_into(out, data, n, flags);
  if (len > max)
    g_string_append(out, "...");
  return g_string_free(out, FALSE);
}

void
bimi_text_append_escaped_ascii(GString *out, const char *data, gssize len, gsize max, guint flags)
{
  g_return_if_fail(out != NULL);
  if (data == NULL) {
    g_string_append_c(out, '-');
    return;
  }
  gsize n = len >= 0 ? (gsize) len : strnlen(data, max < G_MAXSIZE ? max + 1 : max);
  escape_into(out, data, MIN(n, max), flags);
  if (n > max)
    g_string_append(out, "...");
}

char **
bimi_text_split_trimmed(const char *value, char sep)
{
  g_return_val_if_fail(value != NULL && sep != '\0', NULL);
  /* as g_strsplit() + g_strstrip(), in one allocation per item (DKIM
   * parses an h= list per signature: issue 21) */
  guint n = value[0] == '\0' ? 0 : 1;
  for (const char *c = value; *c != '\0'; c++)
    n += *c == sep;
  char **items = g_new(char *, n + 1);
  const char *start = value;
  for (guint i = 0; i < n; i++) {
    const char *end = strchr(start, sep);
    const char *next = end != NULL ? end + 1 : NULL;
    if (end == NULL)
      end = start + strlen(start);
    const char *a = start, *b = end;
    while (a < b && g_ascii_isspace(*a))
      a++;
    while (b > a && g_ascii_isspace(b[-1]))
      b--;
    items[i] = g_strndup(a, (gsize) (b - a));
    start = next;
  }
  items[n] = NULL;
  return items;
}

void
bimi_text_append_uint(GString *out, guint64 value)
{
  char buf[20], *d = buf + sizeof buf; /* G_MAXUINT64 has 20 digits */

  g_return_if_fail(out != NULL);
  do
    *--d = (char) ('0' + value % 10);
  while ((value /= 10) != 0);
  g_string_append_len(out, d, buf + sizeof buf - d);
}

void
bimi_text_set_printf(char **slot, const char *format, ...)
{
  va_list ap;
  char *text;

  g_return_if_fail(format != NULL);
  if (slot == NULL)
    return;
  va_start(ap, format);
  text = g_strdup_vprintf(format, ap);
  va_end(ap);
  g_free(*slot);
  *slot = text;
}

void
bimi_text_append_csv_field(GString *out, const char *value, gboolean last)
{
  if (value == NULL)
    value = "";
  if (strpbrk(value, ",\"\r\n") != NULL) {
    g_string_append_c(out, '"');
    for (const char *p = value; *p != '\0'; p++) {
      if (*p == '"')
        g_string_append_c(out, '"');
      g_string_append_c(out, *p);
    }
    g_string_append_c(out, '"');
  } else {
    g_string_append(out, value);
  }
  g_string_append(out, last ? "\r\n" : ",");
}
