/* fuzz/fuzz-authres-trust.c — libFuzzer target for engine/authres-trust.
 *
 * The input is a whole message. bimi_authres_trusted_own() walks its
 * Authentication-Results fields with authserv-id "mx.example", once in the
 * mta_strips_authres model and once in the own-signing-domain model (with no
 * DKIM result, so nothing may be trusted there). Checks: a returned A-R has our
 * authserv-id and parses back from its own text; without a passing signature
 * the signing-domain model never trusts anything; a refusal always says why.
 */
#include "engine/authres-trust.h"
#include "engine/message.h"
#include "fuzz/fuzz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autoptr(GBytes) raw = g_bytes_new(data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiMessage) msg = bimi_message_parse(raw, &error);
  g_autoptr(GPtrArray) no_signatures = g_ptr_array_new();

  if (msg == NULL)
    return 0;
  {
    g_autofree char *why = NULL;
    g_autoptr(BimiAuthres) ar = bimi_authres_trusted_own(msg, "mx.example", NULL, TRUE, no_signatures, &why);
    if (ar != NULL) {
      if (g_ascii_strcasecmp(ar->authserv_id, "mx.example") != 0)
        abort();
      g_autofree char *text = bimi_authres_to_string(ar);
      g_autoptr(BimiAuthres) back = text != NULL ? bimi_authres_parse(text, strlen(text), NULL) : NULL;
      if (back == NULL)
        abort();
    } else if (why == NULL) {
      abort();
    }
  }
  {
    g_autofree char *why = NULL;
    g_autoptr(BimiAuthres) ar = bimi_authres_trusted_own(msg, "mx.example", "example.net", FALSE, no_signatures, &why);
    if (ar != NULL || why == NULL)
      abort();
  }
  return 0;
}
