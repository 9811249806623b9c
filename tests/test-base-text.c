/* tests/test-base-text.c — engine/base/base-text: list splitting and escaping
 * of hostile bytes for logs (STYLE.md §7). */
#include "engine/base/base-text.h"

#include <string.h>

static void
test_split(void)
{
  g_auto(GStrv) v = bimi_text_split_trimmed(" from : to\t:: subject ", ':');
  g_assert_cmpuint(g_strv_length(v), ==, 4);
  g_assert_cmpstr(v[0], ==, "from");
  g_assert_cmpstr(v[1], ==, "to");
  g_assert_cmpstr(v[2], ==, "");
  g_assert_cmpstr(v[3], ==, "subject");
  g_auto(GStrv) one = bimi_text_split_trimmed("", ':');
  g_assert_cmpuint(g_strv_length(one), ==, 0); /* g_strsplit(): "" has no item */
}

static void
test_escape(void)
{
  static const char raw[] = "a\"b\\c\r\nd\x7f\xc3\xa9\0z";
  g_autofree char *plain = bimi_text_escape_ascii(raw, sizeof raw - 1, 64, BIMI_TEXT_ESCAPE_DEFAULT);
  g_assert_cmpstr(plain, ==, "a\"b\\x5cc\\x0d\\x0ad\\x7f\\xc3\\xa9\\x00z");
  g_autofree char *quoted = bimi_text_escape_ascii(raw, 3, 64, BIMI_TEXT_ESCAPE_QUOTE);
  g_assert_cmpstr(quoted, ==, "a\\x22b");
  /* The maximum: exactly max bytes shown as they are, one more adds "...". */
  g_autofree char *exact = bimi_text_escape_ascii("abcd", 4, 4, BIMI_TEXT_ESCAPE_DEFAULT);
  g_assert_cmpstr(exact, ==, "abcd");
  g_autofree char *cut = bimi_text_escape_ascii("abcde", 5, 4, BIMI_TEXT_ESCAPE_DEFAULT);
  g_assert_cmpstr(cut, ==, "abcd...");
}

/* The appending form: the same bytes into a buffer that already holds text; -1 reads to the NUL
 * (never past max + 1 bytes), NULL is "-", BIMI_TEXT_ESCAPE_SPACE keeps a value one token. */
static void
test_append_escaped(void)
{
  static const char raw[] = "a\"b\\c\r\nd\x7f\xc3\xa9\0z";
  g_autoptr(GString) out = g_string_new("k=");

  bimi_text_append_escaped_ascii(out, raw, sizeof raw - 1, 64, BIMI_TEXT_ESCAPE_DEFAULT);
  g_assert_cmpstr(out->str, ==, "k=a\"b\\x5cc\\x0d\\x0ad\\x7f\\xc3\\xa9\\x00z");
  g_string_assign(out, "");
  bimi_text_append_escaped_ascii(out, "Acme \"Rockets\"", -1, 64, BIMI_TEXT_ESCAPE_QUOTE | BIMI_TEXT_ESCAPE_SPACE);
  g_assert_cmpstr(out->str, ==, "Acme\\x20\\x22Rockets\\x22");
  g_string_assign(out, "");
  bimi_text_append_escaped_ascii(out, "abcde", -1, 4, BIMI_TEXT_ESCAPE_DEFAULT);
  g_assert_cmpstr(out->str, ==, "abcd...");
  g_string_assign(out, "");
  bimi_text_append_escaped_ascii(out, "abcd", -1, 4, BIMI_TEXT_ESCAPE_DEFAULT);
  g_assert_cmpstr(out->str, ==, "abcd");
  g_string_assign(out, "");
  bimi_text_append_escaped_ascii(out, "abcdef", 3, 4, BIMI_TEXT_ESCAPE_DEFAULT);
  g_assert_cmpstr(out->str, ==, "abc");
  g_string_assign(out, "");
  bimi_text_append_escaped_ascii(out, NULL, -1, 4, BIMI_TEXT_ESCAPE_DEFAULT);
  g_assert_cmpstr(out->str, ==, "-");
}

/* The setter replaces what the slot held; a NULL slot is ignored. */
static void
test_set_printf(void)
{
  g_autofree char *reason = g_strdup("old");

  bimi_text_set_printf(&reason, "line %u: %s", 7u, "bad tag");
  g_assert_cmpstr(reason, ==, "line 7: bad tag");
  bimi_text_set_printf(&reason, "%s", reason); /* formatted before the old text is freed */
  g_assert_cmpstr(reason, ==, "line 7: bad tag");
  bimi_text_set_printf(NULL, "ignored %d", 1);
}

/* bimi_text_append_uint(): the digits printf's %" G_GUINT64_FORMAT " writes, appended. */
static void
test_append_uint(void)
{
  static const guint64 values[] = { 0, 7, 10, 255, 304, 65535, 1000000007, G_MAXUINT32, G_MAXUINT64 };
  g_autoptr(GString) out = g_string_new("x=");

  for (gsize i = 0; i < G_N_ELEMENTS(values); i++) {
    g_autofree char *want = g_strdup_printf("x=%" G_GUINT64_FORMAT, values[i]);
    g_string_truncate(out, 2);
    bimi_text_append_uint(out, values[i]);
    g_assert_cmpstr(out->str, ==, want);
  }
  g_assert_cmpstr(out->str, ==, "x=18446744073709551615");
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/base/text/append-uint", test_append_uint);
  g_test_add_func("/base/text/split-trimmed", test_split);
  g_test_add_func("/base/text/escape-ascii", test_escape);
  g_test_add_func("/base/text/append-escaped-ascii", test_append_escaped);
  g_test_add_func("/base/text/set-printf", test_set_printf);
  return g_test_run();
}
