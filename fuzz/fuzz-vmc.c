/* fuzz/fuzz-vmc.c — libFuzzer target for engine/vmc.c: the whole Evidence
 * Document validation (draft-fetch-validation-vmc-wchuang §4–§5, MCR v1.7)
 * on arbitrary bytes, against the test BIMI PKI's trust store and CT log
 * list, so that certificates which parse but lie (odd extensions, broken
 * logotypes, SCT lists, SANs, chains) reach every check.
 *
 * Invariants: the input never crashes the validator; a result is either
 * valid with no failures or invalid with at least one; a GError is only the
 * size limit. Run from the repository root (fixtures/pki/ paths).
 */
#include "engine/limits.h"
#include "engine/vmc.h"
#include "fuzz/fuzz.h"

#include <stdint.h>
#include <stdlib.h>

static BimiVmcTrust *trust;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  GError *error = NULL;
  GBytes *pem;
  BimiVmcResult *r;
  BimiVmcOptions opts = { 0 };

  if (trust == NULL) {
    trust = bimi_vmc_trust_new_from_files("fixtures/pki/root.pem", "fixtures/pki/ct-logs.cnf", &error);
    if (trust == NULL)
      abort(); /* run from the repository root */
  }
  opts.domain = "brand.test";
  opts.now = 1780272000; /* 2026-06-01T00:00:00Z, inside the test PKI's validity */
  opts.revocation = BIMI_VMC_REVOCATION_SOFT;
  pem = g_bytes_new(data, size);
  r = bimi_vmc_verify(pem, trust, &opts, &error);
  g_bytes_unref(pem);
  if (r == NULL) {
    fuzz_expect_error(error, BIMI_VMC_ERROR);
    g_error_free(error);
    return 0;
  }
  if (error != NULL || r->failures == NULL || (r->valid != (r->failures->len == 0)))
    abort();
  bimi_vmc_result_free(r);
  return 0;
}
