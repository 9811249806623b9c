/* fuzz/fuzz-authres.c — libFuzzer target for engine/authres (RFC 8601).
 *
 * Parses the input as a field value and as a whole field. Whatever parses
 * must be written back by bimi_authres_to_string(), parse again to an equal
 * structure, and be written identically a second time; otherwise abort. (A
 * re-serialisation may only be refused for size, when quoting pushed it past
 * BIMI_MAX_AUTHRES_BYTES.) Our output is ASCII: UTF-8 input (RFC 6532) is
 * transliterated, so there the first round may change the text; the written
 * form must then be a fixed point: parse it, write it, get the same bytes.
 */
#include "engine/authres.h"
#include "engine/limits.h"
#include "fuzz/fuzz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void
roundtrip(const BimiAuthres *ar, gboolean ascii_input)
{
  g_autofree char *s = bimi_authres_to_string(ar);
  if (s == NULL)
    abort();
  gsize len = strlen(s);
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiAuthres) back = bimi_authres_parse(s, len, &error);
  if (back == NULL) {
    if (len > BIMI_MAX_AUTHRES_BYTES && g_error_matches(error, BIMI_AUTHRES_ERROR, BIMI_AUTHRES_ERROR_LIMIT))
      return;
    abort();
  }
  if (ascii_input && !bimi_authres_equal(ar, back))
    abort();
  g_autofree char *s2 = bimi_authres_to_string(back);
  if (strcmp(s, s2) != 0)
    abort();
  g_autofree char *h = bimi_authres_to_header(ar);
  g_autoptr(BimiAuthres) field = bimi_authres_parse_field(h, strlen(h), NULL);
  if (ascii_input && field != NULL && !bimi_authres_equal(ar, field))
    abort();
}

static void
check(BimiAuthres *ar, GError *error, gboolean ascii_input)
{
  if (ar == NULL) {
    fuzz_expect_error(error, BIMI_AUTHRES_ERROR);
    return;
  }
  if (error != NULL || ar->authserv_id == NULL || *ar->authserv_id == '\0' ||
      ar->results->len > BIMI_MAX_AUTHRES_RESULTS)
    abort();
  for (guint i = 0; i < ar->results->len; i++) {
    const BimiAuthresResult *r = ar->results->pdata[i];
    if (r->properties->len > BIMI_MAX_AUTHRES_PROPERTIES)
      abort();
  }
  roundtrip(ar, ascii_input);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *in = (const char *) data;
  gboolean ascii = TRUE;

  for (size_t i = 0; i < size; i++)
    ascii = ascii && data[i] < 0x80;
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(BimiAuthres) ar = bimi_authres_parse(in, size, &error);
    check(ar, error, ascii);
  }
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(BimiAuthres) ar = bimi_authres_parse_field(in, size, &error);
    check(ar, error, ascii);
  }
  return 0;
}
