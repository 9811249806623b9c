/* engine/dkim-json.c — the JSON form of a DKIM result (DESIGN.md §4 auth.dkim[],
 * §5 `bimi dkim --json`). Field names follow RFC 8601 / RFC 6376 tag names.
 * Every string in a BimiDkimSignature is printable ASCII by construction
 * (validated tags, generated reasons), so nothing needs escaping here beyond
 * what json-glib does.
 */
#include "engine/dkim.h"
#include "engine/base/base-json.h"

static void
member_time(JsonBuilder *b, const char *name, gint64 value)
{
  json_builder_set_member_name(b, name);
  if (value >= 0)
    json_builder_add_int_value(b, value);
  else
    json_builder_add_null_value(b);
}

void
bimi_dkim_signature_build_json(const BimiDkimSignature *sig, JsonBuilder *b)
{
  g_return_if_fail(sig != NULL && b != NULL);
  json_builder_begin_object(b);
  bimi_json_add_string_or_null(b, "result", bimi_dkim_result_to_string(sig->result));
  bimi_json_add_string_or_null(b, "reason", sig->reason);
  bimi_json_add_string_or_null(b, "d", sig->domain);
  bimi_json_add_string_or_null(b, "i", sig->identity);
  bimi_json_add_string_or_null(b, "s", sig->selector);
  bimi_json_add_string_or_null(b, "a", sig->algorithm_name);
  if (sig->signed_headers != NULL) {
    g_autofree char *c = g_strdup_printf("%s/%s",
                                         sig->header_canon == BIMI_DKIM_CANON_RELAXED ? "relaxed" : "simple",
                                         sig->body_canon == BIMI_DKIM_CANON_RELAXED ? "relaxed" : "simple");
    bimi_json_add_string_or_null(b, "c", c);
    json_builder_set_member_name(b, "h");
    json_builder_begin_array(b);
    for (guint i = 0; sig->signed_headers[i] != NULL; i++)
      json_builder_add_string_value(b, sig->signed_headers[i]);
    json_builder_end_array(b);
  } else {
    bimi_json_add_string_or_null(b, "c", NULL);
    bimi_json_add_string_or_null(b, "h", NULL);
  }
  member_time(b, "t", sig->timestamp);
  member_time(b, "x", sig->expiration);
  bimi_json_add_string_or_null(b, "header_b", sig->b_prefix);
  json_builder_set_member_name(b, "key_bits");
  if (sig->key_bits > 0)
    json_builder_add_int_value(b, sig->key_bits);
  else
    json_builder_add_null_value(b);
  json_builder_set_member_name(b, "key_testing");
  json_builder_add_boolean_value(b, sig->key_testing);
  json_builder_set_member_name(b, "aligned_with_from");
  if (sig->aligned_with_from == BIMI_DKIM_ALIGNMENT_UNKNOWN)
    json_builder_add_null_value(b);
  else
    json_builder_add_boolean_value(b, sig->aligned_with_from == BIMI_DKIM_ALIGNMENT_ALIGNED);
  json_builder_set_member_name(b, "body_length_limited");
  json_builder_add_boolean_value(b, sig->body_length_limited);
  json_builder_set_member_name(b, "body_length");
  if (sig->body_length_limited)
    json_builder_add_int_value(b, (gint64) MIN(sig->body_length, (guint64) G_MAXINT64));
  else
    json_builder_add_null_value(b);
  json_builder_set_member_name(b, "body_bytes_unsigned");
  json_builder_add_int_value(b, (gint64) MIN(sig->body_bytes_unsigned, (guint64) G_MAXINT64));
  json_builder_end_object(b);
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
