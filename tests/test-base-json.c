/* tests/test-base-json.c — engine/base/base-json: string-or-null, string
 * arrays and the member writer (bimi_json_add_members), always valid UTF-8 (RFC 8259 §8.1). */
#include "engine/base/base-json.h"

#include <stdlib.h>
#include <string.h>

static char *
build(void (*fill)(BimiJsonWriter *))
{
  g_autoptr(BimiJsonWriter) b = bimi_json_writer_new();
  bimi_json_begin_object(b);
  fill(b);
  bimi_json_end_object(b);
  g_autoptr(JsonNode) root = bimi_json_writer_get_node(b);
  return json_to_string(root, FALSE);
}

static void
fill_strings(BimiJsonWriter *b)
{
  bimi_json_add_string_or_null(b, "a", "caf\xc3\xa9");
  bimi_json_add_string_or_null(b, "b", NULL);
  bimi_json_add_string_or_null(b, "c", "x\xff" "y");
  bimi_json_add_string_or_null(b, "d", "");
  /* escapes before the bad byte: the repaired text is escaped, once (issue 21: one pass) */
  bimi_json_add_string_or_null(b, "e", "q\"\n\xff\xc3\xa9");
}

static void
fill_strv(BimiJsonWriter *b)
{
  char one[] = "one", two[] = "t\xc0wo";
  char *v[] = { one, two, NULL };
  bimi_json_add_strv(b, "v", v);
  bimi_json_add_strv(b, "none", NULL);
}

static void
fill_members(BimiJsonWriter *b)
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
    g_autoptr(BimiJsonWriter) b = bimi_json_writer_new();
    bimi_json_begin_object(b);
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
  g_assert_cmpstr(s, ==, "{\"a\":\"caf\xc3\xa9\",\"b\":null,\"c\":\"x\xef\xbf\xbdy\",\"d\":\"\","
                         "\"e\":\"q\\\"\\n\xef\xbf\xbd\xc3\xa9\"}");
}

/* bimi_json_set_member_or_null(): null and FALSE, or TRUE with the value left to the caller. */
static void
fill_member_or_null(BimiJsonWriter *b)
{
  g_assert_false(bimi_json_set_member_or_null(b, "absent", FALSE));
  g_assert_true(bimi_json_set_member_or_null(b, "present", TRUE));
  bimi_json_begin_array(b);
  bimi_json_add_int_value(b, 1);
  bimi_json_end_array(b);
}

static void
test_member_or_null(void)
{
  g_autofree char *s = build(fill_member_or_null);
  g_assert_cmpstr(s, ==, "{\"absent\":null,\"present\":[1]}");
}

static void
test_strv(void)
{
  g_autofree char *s = build(fill_strv);
  g_assert_cmpstr(s, ==, "{\"v\":[\"one\",\"t\xef\xbf\xbdwo\"],\"none\":[]}");
}

/* The writer against json-glib: the same calls give the same bytes (issue 21). One
 * script drives both: o/O begin/end object, a/A begin/end array, m member name,
 * s string, i int, d double, t/f booleans, n null. */
typedef struct {
  char op;
  const char *s;
  gint64 i;
  double d;
} Op;

static void
run_ops(const Op *ops, gsize n, char **from_writer, char **from_glib)
{
  g_autoptr(BimiJsonWriter) w = bimi_json_writer_new();
  g_autoptr(JsonBuilder) b = json_builder_new();

  for (gsize k = 0; k < n; k++) {
    const Op *op = &ops[k];
    switch (op->op) {
    case 'o': bimi_json_begin_object(w); json_builder_begin_object(b); break;
    case 'O': bimi_json_end_object(w); json_builder_end_object(b); break;
    case 'a': bimi_json_begin_array(w); json_builder_begin_array(b); break;
    case 'A': bimi_json_end_array(w); json_builder_end_array(b); break;
    case 'm': bimi_json_set_member_name(w, op->s); json_builder_set_member_name(b, op->s); break;
    case 's': bimi_json_add_string_value(w, op->s); json_builder_add_string_value(b, op->s); break;
    case 'i': bimi_json_add_int_value(w, op->i); json_builder_add_int_value(b, op->i); break;
    case 'd': bimi_json_add_double_value(w, op->d); json_builder_add_double_value(b, op->d); break;
    case 't': bimi_json_add_boolean_value(w, TRUE); json_builder_add_boolean_value(b, TRUE); break;
    case 'f': bimi_json_add_boolean_value(w, FALSE); json_builder_add_boolean_value(b, FALSE); break;
    case 'n': bimi_json_add_null_value(w); json_builder_add_null_value(b); break;
    default: g_assert_not_reached();
    }
  }
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  *from_writer = g_strdup(bimi_json_writer_get_text(w, NULL));
  *from_glib = json_to_string(root, FALSE);
}

static void
test_writer_as_json_glib(void)
{
  char every[256];
  for (int c = 1; c < 256; c++)
    every[c - 1] = (char) c; /* every byte but NUL: control bytes, 0x1f, 0x7f, UTF-8 and not */
  every[255] = '\0';
  const Op ops[] = {
    { .op = 'o' }, { .op = 'm', .s = "s" }, { .op = 's', .s = every }, { .op = 'm', .s = every }, { .op = 'i', .i = -42 },
    { .op = 'm', .s = "max" }, { .op = 'i', .i = G_MAXINT64 }, { .op = 'm', .s = "min" }, { .op = 'i', .i = G_MININT64 },
    { .op = 'm', .s = "d1" }, { .op = 'd', .d = 0.5 }, { .op = 'm', .s = "d2" }, { .op = 'd', .d = 3.0 }, { .op = 'm', .s = "d3" }, { .op = 'd', .d = 1e300 },
    { .op = 'm', .s = "d4" }, { .op = 'd', .d = -0.1 }, { .op = 'm', .s = "empty_o" }, { .op = 'o' }, { .op = 'O' }, { .op = 'm', .s = "empty_a" }, { .op = 'a' }, { .op = 'A' },
    { .op = 'm', .s = "a" }, { .op = 'a' }, { .op = 'n' }, { .op = 't' }, { .op = 'f' }, { .op = 'o' }, { .op = 'm', .s = "x" }, { .op = 'a' }, { .op = 'a' }, { .op = 'A' }, { .op = 'A' }, { .op = 'O' },
    { .op = 's', .s = "" }, { .op = 'A' }, { .op = 'm', .s = "" }, { .op = 's', .s = "caf\xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x98\x80 \\\"/" }, { .op = 'O' },
  };
  g_autofree char *writer = NULL, *glib = NULL;

  run_ops(ops, G_N_ELEMENTS(ops), &writer, &glib);
  g_assert_cmpstr(writer, ==, glib);
  /* and the escapes spelled out: 0x1f stays raw (json-glib escapes below it), 0x7f does not */
  const Op small[] = { { .op = 'a' }, { .op = 's', .s = "\x01\b\t\n\x0b\f\r\x1e\x1f \x7f\"\\" }, { .op = 'A' } };
  g_clear_pointer(&writer, g_free);
  g_clear_pointer(&glib, g_free);
  run_ops(small, G_N_ELEMENTS(small), &writer, &glib);
  g_assert_cmpstr(writer, ==, "[\"\\u0001\\b\\t\\n\\u000b\\f\\r\\u001e\x1f \\u007f\\\"\\\\\"]");
  g_assert_cmpstr(writer, ==, glib);
}

/* The escaper looks at 16 bytes at a time, then byte by byte: every byte value (a UTF-8
 * pair for the high ones) at every position of a 40-byte string, alone and after a
 * first escape, gives json-glib's bytes (issue 21). */
static void
test_writer_escape_positions(void)
{
  for (int c = 1; c < 0x81; c++) {
    for (guint at = 0; at < 39; at++) {
      char text[41];
      memset(text, 'a', 40);
      text[40] = '\0';
      if (c == 0x80) {
        text[at] = '\xc3'; /* a UTF-8 pair: é */
        text[at + 1] = '\xa9';
      } else {
        text[at] = (char) c;
      }
      g_autofree char *twice = g_strdup_printf("\"%s%c", text, c == 0x80 ? 'b' : c);
      const Op ops[] = { { .op = 'a' }, { .op = 's', .s = text }, { .op = 's', .s = twice }, { .op = 'A' } };
      g_autofree char *writer = NULL, *glib = NULL;
      run_ops(ops, G_N_ELEMENTS(ops), &writer, &glib);
      if (g_strcmp0(writer, glib) != 0)
        g_error("byte 0x%02x at %u: writer %s, json-glib %s", c, at, writer, glib);
    }
  }
}

/* Short strings, every length to 33 (so every tail of the 16-byte scan), as member names and
 * values, plain or with a newline at each position, placed so that they end just before a page
 * boundary (where the scan must not load the last block whole) and inside a page (where it
 * does), followed by '"' bytes that must not be taken for part of them (issue 21). */
static void
test_writer_short_strings(void)
{
  guchar *pages = NULL;

  g_assert_cmpint(posix_memalign((void **) &pages, 4096, 8192), ==, 0);
  memset(pages, '"', 8192);
  for (gsize len = 0; len <= 33; len++) {
    for (gsize at = 0; at <= len; at++) { /* at == len: no byte to escape */
      for (guint where = 0; where < 2; where++) {
        char *s = (char *) pages + (where == 0 ? 4096 - len - 1 : 2048);
        memset(s, 'k', len);
        if (at < len)
          s[at] = '\n';
        s[len] = '\0';
        const Op ops[] = { { .op = 'o' }, { .op = 'm', .s = s }, { .op = 's', .s = s }, { .op = 'O' } };
        g_autofree char *writer = NULL, *glib = NULL;
        run_ops(ops, G_N_ELEMENTS(ops), &writer, &glib);
        if (g_strcmp0(writer, glib) != 0)
          g_error("length %" G_GSIZE_FORMAT ", newline at %" G_GSIZE_FORMAT ": writer %s, json-glib %s", len, at,
                  writer, glib);
        memset(s, '"', len + 1);
      }
    }
  }
  free(pages);
}

/* bimi_json_reopen_object(): members added to a closed object, empty or not. */
static void
test_writer_reopen(void)
{
  g_autoptr(BimiJsonWriter) w = bimi_json_writer_new();

  bimi_json_begin_array(w);
  bimi_json_begin_object(w);
  bimi_json_end_object(w);
  bimi_json_reopen_object(w);
  bimi_json_add_members(w, "s", "a", "1");
  bimi_json_end_object(w);
  bimi_json_begin_object(w);
  bimi_json_add_members(w, "b", "x", TRUE);
  bimi_json_end_object(w);
  bimi_json_reopen_object(w);
  bimi_json_add_members(w, "{n}", "y", "z");
  bimi_json_end_object(w);
  bimi_json_end_array(w);
  g_assert_cmpstr(bimi_json_writer_get_text(w, NULL), ==, "[{\"a\":\"1\"},{\"x\":true,\"y\":{\"z\":null}}]");
  g_autoptr(JsonNode) node = bimi_json_writer_get_node(w);
  g_assert_nonnull(node);
  g_autofree char *steal = bimi_json_writer_steal_text(w);
  g_assert_cmpuint(strlen(steal), ==, 37);
  g_assert_cmpstr(bimi_json_writer_get_text(w, NULL), ==, "");
}

/* BIMI_BASE_JSON_WRITER_MAX_DEPTH: one level more is a programmer error (critical). */
static void
test_writer_depth_limit(void)
{
  if (g_test_subprocess()) {
    g_autoptr(BimiJsonWriter) w = bimi_json_writer_new();
    for (guint i = 0; i < BIMI_BASE_JSON_WRITER_MAX_DEPTH; i++)
      bimi_json_begin_array(w);
    g_printerr("depth %u reached\n", BIMI_BASE_JSON_WRITER_MAX_DEPTH);
    bimi_json_begin_array(w);
    return;
  }
  g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed();
  g_test_trap_assert_stderr("*depth 64 reached*nested deeper than 64*");
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/base/json/string-or-null", test_string_or_null);
  g_test_add_func("/base/json/member-or-null", test_member_or_null);
  g_test_add_func("/base/json/strv", test_strv);
  g_test_add_func("/base/json/members", test_members);
  g_test_add_func("/base/json/members-bad-letter", test_members_bad_letter);
  g_test_add_func("/base/json/writer-as-json-glib", test_writer_as_json_glib);
  g_test_add_func("/base/json/writer-escape-positions", test_writer_escape_positions);
  g_test_add_func("/base/json/writer-short-strings", test_writer_short_strings);
  g_test_add_func("/base/json/writer-reopen", test_writer_reopen);
  g_test_add_func("/base/json/limit/writer-depth", test_writer_depth_limit);
  return g_test_run();
}
