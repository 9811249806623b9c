/* fuzz/fuzz-arc.c — libFuzzer target for the ARC chain collector and the ARC
 * header parsers (RFC 8617 §4.1, §5.2).
 *
 * 1. The input as an ARC-Authentication-Results value (bimi_arc_aar_parse())
 *    and as ARC-Message-Signature / ARC-Seal values
 *    (bimi_dkim__sig_parse_kind()): a parsed instance is 1..BIMI_ARC_MAX_SETS,
 *    a seal has no h=/bh=, the payload offset stays inside the input.
 * 2. The input as a whole message through bimi_arc_validate() with the keys
 *    of fixtures/arc/arc.zone for every selector (rsa1024 for "arc" under
 *    *trusted* and "seal", rsa2048 otherwise), so the seeds (the fixture
 *    messages) verify and mutations walk collection, structure, cv=, AMS and
 *    AS verification. Checks: a valid enum and a reason; sets only when the
 *    structure is complete, then one per instance; oldest_pass ≤ instances;
 *    the JSON and A-R writers run.
 */
#include "engine/arc.h"
#include "engine/dkim-private.h"
#include "engine/limits.h"
#include "fuzz/fuzz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const key1024 =
  "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDf5mkaWeNh48XnrMfHvqHWPzXNW7zEC3oC73zEJwq8CY"
  "JrHicAFgi9bf6bWOJDvWP+ctKQGKtfwf7mzogrFi1cUuybksP7jP1O5rY3AbMES464qYfai7wSVatLUQoBxa+tWQ54WuJN3w6LB9"
  "8Tpd+155oCSgDOdA0JP/2ELLMwyQIDAQAB";
static const char *const key2048 =
  "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAv7UYV+yF4ZKgaGhs9a9mgSuzeLW216+pIGaCFl"
  "V7c7SKQS6ftNVNa8vuJafQe26chxJ/66I5dP4JfqNJgmPFEkG4UElBcuJZQVbMop2FUpaGh72rrRqJRnXAv/7pfGxoiT3UHoub8D"
  "h2ilKQiCwmZ+tQXV61Adr2Z5CBqpDy4T5SUF2TvuY1TUILTNhePZXm7+UfzxGEy1eO/QIbrBCoSuOnKQhhcyIxKG34h/orwA2xg3"
  "3LnPIhme23t1XwvLbr4+3TzZQiBuoT+ISef3a+VuKK+eO9zROir1RIB9SVLXQH/SY/rI+Mv2iRVGm6ST/ApYrQLzI0VWSj9CfsbB"
  "9rIwIDAQAB";

static BimiDkimKeyStatus
fetch(const char *qname, GPtrArray **out, char **detail, guint32 *ttl, gpointer user_data)
{
  (void) user_data;
  (void) detail;
  if (g_str_has_prefix(qname, "none"))
    return BIMI_DKIM_KEY_NONE;
  if (g_str_has_prefix(qname, "temp"))
    return BIMI_DKIM_KEY_TEMPERROR;
  const char *k = (g_str_has_prefix(qname, "arc._domainkey.lists.trusted") || g_str_has_prefix(qname, "seal.")) ?
                    key1024 : key2048;
  *out = g_ptr_array_new_with_free_func((GDestroyNotify) g_bytes_unref);
  g_ptr_array_add(*out, g_bytes_new_static(k, strlen(k)));
  return BIMI_DKIM_KEY_FOUND;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *in = (const char *) data;
  {
    guint inst = 0;
    gsize off = 0;
    g_autoptr(GError) error = NULL;
    if (bimi_arc_aar_parse(in, size, &inst, &off, &error)) {
      if (inst < 1 || inst > BIMI_ARC_MAX_SETS || off > size || off == 0 || in[off - 1] != ';')
        abort();
    } else if (error == NULL || error->domain != BIMI_ARC_ERROR) {
      abort();
    }
  }
  for (int kind = BIMI_DKIM_SIG_KIND_ARC_AMS; kind <= BIMI_DKIM_SIG_KIND_ARC_SEAL; kind++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(BimiDkimSigParams) p = bimi_dkim__sig_parse_kind(in, size, (BimiDkimSigKind) kind, &error);
    if (p == NULL) {
      fuzz_expect_error(error, BIMI_DKIM_ERROR);
      continue;
    }
    if (p->instance < 1 || p->instance > BIMI_ARC_MAX_SETS)
      abort();
    if (kind == BIMI_DKIM_SIG_KIND_ARC_SEAL &&
        (p->bh_len != 0 || p->signed_headers[0] != NULL || p->header_canon != BIMI_DKIM_CANON_RELAXED))
      abort();
    if (kind == BIMI_DKIM_SIG_KIND_ARC_AMS && p->bh_len == 0)
      abort();
  }

  g_autoptr(GBytes) raw = g_bytes_new(data, size);
  g_autoptr(BimiMessage) msg = bimi_message_parse(raw, NULL);
  if (msg == NULL)
    return 0;
  BimiArcOptions o = { .now = 1700000100, .key_fetch = fetch };
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiArcChain) chain = bimi_arc_validate(msg, &o, &error);
  if (chain == NULL)
    abort(); /* only OpenSSL breakage can stop a validation */
  if (chain->result > BIMI_ARC_RESULT_FAIL || chain->reason == NULL)
    abort();
  if (chain->instances > BIMI_ARC_MAX_SETS || chain->oldest_pass > chain->instances)
    abort();
  if (chain->sets->len != 0 && chain->sets->len != chain->instances)
    abort();
  if (chain->result == BIMI_ARC_RESULT_PASS && chain->sets->len == 0)
    abort();
  g_autoptr(BimiJsonWriter) b = bimi_json_writer_new();
  bimi_arc_chain_build_json(chain, b);
  g_autoptr(JsonNode) root = bimi_json_writer_get_node(b);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
    abort();
  g_autoptr(BimiAuthres) ar = bimi_authres_new("fuzz.example");
  bimi_arc_chain_add_authres(chain, ar, "192.0.2.1");
  g_autofree char *text = bimi_authres_to_string(ar);
  if (strstr(text, "; arc=") == NULL)
    abort();
  static const char *const trusted[] = { "lists.trusted.example", NULL };
  (void) bimi_arc_trusted_pass(chain, trusted, "brand.example", BIMI_DMARC_ALIGN_RELAXED, BIMI_DMARC_ALIGN_STRICT,
                               NULL);
  return 0;
}
