/* tests/test-base-json.c — engine/base/base-json: string-or-null, string
 * arrays and the member writer (bimi_json_add_members), always valid UTF-8 (RFC 8259 §8.1). */
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
fill_members(JsonBuilder *b)
{
  char one[] = "one", bad[] = "p\xff";
  char *v[] = { one, NULL };
  g_autoptr(GPtrArray) p = g_ptr_array_new();
  g_ptr_array_add(p, bad);
  bimi_json_add_members(b, "ss b?b?b iuI?i?I n vv?v p {s{b}} s",
                        "s", "x\xc3\xa9", "null", NULL, "t", TRUE, "absent", FALSE, TRUE, "f", TRUE, FALSE,
                        "i", -7, "u", 4000000000u, "I", (gint64) G_MAXINT64, "no_i", FALSE, 5,
                        "no_I", FALSE, (gint64) 6, "n", "v", v, "v0", NULL, "no_v", FALSE, v, "p", p,
                        "o", "in", "x", "deep", "ok", TRUE, "after", "y");
}

static void
test_members(void)
{
  g_autofree char *s = build(fill_members);
  g_assert_cmpstr(s, ==, "{\"s\":\"x\xc3\xa9\",\"null\":null,\"t\":true,\"absent\":null,\"f\":false,"
                  "\"i\":-7,\"u\":4000000000,\"I\":9223372036854775807,\"no_i\":null,\"no_I\":null,"
                  "\"n\":null,\"v\":[\"one\"],\"v0\":[],\"no_v\":null,\"p\":[\"p\xef\xbf\xbd\"],"
                  "\"o\":{\"in\":\"x\",\"deep\":{\"ok\":true}},\"after\":\"y\"}");
}

/* A letter outside the format is a programmer error: critical, the rest skipped. */
static void
test_members_bad_letter(void)
{
  if (g_test_subprocess()) {
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    bimi_json_add_members(b, "sx", "a", "1", "b", 2);
    return;
  }
  g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed();
  g_test_trap_assert_stderr("*unknown format letter 'x'*");
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
  g_test_add_func("/base/json/members", test_members);
  g_test_add_func("/base/json/members-bad-letter", test_members_bad_letter);
  return g_test_run();
}
