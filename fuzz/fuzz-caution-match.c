/* fuzz/fuzz-caution-match.c — libFuzzer target for the caution's normaliser and matcher
 * (engine/caution-text.c, engine/caution.c; issue 19).
 *
 * The input is "display name \n author domain \n brand name \n brand domain" (missing parts
 * empty). The normaliser must never fail on valid UTF-8 within BIMI_CAUTION_MAX_TEXT_BYTES
 * except for the ICU expansion limit, its skeleton must be UTF-8 with no separator at either
 * end (and normalising it again must not fail); the edit distance must be symmetric
 * and bounded; a check against a set holding the brand must never flag a message that is
 * authenticated (DMARC pass) for one of the brand's domains, and every caution it gives must
 * carry a brand, its domains, a signal and the text. Any breach aborts.
 */
#include "engine/base/base-domain.h"
#include "engine/caution-private.h"
#include "engine/limits.h"
#include "fuzz/fuzz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void
check_skeleton(const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *s = bimi_caution_skeleton(text, strlen(text), &error);
  g_autofree char *again = NULL;

  if (s == NULL) {
    if (!g_error_matches(error, BIMI_CAUTION_ERROR, BIMI_CAUTION_ERROR_LIMIT) &&
        !g_error_matches(error, BIMI_CAUTION_ERROR, BIMI_CAUTION_ERROR_INPUT))
      abort();
    return;
  }
  if (!g_utf8_validate(s, -1, NULL) || (*s != '\0' && (s[0] == ' ' || s[strlen(s) - 1] == ' ')))
    abort();
  if (strlen(s) > BIMI_CAUTION_MAX_TEXT_BYTES)
    return; /* the skeleton may be longer than its input: not read again */
  again = bimi_caution_skeleton(s, strlen(s), NULL);
  (void) again; /* the skeleton is not idempotent for every script (UTS #39 §4); it must not crash */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup((const char *) data, size);
  g_auto(GStrv) parts = NULL;
  const char *display, *author, *name, *domain;
  guint n_parts;
  g_autofree char *author_ascii = NULL;

  if (size > BIMI_CAUTION_MAX_TEXT_BYTES + 600 || !g_utf8_validate(text, -1, NULL))
    return 0;
  parts = g_strsplit(text, "\n", 4);
  n_parts = g_strv_length(parts); /* "" splits into no part at all: never index past the terminating NULL */
  display = n_parts > 0 ? parts[0] : "";
  author = n_parts > 1 && display[0] != '\0' ? parts[1] : "";
  name = n_parts > 2 ? parts[2] : "Acme Rockets";
  domain = n_parts > 3 ? parts[3] : "vmc.demo.test";
  if (strlen(display) <= BIMI_CAUTION_MAX_TEXT_BYTES)
    check_skeleton(display);
  {
    glong al = 0, bl = 0;
    g_autofree gunichar *a = g_utf8_to_ucs4_fast(display, MIN((glong) strlen(display), 64), &al);
    g_autofree gunichar *b = g_utf8_to_ucs4_fast(author, MIN((glong) strlen(author), 64), &bl);
    guint d1 = bimi_caution__edit_distance(a, (gsize) al, b, (gsize) bl, 3);
    guint d2 = bimi_caution__edit_distance(b, (gsize) bl, a, (gsize) al, 3);
    if (d1 != d2 || d1 > 4 || (d1 == 0 && (al != bl || memcmp(a, b, sizeof(gunichar) * (gsize) al) != 0)))
      abort();
  }
  if (bimi_domain_to_ascii(author, strlen(author), &author_ascii, NULL) != BIMI_DOMAIN_IDN_OK)
    author_ascii = NULL;
  {
    const char *const domains[] = { domain, NULL };
    g_autoptr(GPtrArray) brands = g_ptr_array_new_with_free_func((GDestroyNotify) bimi_caution_brand_free);
    BimiCautionBrand *b = bimi_caution_brand_new(name, domains, NULL);
    BimiCautionOptions options = { 3, 2, NULL };
    g_autoptr(BimiCautionSet) set = NULL;
    g_autoptr(BimiCautionMatch) m = NULL;

    if (b == NULL)
      return 0;
    g_ptr_array_add(brands, b);
    set = bimi_caution_set_new(brands, &options, NULL);
    if (set == NULL)
      return 0;
    m = bimi_caution_check(set, display, author_ascii, TRUE);
    if (m != NULL) {
      if (m->brand == NULL || m->domains == NULL || m->domains[0] == NULL || m->text == NULL || m->matched == NULL ||
          bimi_caution_signal_to_string(m->signals) == NULL)
        abort();
      if (author_ascii != NULL && bimi_domain_is_within(author_ascii, b->domains[0]))
        abort(); /* authenticated as the brand: never flagged */
    }
    {
      /* the brand's own domain with DMARC pass: no caution, whatever the display name */
      g_autoptr(BimiCautionMatch) own = bimi_caution_check(set, display, b->domains[0], TRUE);
      if (own != NULL)
        abort();
    }
  }
  return 0;
}
