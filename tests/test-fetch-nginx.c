/* tests/test-fetch-nginx.c — engine/fetch against a real nginx TLS origin.
 *
 * Starts /usr/sbin/nginx (fixtures/fetch/nginx.conf.in, the test CA of
 * fixtures/tls/) on free loopback ports, plus fixtures/fetch/rogue-origin.py
 * (responses nginx will not send) and a listening socket that never answers
 * (the slow origin). Host names are pinned to 127.0.0.x with the fetcher's
 * `resolve` setting. Every refusal is checked for its reason code.
 *
 * The servers are children with PR_SET_PDEATHSIG, and are stopped by PID at
 * the end: a failed assertion (abort) still takes them down. Skips when nginx
 * is not installed.
 */
#include "engine/fetch.h"
#include "engine/fetch-private.h"
#include "tests/lib/net.h"
#include "tests/lib/fetch.h"

#include <errno.h>
#include <stdarg.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#define NGINX BIMI_TEST_NGINX

static char *tmp;
static char *root;
static guint port, port_untrusted, port_rogue, port_slow, port_closed;
static GPid nginx_pid, rogue_pid;
static int rogue_stdin = -1;
static GSocket *slow_socket;
static GBytes *logo_svg;
static char **pins;

/* A NULL-terminated argv of copies (spawn wants char **). */
static GStrv
make_argv(const char *first, ...)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new();
  va_list ap;

  va_start(ap, first);
  for (const char *a = first; a != NULL; a = va_arg(ap, const char *))
    g_strv_builder_add(b, a);
  va_end(ap);
  return g_strv_builder_end(b);
}

static void
wait_port(guint p)
{
  if (!bimi_test_wait_port(p))
    g_error("nothing listens on 127.0.0.1:%u (see %s)", p, tmp);
}

static void
write_file(const char *name, const void *data, gsize len)
{
  g_autofree char *path = g_build_filename(root, name, NULL);
  g_autofree char *dir = g_path_get_dirname(path);
  g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
  g_assert_true(g_file_set_contents(path, data, (gssize) len, NULL));
}

static GBytes *
gzip_bytes(const void *data, gsize len)
{
  g_autoptr(GZlibCompressor) z = g_zlib_compressor_new(G_ZLIB_COMPRESSOR_FORMAT_GZIP, 9);
  g_autoptr(GInputStream) in = g_memory_input_stream_new_from_data(data, (gssize) len, NULL);
  g_autoptr(GInputStream) conv = g_converter_input_stream_new(in, G_CONVERTER(z));
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable();

  g_assert_cmpint(g_output_stream_splice(out, conv, G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, NULL, NULL), >, 0);
  return g_memory_output_stream_steal_as_bytes(G_MEMORY_OUTPUT_STREAM(out));
}

/* An SVG-looking document of exactly @len bytes. */
static char *
filler_svg(gsize len)
{
  char *s = g_malloc(len + 1);
  memset(s, ' ', len);
  memcpy(s, "<svg>", 5);
  memcpy(s + len - 6, "</svg>", 6);
  s[len] = '\0';
  return s;
}

static void
setup_origin(void)
{
  g_autofree char *cwd = g_get_current_dir();
  g_autofree char *tls = g_build_filename(cwd, "fixtures", "tls", NULL);
  g_autofree char *big = filler_svg(40 * 1024);
  g_autofree char *huge = filler_svg(100 * 1024);
  g_autofree char *evidence_big = filler_svg(70 * 1024);
  g_autofree char *bomb = filler_svg(200 * 1024);
  g_autofree char *ca = NULL;
  g_autoptr(GBytes) svgz = NULL;
  g_autoptr(GBytes) bombz = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) conf = NULL;
  gsize len = 0;
  char *logo = NULL;

  tmp = bimi_test_make_tmpdir("bimi-fetch-XXXXXX");
  root = g_build_filename(tmp, "www", NULL);

  g_assert_true(g_file_get_contents("fixtures/fetch/logo.svg", &logo, &len, NULL));
  logo_svg = g_bytes_new_take(logo, len);
  write_file("logo.svg", logo, len);
  svgz = gzip_bytes(logo, len);
  write_file("logo.svgz", g_bytes_get_data(svgz, NULL), g_bytes_get_size(svgz));
  bombz = gzip_bytes(bomb, 200 * 1024);
  write_file("bomb.svgz", g_bytes_get_data(bombz, NULL), g_bytes_get_size(bombz));
  write_file("big.svg", big, 40 * 1024);
  write_file("huge.svg", huge, 100 * 1024);
  write_file("gz/big.svg", big, 40 * 1024);
  write_file("evidence-big.pem", evidence_big, 70 * 1024);
  g_assert_true(g_file_get_contents("fixtures/tls/ca.pem", &ca, &len, NULL));
  write_file("chain.pem", ca, len);
  {
    g_autofree char *page = NULL;
    g_assert_true(g_file_get_contents("fixtures/fetch/page.html", &page, &len, NULL));
    write_file("page.html", page, len);
  }

  {
    guint ports[3];
    bimi_test_free_ports(ports, G_N_ELEMENTS(ports));
    port = ports[0];
    port_untrusted = ports[1];
    port_rogue = ports[2];
  }

  conf = bimi_test_nginx_conf("fixtures/fetch/nginx.conf.in");
  bimi_test_conf_set_port(conf, "@PORT_UNTRUSTED@", port_untrusted);
  bimi_test_conf_set_port(conf, "@PORT@", port);
  g_string_replace(conf, "@TMP@", tmp, 0);
  g_string_replace(conf, "@ROOT@", root, 0);
  g_string_replace(conf, "@TLS@", tls, 0);
  nginx_pid = bimi_test_nginx_start(tmp, conf);
  {
    g_autofree char *p = g_strdup_printf("%u", port_rogue);
    g_autofree char *cert = g_build_filename(tls, "server.pem", NULL);
    g_autofree char *key = g_build_filename(tls, "server.key", NULL);
    g_auto(GStrv) argv = make_argv("python3", "fixtures/fetch/rogue-origin.py", p, cert, key, NULL);
    g_spawn_async_with_pipes(NULL, argv, NULL,
                             G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                             bimi_test_die_with_parent, NULL, &rogue_pid, &rogue_stdin, NULL, NULL, &error);
    g_assert_no_error(error);
  }
  /* The slow origin: the kernel completes the TCP handshake (backlog), nobody
   * ever reads the ClientHello. */
  {
    g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) any = g_inet_socket_address_new(lo, 0);
    g_autoptr(GSocketAddress) bound = NULL;
    slow_socket = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
    g_assert_no_error(error);
    g_assert_true(g_socket_bind(slow_socket, any, TRUE, NULL));
    g_assert_true(g_socket_listen(slow_socket, NULL));
    bound = g_socket_get_local_address(slow_socket, NULL);
    port_slow = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
  }
  pins = g_new0(char *, 10);
  pins[0] = g_strdup_printf("origin.test:%u:127.0.0.1", port);
  pins[1] = g_strdup_printf("origin.test:%u:127.0.0.1", port_untrusted);
  pins[2] = g_strdup_printf("private.origin.test:%u:127.0.0.2", port);
  pins[3] = g_strdup_printf("wrong.example:%u:127.0.0.1", port);
  pins[4] = g_strdup_printf("rogue.origin.test:%u:127.0.0.1", port_rogue);
  pins[5] = g_strdup_printf("slow.origin.test:%u:127.0.0.1", port_slow);
  pins[6] = g_strdup_printf("v6.origin.test:%u:[::1]", port);
  pins[8] = g_strdup_printf("mapped.origin.test:%u:[::ffff:127.0.0.1]", port);
  {
    /* Nothing listens there: the port was only bound for a moment. */
    guint closed;
    do
      closed = bimi_test_free_port();
    while (closed == port || closed == port_untrusted || closed == port_rogue || closed == port_slow);
    pins[7] = g_strdup_printf("closed.origin.test:%u:127.0.0.1", closed);
    port_closed = closed;
  }
  wait_port(port);
  wait_port(port_untrusted);
  wait_port(port_rogue);
}

static void
teardown_origin(void)
{
  bimi_test_child_stop(&nginx_pid);
  if (rogue_stdin >= 0)
    close(rogue_stdin);
  bimi_test_child_stop(&rogue_pid);
  g_clear_object(&slow_socket);
  if (tmp != NULL)
    bimi_test_remove_tree(tmp);
  g_clear_pointer(&tmp, g_free);
  g_clear_pointer(&root, g_free);
  g_clear_pointer(&pins, g_strfreev);
  g_clear_pointer(&logo_svg, g_bytes_unref);
}

/* ---- helpers -------------------------------------------------------------- */

static BimiFetcher *
fetcher_full(gboolean allow_private, const char *ca_file, guint timeout_ms)
{
  g_autoptr(GError) error = NULL;
  BimiFetchConfig c = { 0 };
  BimiFetcher *f;

  c.allow_private_addresses = allow_private;
  c.ca_file = ca_file;
  c.timeout_ms = timeout_ms;
  c.resolve = (const char *const *) pins;
  f = bimi_fetch_fetcher_new(&c, &error);
  g_assert_no_error(error);
  return f;
}

static BimiFetcher *
fetcher(gboolean allow_private)
{
  return fetcher_full(allow_private, "fixtures/tls/ca.pem", 0);
}

static BimiFetchResult *
get_request(BimiFetcher *f, const char *host, guint p, const char *path, const BimiFetchRequest *req)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *url = g_strdup_printf("https://%s:%u%s", host, p, path);
  BimiFetchResult *r = bimi_fetch_url(f, url, req, &error);
  g_assert_no_error(error);
  g_assert_nonnull(r);
  bimi_test_fetch_log(url, r);
  return r;
}

static BimiFetchResult *
get_kind(BimiFetcher *f, const char *host, guint p, const char *path, BimiFetchKind kind)
{
  BimiFetchRequest req = { .kind = kind };
  return get_request(f, host, p, path, &req);
}

static BimiFetchResult *
get(BimiFetcher *f, const char *path)
{
  return get_kind(f, "origin.test", port, path, BIMI_FETCH_KIND_LOGO);
}

/* ---- tests ---------------------------------------------------------------- */

static void
test_good_logo(void)
{
  g_autoptr(BimiFetcher) f = fetcher(TRUE);
  g_autoptr(BimiFetchResult) r = get(f, "/logo.svg");
  g_autofree char *url = g_strdup_printf("https://origin.test:%u/logo.svg", port);

  g_assert_cmpint(r->status, ==, BIMI_FETCH_STATUS_OK);
  g_assert_cmpint(r->reason, ==, BIMI_FETCH_REASON_NONE);
  g_assert_cmpuint(r->http_status, ==, 200);
  g_assert_true(g_bytes_equal(r->body, logo_svg));
  g_assert_false(r->inflated);
  g_assert_cmpstr(r->content_type, ==, "image/svg+xml");
  g_assert_nonnull(r->etag);
  g_assert_true(r->etag[0] == '"');
  g_assert_nonnull(r->last_modified);
  g_assert_cmpint(r->max_age, ==, -1);
  g_assert_cmpstr(r->final_url, ==, url);
  g_assert_cmpstr(r->remote_ip, ==, "127.0.0.1");
  g_assert_cmpuint(r->redirects, ==, 0);
}

static void
test_user_agent(void)
{
  g_autoptr(BimiFetcher) f = fetcher(TRUE);
  g_autoptr(BimiFetchResult) r = get(f, "/logo.svg?ua-probe");
  g_autofree char *log_path = g_build_filename(tmp, "access.log", NULL);
  g_autofree char *log = NULL;

  g_assert_cmpint(r->status, ==, BIMI_FETCH_STATUS_OK);
  /* nginx writes the access log line after the response; give it a moment. */
  for (int i = 0; i < 40; i++) {
    g_clear_pointer(&log, g_free);
    g_assert_true(g_file_get_contents(log_path, &log, NULL, NULL));
    if (strstr(log, "ua-probe") != NULL)
      break;
    g_usleep(25000);
  }
  g_assert_nonnull(strstr(log, "\"GET /logo.svg?ua-probe HTTP/"));
  g_assert_nonnull(strstr(log, "\"bimi-engine/" BIMI_VERSION "\""));
}

static void
test_not_modified(void)
{
  g_autoptr(BimiFetcher) f = fetcher(TRUE);
  g_autoptr(BimiFetchResult) first = get(f, "/logo.svg");
  g_autoptr(BimiFetchResult) again = NULL;
  g_autoptr(BimiFetchResult) since = NULL;
  g_autoptr(BimiFetchResult) changed = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = g_strdup_printf("https://origin.test:%u/logo.svg", port);
  BimiFetchRequest req = { .kind = BIMI_FETCH_KIND_LOGO };

  g_assert_cmpint(first->status, ==, BIMI_FETCH_STATUS_OK);
  req.if_none_match = first->etag;
  again = bimi_fetch_url(f, url, &req, &error);
  g_assert_no_error(error);
  g_assert_cmpint(again->status, ==, BIMI_FETCH_STATUS_NOT_MODIFIED);
  g_assert_cmpuint(again->http_status, ==, 304);
  g_assert_null(again->body);
  g_assert_cmpstr(again->etag, ==, first->etag);

  req.if_none_match = NULL;
  req.if_modified_since = first->last_modified;
  since = bimi_fetch_url(f, url, &req, &error);
  g_assert_no_error(error);
  g_assert_cmpint(since->status, ==, BIMI_FETCH_STATUS_NOT_MODIFIED);

  req.if_modified_since = NULL;
  req.if_none_match = "\"not-the-etag\"";
  changed = bimi_fetch_url(f, url, &req, &error);
  g_assert_no_error(error);
  g_assert_cmpint(changed->status, ==, BIMI_FETCH_STATUS_OK);
  g_assert_true(g_bytes_equal(changed->body, logo_svg));
}

static void
test_max_age(void)
{
  g_autoptr(BimiFetcher) f = fetcher(TRUE);
  g_autoptr(BimiFetchResult) cached = get(f, "/cached.svg");
  g_autoptr(BimiFetchResult) expires = get(f, "/expires.svg");
  g_autoptr(BimiFetchResult) nostore = get(f, "/nostore.svg");

  g_assert_cmpint(cached->status, ==, BIMI_FETCH_STATUS_OK);
  g_assert_cmpint(cached->max_age, ==, 600);
  g_assert_cmpint(expires->status, ==, BIMI_FETCH_STATUS_OK);
  g_assert_cmpint(expires->max_age, ==, 3600);   /* nginx "expires 1h": max-age=3600 and Expires */
  g_assert_cmpint(nostore->status, ==, BIMI_FETCH_STATUS_OK);
  g_assert_cmpint(nostore->max_age, ==, 0);
}

static void
test_too_large_content_length(void)
{
  g_autoptr(BimiFetcher) f = fetcher(TRUE);
  g_autoptr(BimiFetchResult) r = get(f, "/big.svg");   /* 40 KiB > 32 KiB, < wire cap */
  bimi_test_fetch_assert_failed(r, BIMI_FETCH_REASON_TOO_LARGE);
  g_assert_nonnull(strstr(r->detail, "Content-Length 40960"));
}

static void
test_too_large_wire(void)
{
  g_autoptr(BimiFetcher) f = fetcher(TRUE);
  g_autoptr(BimiFetchResult) r = get(f, "/huge.svg");  /* 100 KiB > 64 KiB wire cap: CURLOPT_MAXFILESIZE */
  bimi_test_fetch_assert_failed(r, BIMI_FETCH_REASON_TOO_LARGE);
  g_assert_nonnull(strstr(r->detail, "Content-Length 102400 exceeds the limit of 65536 bytes received"));
}

static void
test_too_large_decoded(void)
{
  g_autoptr(BimiFetcher) f = fetcher(TRUE);
  /* gzip on the wire: small and chunked; 40 KiB once curl has decoded it. */
  g_autoptr(BimiFetchResult) r = get(f, "/gz/big.svg");
  bimi_test_fetch_assert_failed(r, BIMI_FETCH_REASON_TOO_LARGE);
  g_assert_nonnull(strstr(r->detail, "after decoding"));
}

static void
test_evidence_caps(void)
{
  g_autoptr(BimiFetcher) f = fetcher(TRUE);
  g_autoptr(BimiFetchResult) big_ok = get_kind(f, "origin.test", port, "/big.svg", BIMI_FETCH_KIND_EVIDENCE);
  g_autoptr(BimiFetchResult) too_big = get_kind(f, "origin.test", port, "/evidence-big.pem", BIMI_FETCH_KIND_EVIDENCE);
  g_autoptr(BimiFetchResult) chain = get_kind(f, "origin.test", port, "/chain.pem", BIMI_FETCH_KIND_EVIDENCE);

  /* 40 KiB is under the 64 KiB evidence cap; image/svg+xml is not a PEM type, though. */
  bimi_test_fetch_assert_failed(big_ok, BIMI_FETCH_REASON_CONTENT_TYPE);
  bimi_test_fetch_assert_failed(too_big, BIMI_FETCH_REASON_TOO_LARGE);
  g_assert_cmpint(chain->status, ==, BIMI_FETCH_STATUS_OK);
  g_assert_cmpstr(chain->content_type, ==, "application/x-x509-ca-cert");
  g_assert_true(g_str_has_prefix(g_bytes_get_data(chain->body, NULL), "-----BEGIN CERTIFICATE-----"));
}

static void
test_svgz(void)
{
  g_autoptr(BimiFetcher) f = fetcher(TRUE);
  g_autoptr(BimiFetchResult) r = get(f, "/logo.svgz");
  g_autoptr(BimiFetchResult) bomb = get(f, "/bomb.svgz");

  g_assert_cmpint(r->status, ==, BIMI_FETCH_STATUS_OK);
  g_assert_true(r->inflated);
  g_assert_true(g_bytes_equal(r->body, logo_svg));
  bimi_test_fetch_assert_failed(bomb, BIMI_FETCH_REASON_TOO_LARGE);
  g_assert_nonnull(strstr(bomb->detail, "SVGZ"));
}

static void
test_content_type(void)
{
  g_autoptr(BimiFetcher) f = fetcher(TRUE);
  g_autoptr(BimiFetchResult) html = get(f, "/page.html");
  g_autoptr(BimiFetchResult) html_ev = get_kind(f, "origin.test", port, "/page.html", BIMI_FETCH_KIND_EVIDENCE);
  g_autoptr(BimiFetchResult) custom = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = g_strdup_printf("https://origin.test:%u/page.html", port);
  const char *const html_only[] = { "text/html", NULL };
  BimiFetchRequest req = { .kind = BIMI_FETCH_KIND_LOGO, .accept_types = html_only };

  bimi_test_fetch_assert_failed(html, BIMI_FETCH_REASON_CONTENT_TYPE);
  g_assert_nonnull(strstr(html->detail, "text/html"));
  bimi_test_fetch_assert_failed(html_ev, BIMI_FETCH_REASON_CONTENT_TYPE);
  custom = bimi_fetch_url(f, url, &req, &error);
  g_assert_no_error(error);
  g_assert_cmpint(custom->status, ==, BIMI_FETCH_STATUS_OK);
}

static void
test_http_status(void)
{
  g_autoptr(BimiFetcher) f = fetcher(TRUE);
  g_autoptr(BimiFetchResult) r = get(f, "/missing.svg");
  bimi_test_fetch_assert_failed(r, BIMI_FETCH_REASON_HTTP_STATUS);
  g_assert_cmpuint(r->http_status, ==, 404);
}

static void
test_redirects(void)
{
  g_autoptr(BimiFetcher) f = fetcher(TRUE);
  g_autoptr(BimiFetchResult) two = get(f, "/redirect/two");
  g_autoptr(BimiFetchResult) three = get(f, "/redirect/three");
  g_autoptr(BimiFetchResult) http = get(f, "/redirect/http");
  g_autofree char *final = g_strdup_printf("https://origin.test:%u/logo.svg", port);

  g_assert_cmpint(two->status, ==, BIMI_FETCH_STATUS_OK);
  g_assert_cmpuint(two->redirects, ==, 2);
  g_assert_cmpstr(two->final_url, ==, final);
  g_assert_true(g_bytes_equal(two->body, logo_svg));
  bimi_test_fetch_assert_failed(three, BIMI_FETCH_REASON_REDIRECT);
  g_assert_cmpuint(three->http_status, ==, 302);   /* the third redirect, not followed */
  bimi_test_fetch_assert_failed(http, BIMI_FETCH_REASON_SCHEME);
  g_assert_true(g_str_has_prefix(http->final_url, "http://origin.test:"));
}

static void
test_redirect_private(void)
{
  g_autoptr(BimiFetcher) f = fetcher(FALSE);
  g_autoptr(BimiFetchResult) direct = NULL;
  g_autoptr(BimiFetchResult) hop = NULL;
  g_autoptr(BimiFetchResult) ip = NULL;

  /* The origin itself (127.0.0.1:port) is let through; nothing else local is. */
  bimi_fetch__exempt_endpoint(f, "127.0.0.1", port);
  direct = get(f, "/logo.svg");
  g_assert_cmpint(direct->status, ==, BIMI_FETCH_STATUS_OK);
  hop = get(f, "/redirect/private");   /* → private.origin.test = 127.0.0.2 */
  bimi_test_fetch_assert_failed(hop, BIMI_FETCH_REASON_FORBIDDEN_ADDRESS);
  g_assert_nonnull(strstr(hop->detail, "127.0.0.2"));
  g_assert_nonnull(strstr(hop->detail, "loopback"));
  g_assert_cmpuint(hop->redirects, ==, 1);
  ip = get(f, "/redirect/ip");         /* → https://127.0.0.1:port/: IP literal */
  bimi_test_fetch_assert_failed(ip, BIMI_FETCH_REASON_URL);
  g_assert_nonnull(strstr(ip->detail, "IP literal"));
}

static void
test_dns_private(void)
{
  g_autoptr(BimiFetcher) f = fetcher(FALSE);
  g_autoptr(BimiFetchResult) r = get(f, "/logo.svg");   /* origin.test resolves to 127.0.0.1 */
  bimi_test_fetch_assert_failed(r, BIMI_FETCH_REASON_FORBIDDEN_ADDRESS);
  g_assert_nonnull(strstr(r->detail, "127.0.0.1"));
  g_assert_nonnull(strstr(r->detail, "127.0.0.0/8"));
  g_assert_cmpuint(r->http_status, ==, 0);
  {
    /* AAAA answers: ::1, and 127.0.0.1 in its IPv4-mapped form. */
    g_autoptr(BimiFetchResult) v6 = get_kind(f, "v6.origin.test", port, "/logo.svg", BIMI_FETCH_KIND_LOGO);
    g_autoptr(BimiFetchResult) mapped = get_kind(f, "mapped.origin.test", port, "/logo.svg", BIMI_FETCH_KIND_LOGO);
    bimi_test_fetch_assert_failed(v6, BIMI_FETCH_REASON_FORBIDDEN_ADDRESS);
    g_assert_nonnull(strstr(v6->detail, "::1: loopback address (::1/128)"));
    bimi_test_fetch_assert_failed(mapped, BIMI_FETCH_REASON_FORBIDDEN_ADDRESS);
    g_assert_nonnull(strstr(mapped->detail, "::ffff:127.0.0.1: loopback address (127.0.0.0/8)"));
  }
}

/* No pins: every host (and every redirect hop) resolves through engine/dns,
 * here an offline zone; a name the zone lacks is reason dns. */
static void
test_dns_zone(void)
{
  static const char zone[] = "origin.test. A 127.0.0.1\n"
                             "private.origin.test. A 127.0.0.1\n"
                             "v6.origin.test. AAAA ::1\n";
  g_autoptr(GError) error = NULL;
  BimiDnsConfig dc = { .offline = TRUE, .timeout_ms = 500 };
  g_autoptr(BimiDnsResolver) dns = bimi_dns_resolver_new(&dc, &error);
  BimiFetchConfig c = { .allow_private_addresses = TRUE, .ca_file = "fixtures/tls/ca.pem" };
  g_autoptr(BimiFetcher) f = NULL;

  g_assert_no_error(error);
  g_assert_true(bimi_dns_resolver_add_zone_data(dns, zone, sizeof zone - 1, "origin.zone", NULL, &error));
  c.resolver = dns;
  f = bimi_fetch_fetcher_new(&c, &error);
  g_assert_no_error(error);
  {
    g_autoptr(BimiFetchResult) good = get(f, "/logo.svg");
    g_autoptr(BimiFetchResult) hop = get(f, "/redirect/private");   /* → private.origin.test, from the zone */
    g_autoptr(BimiFetchResult) nx = get_kind(f, "nx.origin.test", port, "/logo.svg", BIMI_FETCH_KIND_LOGO);
    g_autofree char *final = g_strdup_printf("https://private.origin.test:%u/logo.svg", port);

    g_assert_cmpint(good->status, ==, BIMI_FETCH_STATUS_OK);
    g_assert_cmpstr(good->remote_ip, ==, "127.0.0.1");
    g_assert_true(g_bytes_equal(good->body, logo_svg));
    g_assert_cmpint(hop->status, ==, BIMI_FETCH_STATUS_OK);
    g_assert_cmpuint(hop->redirects, ==, 1);
    g_assert_cmpstr(hop->final_url, ==, final);
    bimi_test_fetch_assert_failed(nx, BIMI_FETCH_REASON_DNS);
    g_assert_nonnull(strstr(nx->detail, "nx.origin.test has no address: A NXDOMAIN"));
  }
  {
    /* A name pinned by `resolve` keeps its pin (tests, demo): nginx listens
     * on 127.0.0.1 only, the zone says 127.0.0.1, the pin 127.0.0.3. */
    const char *pin[] = { NULL, NULL };
    g_autofree char *p = g_strdup_printf("origin.test:%u:127.0.0.3", port);
    g_autoptr(BimiFetcher) pinned = NULL;
    g_autoptr(BimiFetchResult) r = NULL;
    pin[0] = p;
    c.resolve = pin;
    pinned = bimi_fetch_fetcher_new(&c, &error);
    g_assert_no_error(error);
    r = get(pinned, "/logo.svg");
    bimi_test_fetch_assert_failed(r, BIMI_FETCH_REASON_CONNECT);
  }
}

static void
test_connect_refused(void)
{
  g_autoptr(BimiFetcher) f = fetcher(TRUE);
  g_autoptr(BimiFetchResult) r = get_kind(f, "closed.origin.test", port_closed, "/logo.svg", BIMI_FETCH_KIND_LOGO);
  bimi_test_fetch_assert_failed(r, BIMI_FETCH_REASON_CONNECT);
}

static void
test_tls(void)
{
  g_autoptr(BimiFetcher) f = fetcher(TRUE);
  g_autoptr(BimiFetcher) system_roots = fetcher_full(TRUE, NULL, 0);
  g_autoptr(BimiFetchResult) untrusted = get_kind(f, "origin.test", port_untrusted, "/logo.svg", BIMI_FETCH_KIND_LOGO);
  g_autoptr(BimiFetchResult) wrong_name = get_kind(f, "wrong.example", port, "/logo.svg", BIMI_FETCH_KIND_LOGO);
  g_autoptr(BimiFetchResult) not_web_pki = get(system_roots, "/logo.svg");

  bimi_test_fetch_assert_failed(untrusted, BIMI_FETCH_REASON_TLS);
  bimi_test_fetch_assert_failed(wrong_name, BIMI_FETCH_REASON_TLS);
  bimi_test_fetch_assert_failed(not_web_pki, BIMI_FETCH_REASON_TLS);
}

static void
test_slow_origin(void)
{
  g_autoptr(BimiFetcher) f = fetcher_full(TRUE, "fixtures/tls/ca.pem", 800);
  gint64 start = g_get_monotonic_time();
  g_autoptr(BimiFetchResult) r = get_kind(f, "slow.origin.test", port_slow, "/logo.svg", BIMI_FETCH_KIND_LOGO);
  gint64 elapsed_ms = (g_get_monotonic_time() - start) / 1000;

  bimi_test_fetch_assert_failed(r, BIMI_FETCH_REASON_TIMEOUT);
  g_assert_cmpint(elapsed_ms, >=, 700);
  g_assert_cmpint(elapsed_ms, <, 3000);
}

static void
test_rogue(void)
{
  g_autoptr(BimiFetcher) f = fetcher_full(TRUE, "fixtures/tls/ca.pem", 1500);
  g_autoptr(BimiFetchResult) chunked = get_kind(f, "rogue.origin.test", port_rogue, "/chunked", BIMI_FETCH_KIND_LOGO);
  g_autoptr(BimiFetchResult) closed = get_kind(f, "rogue.origin.test", port_rogue, "/close", BIMI_FETCH_KIND_LOGO);
  g_autoptr(BimiFetchResult) shortr = get_kind(f, "rogue.origin.test", port_rogue, "/short", BIMI_FETCH_KIND_LOGO);
  g_autoptr(BimiFetchResult) stall = get_kind(f, "rogue.origin.test", port_rogue, "/stall", BIMI_FETCH_KIND_LOGO);

  /* no Content-Length: the write callback stops it */
  bimi_test_fetch_assert_failed(chunked, BIMI_FETCH_REASON_TOO_LARGE);
  bimi_test_fetch_assert_failed(closed, BIMI_FETCH_REASON_TOO_LARGE);
  bimi_test_fetch_assert_failed(shortr, BIMI_FETCH_REASON_PROTOCOL);     /* Content-Length says 5000, 100 arrive */
  {
    /* One header line of 1 MiB: libcurl gives up with "Out of memory". */
    g_autoptr(BimiFetchResult) bighead = get_kind(f, "rogue.origin.test", port_rogue, "/bighead", BIMI_FETCH_KIND_LOGO);
    bimi_test_fetch_assert_failed(bighead, BIMI_FETCH_REASON_TOO_LARGE);
    g_assert_nonnull(strstr(bighead->detail, "response header larger than libcurl accepts"));
    /* Many lines, each under libcurl's line limit, over BIMI_FETCH_MAX_HEADER_BYTES in all. */
    g_autoptr(BimiFetchResult) manyhead = get_kind(f, "rogue.origin.test", port_rogue, "/manyhead",
                                                   BIMI_FETCH_KIND_LOGO);
    bimi_test_fetch_assert_failed(manyhead, BIMI_FETCH_REASON_TOO_LARGE);
    g_assert_nonnull(strstr(manyhead->detail, "response header section over 65536 bytes"));
    /* Just under the cap: fetched. */
    g_autoptr(BimiFetchResult) fullhead = get_kind(f, "rogue.origin.test", port_rogue, "/fullhead",
                                                   BIMI_FETCH_KIND_LOGO);
    g_assert_cmpint(fullhead->status, ==, BIMI_FETCH_STATUS_OK);
  }
  bimi_test_fetch_assert_failed(stall, BIMI_FETCH_REASON_TIMEOUT);
}

static void
test_rogue_more(void)
{
  g_autoptr(BimiFetcher) f = fetcher_full(TRUE, "fixtures/tls/ca.pem", 3000);
  g_autoptr(BimiFetchResult) wire = get_kind(f, "rogue.origin.test", port_rogue, "/wire", BIMI_FETCH_KIND_LOGO);
  g_autoptr(BimiFetchResult) noloc = get_kind(f, "rogue.origin.test", port_rogue, "/noloc", BIMI_FETCH_KIND_LOGO);
  g_autoptr(BimiFetchResult) notype = get_kind(f, "rogue.origin.test", port_rogue, "/notype", BIMI_FETCH_KIND_LOGO);
  g_autoptr(BimiFetchResult) notype_ev = get_kind(f, "rogue.origin.test", port_rogue, "/notype",
                                                  BIMI_FETCH_KIND_EVIDENCE);
  g_autoptr(BimiFetchResult) expires = get_kind(f, "rogue.origin.test", port_rogue, "/expires", BIMI_FETCH_KIND_LOGO);
  g_autoptr(BimiFetchResult) badexp = get_kind(f, "rogue.origin.test", port_rogue, "/badexp", BIMI_FETCH_KIND_LOGO);
  /* Expires without Date: the request's now (08:49:37 GMT, 120 s before it) stands in for Date;
   * without a now the engine reads no clock and reports no freshness. */
  BimiFetchRequest at = { .kind = BIMI_FETCH_KIND_LOGO, .now = 784111777 };
  BimiFetchRequest no_clock = { .kind = BIMI_FETCH_KIND_LOGO };
  g_autoptr(BimiFetchResult) nodate = get_request(f, "rogue.origin.test", port_rogue, "/nodate", &at);
  g_autoptr(BimiFetchResult) nodate_noclock = get_request(f, "rogue.origin.test", port_rogue, "/nodate", &no_clock);

  /* Decoded it is tiny; on the wire it passes 2 × 32 KiB: the progress callback stops it. */
  bimi_test_fetch_assert_failed(wire, BIMI_FETCH_REASON_TOO_LARGE);
  g_assert_nonnull(strstr(wire->detail, "more than 65536 bytes received"));
  bimi_test_fetch_assert_failed(noloc, BIMI_FETCH_REASON_REDIRECT);
  g_assert_nonnull(strstr(noloc->detail, "Location"));
  bimi_test_fetch_assert_failed(notype, BIMI_FETCH_REASON_CONTENT_TYPE);
  g_assert_nonnull(strstr(notype->detail, "no Content-Type"));
  g_assert_cmpint(notype_ev->status, ==, BIMI_FETCH_STATUS_OK);   /* evidence: PEM is checked by engine/vmc */
  g_assert_null(notype_ev->content_type);
  g_assert_cmpint(expires->status, ==, BIMI_FETCH_STATUS_OK);
  g_assert_cmpint(expires->max_age, ==, 120);                      /* Expires − Date */
  g_assert_cmpint(badexp->status, ==, BIMI_FETCH_STATUS_OK);
  g_assert_cmpint(badexp->max_age, ==, 0);                         /* RFC 9111 §5.3 */
  g_assert_cmpint(nodate->status, ==, BIMI_FETCH_STATUS_OK);
  g_assert_cmpint(nodate->max_age, ==, 120);                       /* Expires − now (RFC 9111 §4.2.1) */
  g_assert_cmpint(nodate_noclock->status, ==, BIMI_FETCH_STATUS_OK);
  g_assert_cmpint(nodate_noclock->max_age, ==, -1);
}

typedef struct {
  BimiFetcher *f;
  guint ok;
} Worker;

static gpointer
worker_thread(gpointer data)
{
  Worker *w = data;
  for (int i = 0; i < 3; i++) {
    g_autoptr(BimiFetchResult) r = get(w->f, "/logo.svg");
    if (r->status == BIMI_FETCH_STATUS_OK && g_bytes_equal(r->body, logo_svg))
      w->ok++;
  }
  return NULL;
}

/* One fetcher shared by threads, two slots per host: every fetch still succeeds. */
static void
test_threads(void)
{
  g_autoptr(GError) error = NULL;
  BimiFetchConfig c = { .allow_private_addresses = TRUE, .ca_file = "fixtures/tls/ca.pem",
                        .resolve = (const char *const *) pins, .max_per_host = 2 };
  g_autoptr(BimiFetcher) f = bimi_fetch_fetcher_new(&c, &error);
  Worker workers[6];
  GThread *threads[6];
  guint total = 0;

  g_assert_no_error(error);
  for (gsize i = 0; i < G_N_ELEMENTS(threads); i++) {
    workers[i] = (Worker) { f, 0 };
    threads[i] = g_thread_new("fetch", worker_thread, &workers[i]);
  }
  for (gsize i = 0; i < G_N_ELEMENTS(threads); i++) {
    g_thread_join(threads[i]);
    total += workers[i].ok;
  }
  g_assert_cmpuint(total, ==, 18);
}

/* `bimi fetch` (cli/cmd-fetch.c) prints the same result as JSON. */
static void
test_cli(void)
{
  g_autofree char *pin = g_strdup_printf("origin.test:%u:127.0.0.1", port);
  g_autofree char *url = g_strdup_printf("https://origin.test:%u/logo.svgz", port);
  g_autofree char *bad = g_strdup_printf("https://origin.test:%u/page.html", port);
  g_autofree char *out = NULL;
  g_autofree char *sha = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, logo_svg);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new();
  JsonObject *o;
  int status = 0;

  if (!g_file_test("build/bimi", G_FILE_TEST_IS_EXECUTABLE)) {
    g_test_skip("build/bimi is not built");
    return;
  }
  {
    g_auto(GStrv) argv = make_argv("build/bimi", "fetch", "--json", "--ca-file", "fixtures/tls/ca.pem",
                                   "--allow-private", "--resolve", pin, url, NULL);
    g_assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, &status, &error));
    g_assert_no_error(error);
  }
  g_assert_true(g_spawn_check_wait_status(status, NULL));
  g_assert_true(json_parser_load_from_data(parser, out, -1, &error));
  o = json_node_get_object(json_parser_get_root(parser));
  g_assert_cmpstr(json_object_get_string_member(o, "status"), ==, "ok");
  g_assert_cmpint(json_object_get_int_member(o, "http_status"), ==, 200);
  g_assert_true(json_object_get_boolean_member(o, "inflated"));
  g_assert_cmpstr(json_object_get_string_member(o, "sha256"), ==, sha);
  g_assert_cmpstr(json_object_get_string_member(o, "remote_ip"), ==, "127.0.0.1");
  {
    g_auto(GStrv) argv = make_argv("build/bimi", "fetch", "--ca-file", "fixtures/tls/ca.pem",
                                   "--allow-private", "--resolve", pin, bad, NULL);
    g_clear_pointer(&out, g_free);
    g_assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, &status, &error));
  }
  g_assert_true(WIFEXITED(status));
  g_assert_cmpint(WEXITSTATUS(status), ==, 1);
  g_assert_nonnull(strstr(out, "status: failed (content-type)"));
}


int
main(int argc, char **argv)
{
  int rc;

  g_test_init(&argc, &argv, NULL);
  if (!bimi_test_require_program(NGINX, "/fetch-nginx/skipped"))
    return g_test_run();
  setup_origin();
  g_test_add_func("/fetch-nginx/logo/good", test_good_logo);
  g_test_add_func("/fetch-nginx/logo/user-agent", test_user_agent);
  g_test_add_func("/fetch-nginx/logo/not-modified", test_not_modified);
  g_test_add_func("/fetch-nginx/cache/max-age", test_max_age);
  g_test_add_func("/fetch-nginx/cap/content-length", test_too_large_content_length);
  g_test_add_func("/fetch-nginx/cap/wire", test_too_large_wire);
  g_test_add_func("/fetch-nginx/cap/decoded", test_too_large_decoded);
  g_test_add_func("/fetch-nginx/cap/evidence", test_evidence_caps);
  g_test_add_func("/fetch-nginx/svgz", test_svgz);
  g_test_add_func("/fetch-nginx/dns/zone", test_dns_zone);
  g_test_add_func("/fetch-nginx/content-type", test_content_type);
  g_test_add_func("/fetch-nginx/http-status", test_http_status);
  g_test_add_func("/fetch-nginx/redirect/limits-and-scheme", test_redirects);
  g_test_add_func("/fetch-nginx/redirect/private-address", test_redirect_private);
  g_test_add_func("/fetch-nginx/dns/private-address", test_dns_private);
  g_test_add_func("/fetch-nginx/connect/refused", test_connect_refused);
  g_test_add_func("/fetch-nginx/tls", test_tls);
  g_test_add_func("/fetch-nginx/timeout/slow-origin", test_slow_origin);
  g_test_add_func("/fetch-nginx/rogue-origin", test_rogue);
  g_test_add_func("/fetch-nginx/rogue-origin/more", test_rogue_more);
  g_test_add_func("/fetch-nginx/threads", test_threads);
  g_test_add_func("/fetch-nginx/cli", test_cli);
  rc = g_test_run();
  teardown_origin();
  return rc;
}
