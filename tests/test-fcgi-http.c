/* tests/test-fcgi-http.c — the pure parts of bimi-fcgi: routing, query
 * strings, the envelope, Content-Length, ETags, error bodies, log escaping,
 * the metrics text, the [server] listen syntax and the scan for a whole
 * FastCGI request. */
#include "fcgi/http.h"
#include "fcgi/metrics.h"
#include "fcgi/server.h"
#include "engine/limits.h"
#include "tests/lib/expect.h"

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
  g_assert_true(route("/bimi/v1/domain/Brand-1.example.", &r, NULL, &error));
  g_assert_cmpstr(r.domain, ==, "Brand-1.example.");
  bimi_fcgi_route_clear(&r);

  static const char *const bad[] = {
    "/bimi/v1/domain/", "/bimi/v1/domain/a%2Fb", "/bimi/v1/domain/a%00b", "/bimi/v1/domain/%zz",
    "/bimi/v1/domain/%ff.example", "/bimi/v1/domain/a%", "/bimi/v1/domain/not..a..domain",
    "/bimi/v1/domain/.example", "/bimi/v1/domain/a%20b.example", "/bimi/v1/domain/a@b.example",
    "/bimi/v1/domain/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example",
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
  const char *samples[] = { "bimi_fcgi_requests_total{route=\"evaluate\",status=\"200\"} 2",
                            "bimi_fcgi_requests_total{route=\"evaluate\",status=\"400\"} 1",
                            "bimi_fcgi_requests_total{route=\"health\",status=\"other\"} 1",
                            "bimi_fcgi_request_duration_seconds_bucket{route=\"evaluate\",le=\"0.001\"} 1",
                            "bimi_fcgi_request_duration_seconds_bucket{route=\"evaluate\",le=\"0.005\"} 2",
                            "bimi_fcgi_request_duration_seconds_bucket{route=\"evaluate\",le=\"0.25\"} 3",
                            "bimi_fcgi_request_duration_seconds_bucket{route=\"health\",le=\"10\"} 0",
                            "bimi_fcgi_request_duration_seconds_bucket{route=\"health\",le=\"+Inf\"} 1",
                            "bimi_fcgi_request_duration_seconds_count{route=\"evaluate\"} 3",
                            "bimi_fcgi_rejected_total 1",
                            "bimi_fcgi_reloads_total{result=\"failed\"} 1",
                            "bimi_fcgi_queue_length 2",
                            "bimi_fcgi_queue_limit 8",
                            NULL };

  bimi_fcgi_metrics_observe(m, BIMI_FCGI_ROUTE_EVALUATE, 200, 0.003);
  bimi_fcgi_metrics_observe(m, BIMI_FCGI_ROUTE_EVALUATE, 200, 0.2);
  bimi_fcgi_metrics_observe(m, BIMI_FCGI_ROUTE_EVALUATE, 400, 0.0001);
  bimi_fcgi_metrics_observe(m, BIMI_FCGI_ROUTE_HEALTH, 299, 20.0);
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
  bimi_test_assert_samples(out->str, samples);
  g_assert_null(strstr(out->str, "decisions")); /* one family: the engine's bimi_decisions_total */
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

/* ---- bimi_fcgi_scan_request (fastcgi-spec §3.3, §3.4, §5) ---------------- */

static void
put_record(GByteArray *b, guint type, guint id, const void *content, gsize len)
{
  guchar h[8] = { 1, (guchar) type, (guchar) (id >> 8), (guchar) id, (guchar) (len >> 8), (guchar) len, 0, 0 };
  g_byte_array_append(b, h, 8);
  if (len > 0)
    g_byte_array_append(b, content, (guint) len);
}

static void
put_pair(GByteArray *b, const char *name, const char *value)
{
  guchar n = (guchar) strlen(name), v = (guchar) strlen(value);
  g_byte_array_append(b, &n, 1);
  g_byte_array_append(b, &v, 1);
  g_byte_array_append(b, (const guchar *) name, n);
  g_byte_array_append(b, (const guchar *) value, v);
}

/* BEGIN_REQUEST (id 1, keep), PARAMS with CONTENT_LENGTH = @cl (none when NULL), empty PARAMS. */
static GByteArray *
request_head(const char *cl)
{
  static const guchar begin[8] = { 0, 1, 1, 0, 0, 0, 0, 0 };
  g_autoptr(GByteArray) pairs = g_byte_array_new();
  GByteArray *b = g_byte_array_new();

  put_pair(pairs, "REQUEST_METHOD", "POST");
  if (cl != NULL)
    put_pair(pairs, "CONTENT_LENGTH", cl);
  put_record(b, 1, 1, begin, 8);
  put_record(b, 4, 1, pairs->data, pairs->len);
  put_record(b, 4, 1, NULL, 0);
  return b;
}

static BimiFcgiScan
scan(GByteArray *b, gsize len, gsize *need, guint64 *cl, GError **error)
{
  return bimi_fcgi_scan_request(b->data, len, need, cl, error);
}

static void
test_scan_whole_request(void)
{
  g_autoptr(GByteArray) b = request_head("5");
  gsize head_len = b->len, need = 0;
  guint64 cl = 0;
  GError *error = NULL;

  put_record(b, 5, 1, "hello", 5);
  put_record(b, 5, 1, NULL, 0);
  g_assert_cmpint(scan(b, b->len, &need, &cl, &error), ==, BIMI_FCGI_SCAN_READY);
  g_assert_no_error(error);
  g_assert_cmpuint(cl, ==, 5);
  /* Every proper prefix is not ready, and says how much more the next step needs. */
  for (gsize len = 0; len < b->len; len++) {
    BimiFcgiScan r = scan(b, len, &need, &cl, &error);
    g_assert_no_error(error);
    g_assert_cmpint(r, ==, len >= head_len ? BIMI_FCGI_SCAN_HEADERS : BIMI_FCGI_SCAN_MORE);
    g_assert_cmpuint(need, >, len);
    g_assert_cmpuint(need, <=, b->len);
  }
  /* The header of the first record: 8 bytes; then the whole BEGIN_REQUEST: 16. */
  scan(b, 3, &need, &cl, &error);
  g_assert_cmpuint(need, ==, 8);
  scan(b, 9, &need, &cl, &error);
  g_assert_cmpuint(need, ==, 16);
  /* Parameters complete, body not: HEADERS with the announced length. */
  g_assert_cmpint(scan(b, head_len + 8 + 5, &need, &cl, &error), ==, BIMI_FCGI_SCAN_HEADERS);
  g_assert_cmpuint(cl, ==, 5);
  g_assert_cmpuint(need, ==, b->len);
}

static void
test_scan_skips_and_lengths(void)
{
  static const guchar begin2[8] = { 0, 1, 0, 0, 0, 0, 0, 0 };
  g_autoptr(GByteArray) b = g_byte_array_new();
  g_autoptr(GByteArray) head = request_head(NULL);
  gsize need;
  guint64 cl;
  GError *error = NULL;

  /* A management record (FCGI_GET_VALUES, id 0) first, then the request; STDIN of id 7 is not ours. */
  put_record(b, 9, 0, "\x0e\x00" "FCGI_MAX_CONNS", 16);
  g_byte_array_append(b, head->data, head->len);
  put_record(b, 5, 7, NULL, 0);
  g_assert_cmpint(scan(b, b->len, &need, &cl, &error), ==, BIMI_FCGI_SCAN_HEADERS);
  g_assert_no_error(error);
  g_assert_cmpuint(cl, ==, G_MAXUINT64); /* no CONTENT_LENGTH */
  put_record(b, 5, 1, NULL, 0);
  g_assert_cmpint(scan(b, b->len, &need, &cl, &error), ==, BIMI_FCGI_SCAN_READY);

  /* A CONTENT_LENGTH that is not a number is "unknown". */
  g_autoptr(GByteArray) bad_cl = request_head("12x");
  g_assert_cmpint(scan(bad_cl, bad_cl->len, &need, &cl, &error), ==, BIMI_FCGI_SCAN_HEADERS);
  g_assert_cmpuint(cl, ==, G_MAXUINT64);

  /* Not FastCGI: an HTTP request on the socket. */
  g_autoptr(GByteArray) http = g_byte_array_new();
  g_byte_array_append(http, (const guchar *) "GET / HTTP/1.1\r\n", 16);
  scan(http, http->len, &need, &cl, &error);
  g_assert_error(error, BIMI_FCGI_ERROR, BIMI_FCGI_ERROR_BAD_REQUEST);
  g_clear_error(&error);

  /* A second BEGIN_REQUEST. */
  g_autoptr(GByteArray) twice = request_head("0");
  put_record(twice, 1, 2, begin2, 8);
  scan(twice, twice->len, &need, &cl, &error);
  g_assert_error(error, BIMI_FCGI_ERROR, BIMI_FCGI_ERROR_BAD_REQUEST);
  g_clear_error(&error);

  /* A BEGIN_REQUEST body of the wrong size. */
  g_autoptr(GByteArray) short_begin = g_byte_array_new();
  put_record(short_begin, 1, 1, begin2, 4);
  scan(short_begin, short_begin->len, &need, &cl, &error);
  g_assert_error(error, BIMI_FCGI_ERROR, BIMI_FCGI_ERROR_BAD_REQUEST);
  g_clear_error(&error);
}

static void
test_scan_limits(void)
{
  static const guchar begin[8] = { 0, 1, 0, 0, 0, 0, 0, 0 };
  static guchar chunk[32768];
  gsize need;
  guint64 cl;
  GError *error = NULL;

  /* BIMI_SERVER_MAX_SCAN_RECORDS: that many empty records of another id pass, one more does not. */
  g_autoptr(GByteArray) many = g_byte_array_new();
  for (guint i = 0; i < BIMI_SERVER_MAX_SCAN_RECORDS; i++)
    put_record(many, 5, 9, NULL, 0);
  g_assert_cmpint(scan(many, many->len, &need, &cl, &error), ==, BIMI_FCGI_SCAN_MORE);
  g_assert_no_error(error);
  put_record(many, 5, 9, NULL, 0);
  scan(many, many->len, &need, &cl, &error);
  g_assert_error(error, BIMI_FCGI_ERROR, BIMI_FCGI_ERROR_BAD_REQUEST);
  g_assert_nonnull(strstr(error->message, "too many records"));
  g_clear_error(&error);

  /* BIMI_SERVER_READAHEAD_BYTES of parameters pass; a byte more does not. */
  g_autoptr(GByteArray) params = g_byte_array_new();
  put_record(params, 1, 1, begin, 8);
  memset(chunk, 'a', sizeof chunk);
  for (gsize left = BIMI_SERVER_READAHEAD_BYTES; left > 0;) {
    gsize n = MIN(left, (gsize) 65535);
    n = MIN(n, sizeof chunk);
    put_record(params, 4, 1, chunk, n);
    left -= n;
  }
  g_assert_cmpint(scan(params, params->len, &need, &cl, &error), ==, BIMI_FCGI_SCAN_MORE);
  g_assert_no_error(error);
  put_record(params, 4, 1, chunk, 1);
  scan(params, params->len, &need, &cl, &error);
  g_assert_error(error, BIMI_FCGI_ERROR, BIMI_FCGI_ERROR_BAD_REQUEST);
  g_assert_nonnull(strstr(error->message, "parameters too long"));
  g_clear_error(&error);
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
  g_test_add_func("/fcgi/scan/whole-request", test_scan_whole_request);
  g_test_add_func("/fcgi/scan/skips-and-lengths", test_scan_skips_and_lengths);
  g_test_add_func("/fcgi/scan/limits", test_scan_limits);
  return g_test_run();
}
