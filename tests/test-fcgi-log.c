/* tests/test-fcgi-log.c — bimi-fcgi's log lines (fcgi/log.c): the request line in
 * text and JSON form, built in one buffer (issue 21), escaping of sender-controlled
 * fields, the *_ms format, the level filter, and the writer of other messages. The
 * lines go to stderr, which each test points at a file for the duration. */
#include "fcgi/log.h"

#include <glib/gstdio.h>
#include <math.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>

/* What bimi-fcgi wrote to stderr while @fn ran. (transfer full) */
static char *
captured(void (*fn)(void))
{
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  int fd = g_file_open_tmp("fcgi-log-XXXXXX", &path, &error);
  int saved = dup(STDERR_FILENO);
  char *text = NULL;

  g_assert_no_error(error);
  g_assert_cmpint(saved, >=, 0);
  g_assert_cmpint(dup2(fd, STDERR_FILENO), ==, STDERR_FILENO);
  fn();
  g_assert_cmpint(dup2(saved, STDERR_FILENO), ==, STDERR_FILENO);
  close(saved);
  close(fd);
  g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
  g_unlink(path);
  return text;
}

static void
log_evaluate_line(void)
{
  static const char path[] = "/bimi/v1/evaluate?ip=192.0.2.1";
  const BimiFcgiLogField fields[] = {
    { "method", "POST", -1, 16, 0 },
    { "path", path, (gssize) strlen("/bimi/v1/evaluate"), 200, 0 },
    { "status", "200", -1, 0, 0 },
    { "decision", "none", -1, 0, 0 },
    { "reason", "no-record", -1, 0, 0 },
    { "author_domain", "evil\"\n.example", -1, 255, 0 },
    { "selector", NULL, -1, 64, 0 },
    { "caution_brand", "Acme Rockets", -1, 128, BIMI_TEXT_ESCAPE_SPACE },
    { "total_ms", "1.5", -1, 0, 0 },
  };
  bimi_fcgi_log_request(fields, G_N_ELEMENTS(fields));
}

static void
test_request_text(void)
{
  g_autofree char *text = NULL;
  g_autofree char *want = NULL;

  g_assert_true(bimi_fcgi_log_set_format("text"));
  g_assert_true(bimi_fcgi_log_set_level("info"));
  text = captured(log_evaluate_line);
  want = g_strdup_printf(" bimi-fcgi[%d] info: POST /bimi/v1/evaluate 200 decision=none reason=no-record "
                         "author_domain=evil\\x22\\x0a.example caution_brand=Acme\\x20Rockets total_ms=1.5\n",
                         (int) getpid());
  g_assert_true(g_regex_match_simple("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z ", text, 0, 0));
  g_assert_cmpstr(text + strlen("2025-01-31T12:00:00.123Z"), ==, want);
}

static void
test_request_json(void)
{
  g_autofree char *text = NULL;
  g_autoptr(JsonParser) parser = json_parser_new();
  g_autoptr(GError) error = NULL;

  g_assert_true(bimi_fcgi_log_set_format("json"));
  text = captured(log_evaluate_line);
  g_assert_true(g_str_has_suffix(text, "}\n"));
  g_assert_true(strchr(text, '\n') == text + strlen(text) - 1); /* one line */
  g_assert_true(json_parser_load_from_data(parser, text, -1, &error));
  g_assert_no_error(error);
  JsonObject *o = json_node_get_object(json_parser_get_root(parser));
  g_assert_cmpstr(json_object_get_string_member(o, "level"), ==, "info");
  g_assert_cmpint(json_object_get_int_member(o, "pid"), ==, getpid());
  g_assert_cmpstr(json_object_get_string_member(o, "method"), ==, "POST");
  g_assert_cmpstr(json_object_get_string_member(o, "path"), ==, "/bimi/v1/evaluate");
  g_assert_cmpstr(json_object_get_string_member(o, "author_domain"), ==, "evil\\x22\\x0a.example");
  g_assert_cmpstr(json_object_get_string_member(o, "caution_brand"), ==, "Acme\\x20Rockets");
  g_assert_cmpstr(json_object_get_string_member(o, "total_ms"), ==, "1.5");
  g_assert_false(json_object_has_member(o, "selector"));
  g_assert_cmpstr(json_object_get_string_member(o, "message"), ==,
                  "POST /bimi/v1/evaluate 200 decision=none reason=no-record author_domain=evil\\x22\\x0a.example "
                  "caution_brand=Acme\\x20Rockets total_ms=1.5");
  g_assert_true(g_regex_match_simple("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$",
                                     json_object_get_string_member(o, "time"), 0, 0));
  g_assert_true(bimi_fcgi_log_set_format("text"));
}

/* At log_level warning a request line is not written at all. */
static void
test_request_level(void)
{
  g_autofree char *text = NULL;

  g_assert_true(bimi_fcgi_log_set_level("warning"));
  text = captured(log_evaluate_line);
  g_assert_cmpstr(text, ==, "");
  g_assert_true(bimi_fcgi_log_set_level("info"));
}

static void
log_message_with_newline(void)
{
  g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE", "first\nsecond\rthird");
}

/* Other messages go through the GLib writer (g_message() in bimi-fcgi, where GTest does not
 * take it first): one line, line breaks as spaces. */
static void
test_writer(void)
{
  g_autofree char *text = NULL;
  g_autofree char *want = NULL;

  text = captured(log_message_with_newline);
  want = g_strdup_printf(" bimi-fcgi[%d] info: first second third\n", (int) getpid());
  g_assert_true(g_str_has_suffix(text, want));
  g_assert_cmpuint(strlen(text), ==, strlen("2025-01-31T12:00:00.123Z") + strlen(want));
}

static void
test_format_ms(void)
{
  static const struct {
    double ms;
    const char *text;
  } cases[] = {
    { 0.0, "0.0" }, { 0.04, "0.0" }, { 0.06, "0.1" }, { 12.34, "12.3" }, { 12.36, "12.4" },
    { 99.96, "100.0" }, { 123456.7, "123456.7" }, { -1.0, "0.0" }, { 1e300, "0.0" },
  };
  char buf[BIMI_FCGI_LOG_MS_LEN];

  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    bimi_fcgi_log_format_ms(buf, cases[i].ms);
    g_assert_cmpstr(buf, ==, cases[i].text);
  }
  bimi_fcgi_log_format_ms(buf, NAN);
  g_assert_cmpstr(buf, ==, "0.0");
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  bimi_fcgi_log_init();
  g_test_add_func("/fcgi/log/request-text", test_request_text);
  g_test_add_func("/fcgi/log/request-json", test_request_json);
  g_test_add_func("/fcgi/log/request-level", test_request_level);
  g_test_add_func("/fcgi/log/writer", test_writer);
  g_test_add_func("/fcgi/log/format-ms", test_format_ms);
  return g_test_run();
}
