/* fuzz/fuzz-bimi-record.c — libFuzzer target for the BIMI Assertion Record
 * parser (engine/bimi-record.c; spec/bimi-receiver.md §2).
 *
 * Parses the input and checks the promises of bimi.h for every record that
 * parses: declined iff l= and a= are both empty, each URI passes
 * bimi_bimi_uri_check() and is bounded, l= names no raster image suffix, avp flags consistent, lps prefixes
 * lower-case LDH within BIMI_BIMI_MAX_LPS_BYTES and at most
 * BIMI_BIMI_MAX_LPS_PREFIXES. Errors must be BIMI_BIMI_ERROR. Any breach aborts.
 */
#include "engine/bimi-private.h"
#include "engine/bimi.h"
#include "engine/limits.h"
#include "fuzz/fuzz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void
check_uri(const char *uri)
{
  if (uri == NULL)
    return;
  if (strlen(uri) > BIMI_BIMI_MAX_URI_BYTES || !bimi_bimi_uri_check(uri, NULL))
    abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiBimiRecord) rec = bimi_bimi_record_parse((const char *) data, size, &error);

  if (rec == NULL) {
    fuzz_expect_error(error, BIMI_BIMI_ERROR);
    return 0;
  }
  if (error != NULL)
    abort();
  if (rec->declined != (rec->location == NULL && rec->evidence == NULL))
    abort();
  check_uri(rec->location);
  check_uri(rec->evidence);
  if (rec->location != NULL && bimi_bimi__location_image_suffix(rec->location) != NULL)
    abort();
  if (rec->has_avp && rec->avp_invalid)
    abort();
  if (rec->has_lps != (rec->lps != NULL))
    abort();
  if (rec->lps != NULL) {
    guint n = g_strv_length(rec->lps);
    if (n > BIMI_BIMI_MAX_LPS_PREFIXES)
      abort();
    for (guint i = 0; i < n; i++) {
      gsize len = strlen(rec->lps[i]);
      if (len == 0 || len > BIMI_BIMI_MAX_LPS_BYTES)
        abort();
      for (gsize k = 0; k < len; k++) {
        char c = rec->lps[i][k];
        if (!(g_ascii_isdigit(c) || g_ascii_islower(c) || c == '-'))
          abort();
      }
    }
  }
  if (rec->warnings == NULL)
    abort();
  return 0;
}
