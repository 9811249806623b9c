/* engine/spf-json.c — the JSON form of an SPF result (DESIGN.md §4 auth.spf,
 * §5 `bimi spf --json`). Names follow RFC 7208 / RFC 8601 (smtp.mailfrom,
 * smtp.helo). */
#include "engine/spf.h"
#include "engine/base/base-json.h"

void
bimi_spf_result_build_json(const BimiSpfResult *r, const char *helo, JsonBuilder *b)
{
  g_return_if_fail(r != NULL && b != NULL);
  json_builder_begin_object(b);
  bimi_json_add_string_or_null(b, "result", bimi_spf_result_to_string(r->result));
  bimi_json_add_string_or_null(b, "identity", bimi_spf_identity_to_string(r->identity));
  bimi_json_add_string_or_null(b, "domain", r->domain);
  bimi_json_add_string_or_null(b, "sender", r->sender);
  bimi_json_add_string_or_null(b, "ip", r->ip);
  bimi_json_add_string_or_null(b, "helo", helo);
  bimi_json_add_string_or_null(b, "mechanism", r->mechanism);
  bimi_json_add_string_or_null(b, "mechanism_domain", r->mechanism_domain);
  bimi_json_add_string_or_null(b, "record", r->record);
  bimi_json_add_string_or_null(b, "explanation", r->explanation);
  bimi_json_add_string_or_null(b, "problem", r->problem);
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
