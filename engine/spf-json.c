/* engine/spf-json.c — the JSON form of an SPF result (DESIGN.md §4 auth.spf,
 * §5 `bimi spf --json`). Names follow RFC 7208 / RFC 8601 (smtp.mailfrom,
 * smtp.helo). */
#include "engine/spf.h"
#include "engine/base/base-json.h"

void
bimi_spf_result_build_json(const BimiSpfResult *r, const char *helo, BimiJsonWriter *b)
{
  g_return_if_fail(r != NULL && b != NULL);
  bimi_json_begin_object(b);
  bimi_json_add_members(b, "ssssss sssss uuu",
                        "result", bimi_spf_result_to_string(r->result),
                        "identity", bimi_spf_identity_to_string(r->identity), "domain", r->domain,
                        "sender", r->sender, "ip", r->ip, "helo", helo, "mechanism", r->mechanism,
                        "mechanism_domain", r->mechanism_domain, "record", r->record,
                        "explanation", r->explanation, "problem", r->problem, "lookups", r->dns_lookups,
                        "void_lookups", r->void_lookups, "dns_queries", r->dns_queries);
  bimi_json_end_object(b);
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
