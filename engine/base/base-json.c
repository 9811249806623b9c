/* engine/base/base-json.c — JSON member helpers (RFC 8259 §8.1 UTF-8). */
#include "engine/base/base-json.h"

static void
add_valid(JsonBuilder *b, const char *value)
{
  if (g_utf8_validate(value, -1, NULL)) {
    json_builder_add_string_value(b, value);
  } else {
    g_autofree char *valid = g_utf8_make_valid(value, -1);
    json_builder_add_string_value(b, valid);
  }
}

void
bimi_json_add_string_or_null(JsonBuilder *b, const char *name, const char *value)
{
  g_return_if_fail(b != NULL && name != NULL);
  json_builder_set_member_name(b, name);
  if (value == NULL)
    json_builder_add_null_value(b);
  else
    add_valid(b, value);
}

void
bimi_json_add_strv(JsonBuilder *b, const char *name, char *const *values)
{
  g_return_if_fail(b != NULL && name != NULL);
  json_builder_set_member_name(b, name);
  json_builder_begin_array(b);
  for (guint i = 0; values != NULL && values[i] != NULL; i++)
    add_valid(b, values[i]);
  json_builder_end_array(b);
}
