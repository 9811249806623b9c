/* fuzz/fuzz-vmc-sct.c — libFuzzer target for engine/vmc-sct.c, the RFC 6962 §3.3
 * SignedCertificateTimestampList parser (raw TLS list, and wrapped in the DER
 * OCTET STRING of the certificate extension).
 *
 * For every list that parses: at most BIMI_VMC_MAX_SCTS SCTs, each raw SCT
 * non-empty and inside the input, v1 SCTs with a non-empty signature whose
 * declared lengths add up to the SCT's length. Any breach aborts.
 */
#include "engine/limits.h"
#include "engine/vmc-private.h"
#include "engine/vmc.h"
#include "fuzz/fuzz.h"

#include <stdint.h>
#include <stdlib.h>

static void
check(GPtrArray *scts, GError *error, size_t size)
{
  if (scts == NULL) {
    fuzz_expect_error(error, BIMI_VMC_ERROR);
    g_error_free(error);
    return;
  }
  if (scts->len > BIMI_VMC_MAX_SCTS)
    abort();
  for (guint i = 0; i < scts->len; i++) {
    BimiSct *s = g_ptr_array_index(scts, i);
    gsize n = g_bytes_get_size(s->raw);
    if (n == 0 || n > size)
      abort();
    if (s->version == 0 && (s->signature_len == 0 || 1 + 32 + 8 + 2 + s->extensions_len + 2 + 2 + s->signature_len != n))
      abort();
  }
  g_ptr_array_unref(scts);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  GError *e1 = NULL, *e2 = NULL;
  GPtrArray *a = bimi_vmc__sct_list_parse(data, size, &e1);
  GPtrArray *b;

  check(a, e1, size);
  b = bimi_vmc__sct_list_from_extension(data, size, &e2);
  check(b, e2, size);
  return 0;
}
