/* tests/helpers/authres-json.c — engine/authres as a command for the integration tests.
 *
 *   authres-json VALUE...
 *
 * Parses each Authentication-Results field value (RFC 8601 §2.2, untrusted) with
 * bimi_authres_parse() and prints one JSON line per value:
 *   {"authserv_id": S, "version": N|null,
 *    "results": [{"method": S, "version": N|null, "result": S, "reason": S|null,
 *                 "properties": [[ptype, name, value], ...]}, ...]}
 * the shape tests/integration-check.py builds from python3-authres (the peer parser),
 * so the two can be compared as they are. Exit 0 when every value parsed, 1 when one did
 * not (its line is {"error": "..."}), 2 on usage.
 */
#include "engine/authres.h"

#include <stdio.h>
#include <string.h>
#include <json-glib/json-glib.h>

/* "@name": @value, or "@name": null when @value is NULL. */
static void
add_string_member(JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name(b, name);
  if (value == NULL)
    json_builder_add_null_value(b);
  else
    json_builder_add_string_value(b, value);
}

static void
add_version(JsonBuilder *b, int version)
{
  json_builder_set_member_name(b, "version");
  if (version < 0)
    json_builder_add_null_value(b);
  else
    json_builder_add_int_value(b, version);
}

static char *
to_json(const BimiAuthres *ar)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  add_string_member(b, "authserv_id", ar->authserv_id);
  add_version(b, ar->version);
  json_builder_set_member_name(b, "results");
  json_builder_begin_array(b);
  for (guint i = 0; i < ar->results->len; i++) {
    const BimiAuthresResult *r = g_ptr_array_index(ar->results, i);
    json_builder_begin_object(b);
    add_string_member(b, "method", r->method);
    add_version(b, r->method_version);
    add_string_member(b, "result", r->result);
    add_string_member(b, "reason", r->reason);
    json_builder_set_member_name(b, "properties");
    json_builder_begin_array(b);
    for (guint j = 0; j < r->properties->len; j++) {
      const BimiAuthresProperty *p = g_ptr_array_index(r->properties, j);
      json_builder_begin_array(b);
      json_builder_add_string_value(b, p->ptype);
      json_builder_add_string_value(b, p->name);
      json_builder_add_string_value(b, p->value);
      json_builder_end_array(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_end_object(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  return json_to_string(root, FALSE);
}

int
main(int argc, char **argv)
{
  int rc = 0;

  if (argc < 2) {
    fprintf(stderr, "usage: authres-json VALUE...\n");
    return 2;
  }
  for (int i = 1; i < argc; i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(BimiAuthres) ar = bimi_authres_parse(argv[i], strlen(argv[i]), &error);
    if (ar == NULL) {
      g_autoptr(JsonBuilder) b = json_builder_new();
      json_builder_begin_object(b);
      add_string_member(b, "error", error->message);
      json_builder_end_object(b);
      g_autoptr(JsonNode) root = json_builder_get_root(b);
      g_autofree char *s = json_to_string(root, FALSE);
      printf("%s\n", s);
      rc = 1;
      continue;
    }
    g_autofree char *s = to_json(ar);
    printf("%s\n", s);
  }
  return rc;
}
