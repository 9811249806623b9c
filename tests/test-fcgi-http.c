/* tests/test-fcgi-http.c — the pure parts of bimi-fcgi: routing, query
 * strings, the envelope, Content-Length, ETags, error bodies, log escaping,
 * the metrics text and the [server] listen syntax. */
#include "fcgi/http.h"
#include "fcgi/metrics.h"
#include "fcgi/server.h"
#include "engine/limits.h"

#include <string.h>

#define HASH "5e1858ea6463b1c80cf2dfdefcb445c218afd5304dc366dd860de088ef85ef62"

static gboolean
route(const char *path, BimiFcgiRoute *out, const char **field, GError **error)
{
  return bimi_fcgi_route_parse(path, strlen(path), out, field, error);
}

static void
test_route_fixed(void)
{
  static const struct { const char *path; BimiFcgiRouteId id; } cases[] = {
    { "/bimi/v1/evaluate", BIMI_FCGI_ROUTE_EVALUATE },
    { "/bimi/v1/health", BIMI_FCGI_ROUTE_HEALTH },
    { "/bimi/v1/metrics", BIMI_FCGI_ROUTE_METRICS },
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    BimiFcgiRoute r;
    g_autoptr(GError) error = NULL;
    g_assert_true(route(cases[i].path, &r, NULL, &error));
    g_assert_no_error(error);
    g_assert_cmpint(r.id, ==, cases[i].id);
    bimi_fcgi_route_clear(&r);
  }
  g_assert_cmpstr(bimi_fcgi_route_name(BIMI_FCGI_ROUTE_LOGO_PNG), ==, "logo_png");
  g_assert_cmpstr(bimi_fcgi_route_allow(BIMI_FCGI_ROUTE_EVALUATE), ==, "POST");
  g_assert_true(bimi_fcgi_route_method_allowed(BIMI_FCGI_ROUTE_HEALTH, "HEAD"));
  g_assert_false(bimi_fcgi_route_method_allowed(BIMI_FCGI_ROUTE_HEALTH, "POST"));
  g_assert_false(bimi_fcgi_route_method_allowed(BIMI_FCGI_ROUTE_EVALUATE, "GET"));
  g_assert_false(bimi_fcgi_route_method_allowed(BIMI_FCGI_ROUTE_EVALUATE, "post"));
}

static void
test_route_not_found(void)
{
  static const char *const paths[] = {
    "", "/", "/bimi/v1", "/bimi/v1/", "/bimi/v2/health", "/bimi/v1/health/", "/bimi/v1/Health",
    "/bimi/v1/evaluate/x", "/bimi/v1/../v1/health", "/bimi/v1//health", "/bimi/v1/domain/a/b",
    "/bimi/v1/logo/" HASH, "/bimi/v1/logo/" HASH ".png", "/bimi/v1/logo/" HASH "/64.svg",
    "/bimi/v1/logo/" HASH "/64.png/x", "/bimi/v1/logo/" HASH "/64/png", "/bimi/v1/logox/" HASH ".svg",
  };
  for (guint i = 0; i < G_N_ELEMENTS(paths); i++) {
    BimiFcgiRoute r;
    g_autoptr(GError) error = NULL;
    g_assert_false(route(paths[i], &r, NULL, &error));
    g_assert_error(error, BIMI_FCGI_ERROR, BIMI_FCGI_ERROR_NOT_FOUND);
    g_assert_cmpint(r.id, ==, BIMI_FCGI_ROUTE_NOT_FOUND);
  }
  /* A path over the limit is not a route, whatever it holds. */
  g_autoptr(GString) longer = g_string_new("/bimi/v1/domain/");
  while (longer->len <= BIMI_SERVER_MAX_PATH_BYTES)
    g_string_append(longer, "a.");
  BimiFcgiRoute r;
  g_autoptr(GError) error = NULL;
  g_assert_false(bimi_fcgi_route_parse(longer->str, longer->len, &r, NULL, &error));
  g_assert_error(error, BIMI_FCGI_ERROR, BIMI_FCGI_ERROR_NOT_FOUND);
}

static void
test_route_logo(void)
{
  BimiFcgiRoute r;
  g_autoptr(GError) error = NULL;
  const char *field = NULL;

  g_assert_true(route("/bimi/v1/logo/" HASH ".svg", &r, NULL, &error));
  g_assert_cmpint(r.id, ==, BIMI_FCGI_ROUTE_LOGO_SVG);
  g_assert_cmpstr(r.hash, ==, HASH);
  bimi_fcgi_route_clear(&r);

  g_assert_true(route("/bimi/v1/logo/" HASH "/128.png", &r, NULL, &error));
  g_assert_cmpint(r.id, ==, BIMI_FCGI_ROUTE_LOGO_PNG);
  g_assert_cmpstr(r.hash, ==, HASH);
  g_assert_cmpuint(r.px, ==, 128);
  bimi_fcgi_route_clear(&r);
  g_assert_null(r.hash);

  /* Only 64 lowercase hex digits name a logo. */
  static const char *const bad_hash[] = {
    "/bimi/v1/logo/5E1858ea6463b1c80cf2dfdefcb445c218afd5304dc366dd860de088ef85ef62.svg",
    "/bimi/v1/logo/5e1858ea6463b1c80cf2dfdefcb445c218afd5304dc366dd860de088ef85ef6.svg",
    "/bimi/v1/logo/5e1858ea6463b1c80cf2dfdefcb445c218afd5304dc366dd860de088ef85ef622.svg",
    "/bimi/v1/logo/g" "e1858ea6463b1c80cf2dfdefcb445c218afd5304dc366dd860de088ef85ef62/64.png",
    "/bimi/v1/logo/.svg",
  };
  for (guint i = 0; i < G_N_ELEMENTS(bad_hash); i++) {
    g_clear_error(&error);
    g_assert_false(route(bad_hash[i], &r, &field, &error));
    g_assert_error(error, BIMI_FCGI_ERROR, BIMI_FCGI_ERROR_BAD_REQUEST);
    g_assert_cmpstr(field, ==, "hash");
    g_assert_null(r.hash);
  }
  static const char *const bad_size[] = { "0", "064", "12345", "-1", "6x", "", "1e2" };
  for (guint i = 0; i < G_N_ELEMENTS(bad_size); i++) {
    g_autofree char *p = g_strdup_printf("/bimi/v1/logo/" HASH "/%s.png", bad_size[i]);
    g_clear_error(&error);
    g_assert_false(route(p, &r, &field, &error));
    g_assert_error(error, BIMI_FCGI_ERROR, BIMI_FCGI_ERROR_BAD_REQUEST);
    g_assert_cmpstr(field, ==, "size");
    g_assert_cmpint(r.id, ==, BIMI_FCGI_ROUTE_LOGO_PNG);
    g_assert_null(r.hash);
  }
}

static void
test_route_domain(void)
{
  BimiFcgiRoute r;
  g_autoptr(GError) error = NULL;
  const char *field = NULL;

  g_assert_true(route("/bimi/v1/domain/brand.example", &r, NULL, &error));
  g_assert_cmpint(r.id, ==, BIMI_FCGI_ROUTE_DOMAIN);
  g_assert_cmpstr(r.domain, ==, "brand.example");
  bimi_fcgi_route_clear(&r);
  /* U-labels arrive percent-encoded. */
  g_assert_true(route("/bimi/v1/domain/b%C3%BCcher.example", &r, NULL, &error));
  g_assert_cmpstr(r.domain, ==, "b\xc3\xbc" "cher.example");
  bimi_fcgi_route_clear(&r);

  static const char *const bad[] = {
    "/bimi/v1/domain/", "/bimi/v1/domain/a%2Fb", "/bimi/v1/domain/a%00b", "/bimi/v1/domain/%zz",
    "/bimi/v1/domain/%ff.example", "/bimi/v1/domain/a%",
  };
  for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_clear_error(&error);
    g_assert_false(route(bad[i], &r, &field, &error));
    g_assert_error(error, BIMI_FCGI_ERROR, BIMI_FCGI_ERROR_BAD_REQUEST);
    g_assert_cmpstr(field, ==, "domain");
    g_assert_null(r.domain);
  }
}

static const char *const envelope_names[] = { "ip", "helo", "mail_from", NULL };

static GHashTable *
query(const char *q, const char **field, GError **error)
{
  return bimi_fcgi_query_parse(q, strlen(q), envelope_names, field, error);
}

static void
test_query(void)
{
  g_autoptr(GError) error = NULL;
  const char *field = NULL;
  g_autoptr(GHashTable) t = query("ip=192.0.2.1&helo=mail.example.com&mail_from=a%40b.example", &field, &error);

  g_assert_no_error(error);
  g_assert_cmpuint(g_hash_table_size(t), ==, 3);
  g_assert_cmpstr(g_hash_table_lookup(t, "ip"), ==, "192.0.2.1");
  g_assert_cmpstr(g_hash_table_lookup(t, "mail_from"), ==, "a@b.example");
  g_clear_pointer(&t, g_hash_table_unref);

  /* '+' is a space, %2B a plus; empty pairs are skipped; a bare name is "". */
  t = query("&&helo=a+b%2Bc&&mail_from&", &field, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(g_hash_table_lookup(t, "helo"), ==, "a b+c");
  g_assert_cmpstr(g_hash_table_lookup(t, "mail_from"), ==, "");
  g_assert_cmpuint(g_hash_table_size(t), ==, 2);
  g_clear_pointer(&t, g_hash_table_unref);

  t = bimi_fcgi_query_parse(NULL, 0, envelope_names, &field, &error);
  g_assert_nonnull(t);
  g_assert_cmpuint(g_hash_table_size(t), ==, 0);
  g_clear_pointer(&t, g_hash_table_unref);

  static const struct { const char *q; const char *field; } bad[] = {
    { "ip=1.2.3.4&ip=1.2.3.5", "ip" },
    { "foo=1", "query" },
    { "ip%zz=1", "query" },
    { "ip=%zz", "ip" },
    { "helo=a%00b", "helo" },
    { "mail_from=%ff", "mail_from" },
  };
  for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_clear_error(&error);
    field = NULL;
    g_assert_null(query(bad[i].q, &field, &error));
    g_assert_error(error, BIMI_FCGI_ERROR, BIMI_FCGI_ERROR_BAD_REQUEST);
    g_assert_cmpstr(field, ==, bad[i].field);
  }

  /* The limits: query bytes and pair count. */
  g_autoptr(GString) many = g_string_new("");
  for (guint i = 0; i <= BIMI_SERVER_MAX_QUERY_PARAMS; i++)
    g_string_append(many, "ip=1&");
  g_clear_error(&error);
  g_assert_null(query(many->str, &field, &error));
  g_assert_error(error, BIMI_FCGI_ERROR, BIMI_FCGI_ERROR_BAD_REQUEST);
  g_assert_cmpstr(field, ==, "query");
  g_autoptr(GString) longq = g_string_new("helo=");
  while (longq->len <= BIMI_SERVER_MAX_QUERY_BYTES)
    g_string_append_c(longq, 'a');
  g_clear_error(&error);
  g_assert_null(query(longq->str, &field, &error));
  g_assert_cmpstr(field, ==, "query");
  /* An embedded raw NUL is refused, not truncated. */
  g_clear_error(&error);
  g_assert_null(bimi_fcgi_query_parse("helo=a\0b", 8, envelope_names, &field, &error));
  g_assert_error(error, BIMI_FCGI_ERROR, BIMI_FCGI_ERROR_BAD_REQUEST);
}

static void
test_envelope(void)
{
  static const struct { const char *q; const char *field; } cases[] = {
    { "ip=192.0.2.1&helo=mx.example.com&mail_from=a@b.example", NULL },
    { "ip=2001:db8::1&helo=[192.0.2.1]&mail_from=", NULL },
    { "", NULL },
    { "ip=192.0.2.256", "ip" },
    { "ip=example.com", "ip" },
    { "ip=fe80::1%25eth0", "ip" },
    { "ip=", "ip" },
    { "helo=", "helo" },
    { "helo=a+b", "helo" },
    { "helo=%C3%A9", "helo" },
    { "mail_from=a+b@c", "mail_from" },
    { "mail_from=a%0d%0ab", "mail_from" },
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GError) error = NULL;
    const char *field = NULL;
    g_autoptr(GHashTable) t = query(cases[i].q, &field, &error);
    BimiEnvelope env;
    g_assert_no_error(error);
    gboolean ok = bimi_fcgi_envelope_from_query(t, &env, &field, &error);
    g_assert_cmpint(ok, ==, cases[i].field == NULL);
    g_assert_cmpstr(field, ==, cases[i].field);
    if (ok && i == 0) {
      g_assert_cmpstr(env.client_ip, ==, "192.0.2.1");
      g_assert_cmpstr(env.helo, ==, "mx.example.com");
      g_assert_cmpstr(env.mail_from, ==, "a@b.example");
    }
    if (ok && i == 2)
      g_assert_true(env.client_ip == NULL && env.helo == NULL && env.mail_from == NULL);
  }
}

static void
test_content_length(void)
{
  guint64 v = 1;
  g_assert_true(bimi_fcgi_parse_content_length(NULL, &v));
  g_assert_cmpuint(v, ==, 0);
  g_assert_true(bimi_fcgi_parse_content_length("", &v));
  g_assert_true(bimi_fcgi_parse_content_length("4096", &v));
  g_assert_cmpuint(v, ==, 4096);
  g_assert_true(bimi_fcgi_parse_content_length("18446744073709551615", &v));
  g_assert_cmpuint(v, ==, G_MAXUINT64);
  g_assert_false(bimi_fcgi_parse_content_length("18446744073709551616", &v));
  g_assert_false(bimi_fcgi_parse_content_length("-1", &v));
  g_assert_false(bimi_fcgi_parse_content_length("+1", &v));
  g_assert_false(bimi_fcgi_parse_content_length(" 1", &v));
  g_assert_false(bimi_fcgi_parse_content_length("0x10", &v));
}

static void
test_etag(void)
{
  g_assert_true(bimi_fcgi_etag_matches("\"abc\"", "\"abc\""));
  g_assert_true(bimi_fcgi_etag_matches("W/\"abc\"", "\"abc\""));
  g_assert_true(bimi_fcgi_etag_matches("\"abc\"", "W/\"abc\""));
  g_assert_true(bimi_fcgi_etag_matches("\"x\", \"abc\"", "\"abc\""));
  g_assert_true(bimi_fcgi_etag_matches("*", "\"abc\""));
  g_assert_false(bimi_fcgi_etag_matches("\"abcd\"", "\"abc\""));
  g_assert_false(bimi_fcgi_etag_matches("\"ab", "\"abc\""));
  g_assert_false(bimi_fcgi_etag_matches("abc", "\"abc\""));
  g_assert_false(bimi_fcgi_etag_matches(NULL, "\"abc\""));
  g_assert_false(bimi_fcgi_etag_matches("", "\"abc\""));
}

static void
test_error_json_and_escape(void)
{
  g_autofree char *a = bimi_fcgi_error_json("bad \"ip\"", "ip");
  g_autofree char *b = bimi_fcgi_error_json("not found", NULL);
  g_autofree char *c = bimi_fcgi_error_json("bad \xff byte", "message");
  g_assert_cmpstr(a, ==, "{\"error\":\"bad \\\"ip\\\"\",\"field\":\"ip\"}");
  g_assert_cmpstr(b, ==, "{\"error\":\"not found\"}");
  g_assert_true(g_utf8_validate(c, -1, NULL));

  g_autofree char *e = bimi_fcgi_log_escape("/a b\n\"\\\x01\xc3", 100);
  g_assert_cmpstr(e, ==, "/a b\\x0a\\x22\\x5c\\x01\\xc3");
  g_autofree char *t = bimi_fcgi_log_escape("abcdef", 3);
  g_assert_cmpstr(t, ==, "abc...");
  g_autofree char *n = bimi_fcgi_log_escape(NULL, 3);
  g_assert_cmpstr(n, ==, "-");
}

/* Every sample line: name{labels} value, labels quoted; histograms cumulative. */
static void
test_metrics_text(void)
{
  g_autoptr(BimiFcgiMetrics) m = bimi_fcgi_metrics_new();
  g_autoptr(GString) out = g_string_new("");
  BimiFcgiGauges g = { .workers = 4, .in_flight = 1, .queued = 2, .connections = 3, .max_queue = 8 };
  g_autoptr(GRegex) line = g_regex_new("^[a-z_]+(\\{([a-z_]+=\"[^\"]*\",?)+\\})? [0-9.e+-]+$", 0, 0, NULL);

  bimi_fcgi_metrics_observe(m, BIMI_FCGI_ROUTE_EVALUATE, 200, 0.003, "logo+checkmark");
  bimi_fcgi_metrics_observe(m, BIMI_FCGI_ROUTE_EVALUATE, 200, 0.2, "none");
  bimi_fcgi_metrics_observe(m, BIMI_FCGI_ROUTE_EVALUATE, 400, 0.0001, NULL);
  bimi_fcgi_metrics_observe(m, BIMI_FCGI_ROUTE_HEALTH, 299, 20.0, NULL);
  bimi_fcgi_metrics_count_rejected(m);
  bimi_fcgi_metrics_count_reload(m, FALSE);
  bimi_fcgi_metrics_render(m, &g, out);

  g_auto(GStrv) lines = g_strsplit(out->str, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++) {
    if (lines[i][0] == '\0' || lines[i][0] == '#')
      continue;
    if (!g_regex_match(line, lines[i], 0, NULL))
      g_error("not a sample line: %s", lines[i]);
  }
  g_assert_nonnull(strstr(out->str, "\nbimi_fcgi_requests_total{route=\"evaluate\",status=\"200\"} 2\n"));
  g_assert_nonnull(strstr(out->str, "\nbimi_fcgi_requests_total{route=\"evaluate\",status=\"400\"} 1\n"));
  g_assert_nonnull(strstr(out->str, "\nbimi_fcgi_requests_total{route=\"health\",status=\"other\"} 1\n"));
  g_assert_nonnull(strstr(out->str, "\nbimi_fcgi_request_duration_seconds_bucket{route=\"evaluate\",le=\"0.001\"} 1\n"));
  g_assert_nonnull(strstr(out->str, "\nbimi_fcgi_request_duration_seconds_bucket{route=\"evaluate\",le=\"0.005\"} 2\n"));
  g_assert_nonnull(strstr(out->str, "\nbimi_fcgi_request_duration_seconds_bucket{route=\"evaluate\",le=\"0.25\"} 3\n"));
  g_assert_nonnull(strstr(out->str, "\nbimi_fcgi_request_duration_seconds_bucket{route=\"health\",le=\"10\"} 0\n"));
  g_assert_nonnull(strstr(out->str, "\nbimi_fcgi_request_duration_seconds_bucket{route=\"health\",le=\"+Inf\"} 1\n"));
  g_assert_nonnull(strstr(out->str, "\nbimi_fcgi_request_duration_seconds_count{route=\"evaluate\"} 3\n"));
  g_assert_nonnull(strstr(out->str, "\nbimi_fcgi_decisions_total{decision=\"logo+checkmark\"} 1\n"));
  g_assert_nonnull(strstr(out->str, "\nbimi_fcgi_decisions_total{decision=\"logo\"} 0\n"));
  g_assert_nonnull(strstr(out->str, "\nbimi_fcgi_rejected_total 1\n"));
  g_assert_nonnull(strstr(out->str, "\nbimi_fcgi_reloads_total{result=\"failed\"} 1\n"));
  g_assert_nonnull(strstr(out->str, "\nbimi_fcgi_queue_length 2\n"));
  g_assert_nonnull(strstr(out->str, "\nbimi_fcgi_queue_limit 8\n"));
  g_assert_nonnull(strstr(out->str, "# TYPE bimi_fcgi_request_duration_seconds histogram\n"));
}

static void
test_listen(void)
{
  static const struct { const char *spec; const char *path, *host, *port; } good[] = {
    { "unix:/run/bimi/bimi-fcgi.sock", "/run/bimi/bimi-fcgi.sock", NULL, NULL },
    { "/tmp/s", "/tmp/s", NULL, NULL },
    { "127.0.0.1:9000", NULL, "127.0.0.1", "9000" },
    { "localhost:1", NULL, "localhost", "1" },
    { "[::1]:65535", NULL, "::1", "65535" },
  };
  for (guint i = 0; i < G_N_ELEMENTS(good); i++) {
    BimiFcgiListen l;
    g_autoptr(GError) error = NULL;
    g_assert_true(bimi_fcgi_listen_parse(good[i].spec, &l, &error));
    g_assert_cmpstr(l.unix_path, ==, good[i].path);
    g_assert_cmpstr(l.host, ==, good[i].host);
    g_assert_cmpstr(l.port, ==, good[i].port);
    bimi_fcgi_listen_clear(&l);
  }
  static const char *const bad[] = { "", "unix:relative", "9000", ":9000", "host:0", "host:65536", "::1:9000",
                                     "[::1]9000", "host:http" };
  for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
    BimiFcgiListen l;
    g_autoptr(GError) error = NULL;
    g_assert_false(bimi_fcgi_listen_parse(bad[i], &l, &error));
    g_assert_error(error, BIMI_FCGI_SERVER_ERROR, BIMI_FCGI_SERVER_ERROR_LISTEN);
    g_assert_null(l.unix_path);
    g_assert_null(l.host);
  }
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/fcgi/route/fixed", test_route_fixed);
  g_test_add_func("/fcgi/route/not-found", test_route_not_found);
  g_test_add_func("/fcgi/route/logo", test_route_logo);
  g_test_add_func("/fcgi/route/domain", test_route_domain);
  g_test_add_func("/fcgi/query/parse", test_query);
  g_test_add_func("/fcgi/query/envelope", test_envelope);
  g_test_add_func("/fcgi/content-length", test_content_length);
  g_test_add_func("/fcgi/etag", test_etag);
  g_test_add_func("/fcgi/error-json-and-log-escape", test_error_json_and_escape);
  g_test_add_func("/fcgi/metrics/text", test_metrics_text);
  g_test_add_func("/fcgi/listen", test_listen);
  return g_test_run();
}
