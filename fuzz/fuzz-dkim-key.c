/* fuzz/fuzz-dkim-key.c — libFuzzer target for DKIM key records (RFC 6376
 * §3.6.1, RFC 8463 §4): bimi_dkim__key_parse() on the input. A key that
 * parses is either revoked (no EVP key, 0 bits) or carries an EVP key of its
 * k= type within BIMI_DKIM_MAX_KEY_BITS (Ed25519: 256). Errors are DKIM errors.
 */
#include "engine/dkim-private.h"
#include "engine/limits.h"
#include "fuzz/fuzz.h"

#include <stdint.h>
#include <stdlib.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiDkimKey) k = bimi_dkim__key_parse((const char *) data, size, &error);
  if (k == NULL) {
    fuzz_expect_error(error, BIMI_DKIM_ERROR);
    return 0;
  }
  if (size > BIMI_DKIM_MAX_KEY_RECORD_BYTES)
    abort();
  if (k->revoked) {
    if (k->pkey != NULL || k->bits != 0)
      abort();
    return 0;
  }
  if (k->pkey == NULL || k->bits == 0 || k->bits > BIMI_DKIM_MAX_KEY_BITS)
    abort();
  int id = EVP_PKEY_get_base_id(k->pkey);
  if (k->type == BIMI_DKIM_KEY_TYPE_ED25519 ? (id != EVP_PKEY_ED25519 || k->bits != 256) : id != EVP_PKEY_RSA)
    abort();
  return 0;
}
