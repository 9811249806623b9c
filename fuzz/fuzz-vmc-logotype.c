/* fuzz/fuzz-vmc-logotype.c — libFuzzer target for engine/vmc-logotype.c: the RFC 3709 /
 * RFC 9399 LogotypeExtn DER parser and the data: URI → base64 → gunzip decoder.
 *
 * For every extension that parses: a media type, 1..BIMI_VMC_MAX_LOGOTYPE_ITEMS
 * hashes and URIs, each URI NUL-free and within BIMI_VMC_MAX_LOGO_URI_BYTES;
 * every decoded logo within BIMI_VMC_MAX_SVG_BYTES. The input is also tried as a
 * URI directly. Any breach aborts.
 */
#include "engine/limits.h"
#include "engine/vmc-private.h"
#include "engine/vmc.h"
#include "fuzz/fuzz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void
decode(const char *uri)
{
  GError *error = NULL;
  GBytes *svg = bimi_vmc__logo_data_uri_decode(uri, &error);

  if (svg == NULL) {
    fuzz_expect_error(error, BIMI_VMC_ERROR);
    g_error_free(error);
    return;
  }
  if (g_bytes_get_size(svg) > BIMI_VMC_MAX_SVG_BYTES)
    abort();
  g_bytes_unref(svg);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  GError *error = NULL;
  BimiLogotypeDetails *d = bimi_vmc__logotype_parse(data, size, &error);

  if (d == NULL) {
    fuzz_expect_error(error, BIMI_VMC_ERROR);
    g_error_free(error);
  } else {
    if (d->media_type == NULL || d->hashes->len == 0 || d->uris->len == 0 ||
        d->hashes->len > BIMI_VMC_MAX_LOGOTYPE_ITEMS || d->uris->len > BIMI_VMC_MAX_LOGOTYPE_ITEMS)
      abort();
    for (guint i = 0; i < d->uris->len; i++) {
      const char *u = g_ptr_array_index(d->uris, i);
      if (strlen(u) > BIMI_VMC_MAX_LOGO_URI_BYTES)
        abort();
      decode(u);
    }
    bimi_vmc__logotype_details_free(d);
  }
  if (size <= BIMI_VMC_MAX_LOGO_URI_BYTES) {
    char *s = g_strndup((const char *) data, size);
    decode(s);
    g_free(s);
  }
  return 0;
}
