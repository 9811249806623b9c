/* engine/rdns-json.c — the JSON form of an FCrDNS result (DESIGN.md §4
 * auth.rdns, §5 `bimi rdns --json`): one writer for the service and the CLI. */
#include "engine/rdns.h"
#include "engine/base/base-json.h"

void
bimi_rdns_result_build_json(const BimiRdnsResult *r, BimiJsonWriter *b)
{
  g_return_if_fail(r != NULL && b != NULL);
  bimi_json_begin_object(b);
  bimi_json_add_members(b, "sssps bbsss uu",
                        "result", bimi_rdns_result_to_string(r->result), "ip", r->ip,
                        "reverse_name", r->reverse_name, "ptr_names", r->ptr_names,
                        "confirmed_name", r->confirmed_name, "multiple_ptr", r->multiple_ptr,
                        "generic_name", r->generic_name, "generic_reason", r->generic_reason,
                        "action", bimi_rdns_action_to_string(r->action), "problem", r->problem,
                        "names_tried", r->names_tried, "dns_queries", r->dns_queries);
  bimi_json_end_object(b);
}
