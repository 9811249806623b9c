/* tests/test-base-json.c — engine/base/base-json: string-or-null and string
 * arrays, always valid UTF-8 (RFC 8259 §8.1). */
#include "engine/base/base-json.h"

static char *
build(void (*fill)(JsonBuilder *))
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  fill(b);
  json_builder_end_object(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  return json_to_string(root, FALSE);
}

static void
fill_strings(JsonBuilder *b)
{
  bimi_json_add_string_or_null(b, "a", "caf\xc3\xa9");
  bimi_json_add_string_or_null(b, "b", NULL);
  bimi_json_add_string_or_null(b, "c", "x\xff" "y");
  bimi_json_add_string_or_null(b, "d", "");
}

static void
fill_strv(JsonBuilder *b)
{
  char one[] = "one", two[] = "t\xc0wo";
  char *v[] = { one, two, NULL };
  bimi_json_add_strv(b, "v", v);
  bimi_json_add_strv(b, "none", NULL);
}

static void
test_string_or_null(void)
{
  g_autofree char *s = build(fill_strings);
  g_assert_cmpstr(s, ==, "{\"a\":\"caf\xc3\xa9\",\"b\":null,\"c\":\"x\xef\xbf\xbdy\",\"d\":\"\"}");
}

static void
test_strv(void)
{
  g_autofree char *s = build(fill_strv);
  g_assert_cmpstr(s, ==, "{\"v\":[\"one\",\"t\xef\xbf\xbdwo\"],\"none\":[]}");
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/base/json/string-or-null", test_string_or_null);
  g_test_add_func("/base/json/strv", test_strv);
  return g_test_run();
}
