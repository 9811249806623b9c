/* fuzz/fuzz-vmc-pem.c — libFuzzer target for engine/vmc-pem.c (RFC 7468 PEM
 * certificate chains, the Evidence Document loader of engine/vmc).
 *
 * Checks the loader's promises: a result is never empty and never larger than
 * BIMI_VMC_MAX_CHAIN_CERTS; every certificate re-encodes to DER within
 * BIMI_VMC_MAX_CERT_BYTES; a NULL result always carries an error of
 * BIMI_VMC_ERROR. Any breach aborts. Inputs past BIMI_VMC_MAX_PEM_BYTES must
 * be refused with BIMI_VMC_ERROR_LIMIT.
 */
#include "engine/limits.h"
#include "engine/vmc-private.h"
#include "engine/vmc.h"
#include "fuzz/fuzz.h"

#include <stdint.h>
#include <stdlib.h>
#include <openssl/x509.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  GError *error = NULL;
  GPtrArray *certs = bimi_vmc__pem_chain_parse(data, size, &error);

  if (certs == NULL) {
    fuzz_expect_error(error, BIMI_VMC_ERROR);
    if (size > BIMI_VMC_MAX_PEM_BYTES && error->code != BIMI_VMC_ERROR_LIMIT)
      abort();
    g_error_free(error);
    return 0;
  }
  if (error != NULL || certs->len == 0 || certs->len > BIMI_VMC_MAX_CHAIN_CERTS)
    abort();
  for (guint i = 0; i < certs->len; i++) {
    int n = i2d_X509(g_ptr_array_index(certs, i), NULL);
    if (n <= 0 || (unsigned) n > BIMI_VMC_MAX_CERT_BYTES)
      abort();
  }
  g_ptr_array_unref(certs);
  return 0;
}
