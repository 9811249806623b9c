/* fuzz/fuzz-caution-text.c — libFuzzer target for engine/caution-text.c, the ICU normaliser of the
 * brand-impersonation caution: arbitrary bytes as a display name (tokens with and without the skeleton
 * first, the joined skeleton) and as a domain (its skeleton). Traps when a token is empty or not UTF-8,
 * or when an input over BIMI_CAUTION_MAX_TEXT_BYTES is accepted. */
#include "engine/caution-private.h"
#include "engine/limits.h"
#include "fuzz/fuzz.h"

#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void
check_tokens(const char *text, gsize len, gboolean skeleton_first)
{
  g_autoptr(GError) error = NULL;
  guint chars = 0;
  g_autoptr(GPtrArray) tokens = bimi_caution__tokens(text, len, skeleton_first, &chars, &error);

  if (tokens == NULL) {
    if (error == NULL)
      abort();
    return;
  }
  if (len > BIMI_CAUTION_MAX_TEXT_BYTES)
    abort();
  for (guint i = 0; i < tokens->len; i++) {
    const char *t = tokens->pdata[i];
    if (t[0] == '\0' || !g_utf8_validate(t, -1, NULL))
      abort();
  }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup((const char *) data, size);
  gsize len = strlen(text);
  g_autofree char *skeleton = NULL;
  g_autofree char *domain = NULL;

  check_tokens(text, len, FALSE);
  check_tokens(text, len, TRUE);
  skeleton = bimi_caution_skeleton(text, len, NULL);
  if (skeleton != NULL && !g_utf8_validate(skeleton, -1, NULL))
    abort();
  if (len <= BIMI_DNS_MAX_NAME_BYTES && g_utf8_validate(text, (gssize) len, NULL)) {
    domain = bimi_caution_domain_skeleton(text, NULL);
    if (domain != NULL && !g_utf8_validate(domain, -1, NULL))
      abort();
  }
  return 0;
}
