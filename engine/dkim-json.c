/* engine/dkim-json.c — the JSON form of a DKIM result (DESIGN.md §4 auth.dkim[],
 * §5 `bimi dkim --json`). Field names follow RFC 8601 / RFC 6376 tag names.
 * Every string in a BimiDkimSignature is printable ASCII by construction
 * (validated tags, generated reasons), so nothing needs escaping here beyond
 * what json-glib does.
 */
#include "engine/dkim.h"
#include "engine/base/base-json.h"

void
bimi_dkim_signature_build_json(const BimiDkimSignature *sig, BimiJsonWriter *b)
{
  g_return_if_fail(sig != NULL && b != NULL);
  g_autofree char *c = NULL;
  if (sig->signed_headers != NULL)
    c = g_strdup_printf("%s/%s", sig->header_canon == BIMI_DKIM_CANON_RELAXED ? "relaxed" : "simple",
                        sig->body_canon == BIMI_DKIM_CANON_RELAXED ? "relaxed" : "simple");
  bimi_json_begin_object(b);
  /* t=, x= and key_bits are null when absent (negative / 0), h= when the tags did not parse */
  bimi_json_add_members(b, "sssssss?v ?I?Is?ub?bb?II",
                        "result", bimi_dkim_result_to_string(sig->result), "reason", sig->reason,
                        "d", sig->domain, "i", sig->identity, "s", sig->selector, "a", sig->algorithm_name,
                        "c", c, "h", sig->signed_headers != NULL, sig->signed_headers,
                        "t", sig->timestamp >= 0, sig->timestamp, "x", sig->expiration >= 0, sig->expiration,
                        "header_b", sig->b_prefix, "key_bits", sig->key_bits > 0, sig->key_bits,
                        "key_testing", sig->key_testing,
                        "aligned_with_from", sig->aligned_with_from != BIMI_DKIM_ALIGNMENT_UNKNOWN,
                        sig->aligned_with_from == BIMI_DKIM_ALIGNMENT_ALIGNED,
                        "body_length_limited", sig->body_length_limited,
                        "body_length", sig->body_length_limited, (gint64) MIN(sig->body_length, (guint64) G_MAXINT64),
                        "body_bytes_unsigned", (gint64) MIN(sig->body_bytes_unsigned, (guint64) G_MAXINT64));
  bimi_json_end_object(b);
}

void
bimi_dkim_signatures_add_authres(const GPtrArray *sigs, BimiAuthres *ar)
{
  g_return_if_fail(sigs != NULL && ar != NULL);
  if (sigs->len == 0)
    bimi_authres_add_result(ar, "dkim", "none");
  for (guint i = 0; i < sigs->len; i++) {
    const BimiDkimSignature *s = g_ptr_array_index(sigs, i);
    BimiAuthresResult *r = bimi_authres_add_result(ar, "dkim", bimi_dkim_result_to_string(s->result));
    if (s->result != BIMI_DKIM_RESULT_PASS && s->reason != NULL)
      bimi_authres_result_set_reason(r, s->reason);
    if (s->domain != NULL)
      bimi_authres_result_add_property(r, "header", "d", s->domain);
    if (s->selector != NULL)
      bimi_authres_result_add_property(r, "header", "s", s->selector);
    if (s->b_prefix != NULL)
      bimi_authres_result_add_property(r, "header", "b", s->b_prefix);
  }
}
