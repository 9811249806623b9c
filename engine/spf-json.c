/* engine/spf-json.c — the JSON form of an SPF result (DESIGN.md §4 auth.spf,
 * §5 `bimi spf --json`). Names follow RFC 7208 / RFC 8601 (smtp.mailfrom,
 * smtp.helo). */
#include "engine/spf.h"

static void
add_string(JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name(b, name);
  if (value != NULL)
    json_builder_add_string_value(b, value);
  else
    json_builder_add_null_value(b);
}

void
bimi_spf_result_build_json(const BimiSpfResult *r, const char *helo, JsonBuilder *b)
{
  g_return_if_fail(r != NULL && b != NULL);
  json_builder_begin_object(b);
  add_string(b, "result", bimi_spf_result_to_string(r->result));
  add_string(b, "identity", bimi_spf_identity_to_string(r->identity));
  add_string(b, "domain", r->domain);
  add_string(b, "sender", r->sender);
  add_string(b, "ip", r->ip);
  add_string(b, "helo", helo);
  add_string(b, "mechanism", r->mechanism);
  add_string(b, "mechanism_domain", r->mechanism_domain);
  add_string(b, "record", r->record);
  add_string(b, "explanation", r->explanation);
  add_string(b, "problem", r->problem);
  json_builder_set_member_name(b, "lookups");
  json_builder_add_int_value(b, r->dns_lookups);
  json_builder_set_member_name(b, "void_lookups");
  json_builder_add_int_value(b, r->void_lookups);
  json_builder_set_member_name(b, "dns_queries");
  json_builder_add_int_value(b, r->dns_queries);
  json_builder_end_object(b);
}

void
bimi_spf_result_add_authres(const BimiSpfResult *r, BimiAuthres *ar)
{
  BimiAuthresResult *res;

  g_return_if_fail(r != NULL && ar != NULL);
  res = bimi_authres_add_result(ar, "spf", bimi_spf_result_to_string(r->result));
  if (r->identity == BIMI_SPF_IDENTITY_MAILFROM)
    bimi_authres_result_add_property(res, "smtp", "mailfrom", r->sender);
  else
    bimi_authres_result_add_property(res, "smtp", "helo", r->domain);
}
