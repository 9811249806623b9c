/* engine/rdns-json.c — the JSON form of an FCrDNS result (DESIGN.md §4
 * auth.rdns, §5 `bimi rdns --json`): one builder for the service and the CLI. */
#include "engine/rdns.h"
#include "engine/base/base-json.h"

void
bimi_rdns_result_build_json(const BimiRdnsResult *r, JsonBuilder *b)
{
  g_return_if_fail(r != NULL && b != NULL);
  json_builder_begin_object(b);
  bimi_json_add_string_or_null(b, "result", bimi_rdns_result_to_string(r->result));
  bimi_json_add_string_or_null(b, "ip", r->ip);
  bimi_json_add_string_or_null(b, "reverse_name", r->reverse_name);
  json_builder_set_member_name(b, "ptr_names");
  json_builder_begin_array(b);
  for (guint i = 0; i < r->ptr_names->len; i++)
    json_builder_add_string_value(b, g_ptr_array_index(r->ptr_names, i));
  json_builder_end_array(b);
  bimi_json_add_string_or_null(b, "confirmed_name", r->confirmed_name);
  json_builder_set_member_name(b, "multiple_ptr");
  json_builder_add_boolean_value(b, r->multiple_ptr);
  json_builder_set_member_name(b, "generic_name");
  json_builder_add_boolean_value(b, r->generic_name);
  bimi_json_add_string_or_null(b, "generic_reason", r->generic_reason);
  bimi_json_add_string_or_null(b, "action", bimi_rdns_action_to_string(r->action));
  bimi_json_add_string_or_null(b, "problem", r->problem);
  json_builder_set_member_name(b, "names_tried");
  json_builder_add_int_value(b, r->names_tried);
  json_builder_set_member_name(b, "dns_queries");
  json_builder_add_int_value(b, r->dns_queries);
  json_builder_end_object(b);
}
