/* engine/rdns-json.c — the JSON form of an FCrDNS result (DESIGN.md §4
 * auth.rdns, §5 `bimi rdns --json`): one builder for the service and the CLI. */
#include "engine/rdns.h"

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
bimi_rdns_result_build_json(const BimiRdnsResult *r, JsonBuilder *b)
{
  g_return_if_fail(r != NULL && b != NULL);
  json_builder_begin_object(b);
  add_string(b, "result", bimi_rdns_result_to_string(r->result));
  add_string(b, "ip", r->ip);
  add_string(b, "reverse_name", r->reverse_name);
  json_builder_set_member_name(b, "ptr_names");
  json_builder_begin_array(b);
  for (guint i = 0; i < r->ptr_names->len; i++)
    json_builder_add_string_value(b, g_ptr_array_index(r->ptr_names, i));
  json_builder_end_array(b);
  add_string(b, "confirmed_name", r->confirmed_name);
  json_builder_set_member_name(b, "multiple_ptr");
  json_builder_add_boolean_value(b, r->multiple_ptr);
  json_builder_set_member_name(b, "generic_name");
  json_builder_add_boolean_value(b, r->generic_name);
  add_string(b, "generic_reason", r->generic_reason);
  add_string(b, "action", bimi_rdns_action_to_string(r->action));
  add_string(b, "problem", r->problem);
  json_builder_set_member_name(b, "names_tried");
  json_builder_add_int_value(b, r->names_tried);
  json_builder_set_member_name(b, "dns_queries");
  json_builder_add_int_value(b, r->dns_queries);
  json_builder_end_object(b);
}
