/* fuzz/fuzz-bimi-selector.c — libFuzzer target for the BIMI-Selector header
 * parser and the local-part selector normalisation (engine/bimi-record.c;
 * spec/bimi-receiver.md §2.2, §3).
 *
 * A selector that parses must be lower case, valid per
 * bimi_bimi_selector_is_valid() and bounded. The input, NUL-terminated at
 * its first NUL, is also normalised as a From local part: a result must be
 * 1..BIMI_BIMI_MAX_LPS_BYTES of [a-z0-9-], not starting or ending with "-",
 * and start with the prefix it was asked to match. Any breach aborts.
 */
#include "engine/bimi.h"
#include "engine/limits.h"
#include "fuzz/fuzz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void
check_lps(const char *s, const char *prefix)
{
  gsize len;

  if (s == NULL)
    return;
  len = strlen(s);
  if (len == 0 || len > BIMI_BIMI_MAX_LPS_BYTES || s[0] == '-' || s[len - 1] == '-')
    abort();
  for (gsize i = 0; i < len; i++) {
    if (!(g_ascii_isdigit(s[i]) || g_ascii_islower(s[i]) || s[i] == '-'))
      abort();
  }
  if (prefix != NULL && !g_str_has_prefix(s, prefix))
    abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *sel = NULL;
  g_autofree char *text = g_strndup((const char *) data, size);
  const char *prefixes[] = { "brand-", NULL };

  if (bimi_bimi_selector_parse((const char *) data, size, &sel, &error)) {
    gsize len;
    if (sel == NULL || error != NULL)
      abort();
    len = strlen(sel);
    if (len > BIMI_BIMI_MAX_SELECTOR_BYTES || !bimi_bimi_selector_is_valid(sel, len))
      abort();
    for (gsize i = 0; i < len; i++) {
      if (g_ascii_isupper(sel[i]))
        abort();
    }
  } else if (sel != NULL || error == NULL || error->domain != BIMI_BIMI_ERROR) {
    abort();
  }
  {
    g_autofree char *any = bimi_bimi_local_part_selector(text, NULL);
    g_autofree char *pre = bimi_bimi_local_part_selector(text, prefixes);
    check_lps(any, NULL);
    check_lps(pre, "brand-");
    if (pre != NULL && g_strcmp0(pre, any) != 0)
      abort();
  }
  return 0;
}
