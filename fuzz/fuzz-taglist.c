/* fuzz/fuzz-taglist.c — libFuzzer target for engine/taglist (RFC 6376 §3.2).
 *
 * Parses the input strictly and leniently and checks, for every list that
 * parses, the promises of taglist.h: ranges inside the input, the value copy
 * equal to its range, the raw range around the trimmed one and bounded by
 * '=' and ';'/end, unique names, limits respected, lookup finding each tag,
 * and the whitespace-stripped value free of whitespace. Any breach aborts.
 */
#include "engine/limits.h"
#include "engine/taglist.h"
#include "fuzz/fuzz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void
check(const char *in, size_t size, const BimiTagList *l, BimiTaglistFlags flags)
{
  guint n = bimi_taglist_get_n_tags(l);
  if (n > BIMI_MAX_TAGS || (n == 0 && !(flags & BIMI_TAGLIST_FLAG_ALLOW_EMPTY)))
    abort();
  for (guint i = 0; i < n; i++) {
    const BimiTag *t = bimi_taglist_get(l, i);
    gsize name_len = strlen(t->name);
    if (name_len == 0 || name_len > BIMI_MAX_TAG_NAME_BYTES)
      abort();
    if (t->name_offset + name_len > size || memcmp(in + t->name_offset, t->name, name_len) != 0)
      abort();
    if (strlen(t->value) != t->value_len || t->value_offset + t->value_len > size ||
        memcmp(in + t->value_offset, t->value, t->value_len) != 0)
      abort();
    if (t->raw_value_offset == 0 || in[t->raw_value_offset - 1] != '=' ||
        t->raw_value_offset > t->value_offset ||
        t->raw_value_offset + t->raw_value_len < t->value_offset + t->value_len ||
        t->raw_value_offset + t->raw_value_len > size)
      abort();
    gsize end = t->raw_value_offset + t->raw_value_len;
    if (end < size && in[end] != ';' && !(end + 2 == size && in[end] == '\r'))
      abort();
    if (bimi_taglist_lookup(l, t->name) != t)
      abort();
    g_autofree char *nows = bimi_taglist_value_strip_ws(t);
    if (strpbrk(nows, " \t\r\n") != NULL)
      abort();
  }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *in = (const char *) data;
  const BimiTaglistFlags modes[] = { BIMI_TAGLIST_FLAG_NONE, BIMI_TAGLIST_FLAG_ALLOW_EMPTY };
  gboolean strict_ok = FALSE;
  for (guint m = 0; m < G_N_ELEMENTS(modes); m++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(BimiTagList) l = bimi_taglist_parse(in, size, modes[m], &error);
    if (l == NULL) {
      fuzz_expect_error(error, BIMI_TAGLIST_ERROR);
      /* The lenient mode accepts everything the strict one does. */
      if (strict_ok)
        abort();
      continue;
    }
    if (error != NULL)
      abort();
    if (m == 0)
      strict_ok = TRUE;
    check(in, size, l, modes[m]);
  }
  return 0;
}
