/* tests/test-fetch-crl.c — revocation for real: engine/fetch's CRL kind
 * (bimi_fetch_crl(): plain http allowed, port 80/443, any media type, caps,
 * redirects, SSRF guard) and engine/vmc checking the test PKI's CRLs through
 * bimi_vmc_fetch_crl_with_fetcher() against a real nginx.
 *
 * nginx (fixtures/fetch/nginx-crl.conf.in) serves fixtures/pki over plain
 * http on free loopback ports, one port per behaviour of
 * http://crl.pki.test/intermediate.crl (honest, forged signature, too large,
 * redirect to a private address / to ftp / to https), plus one https origin.
 * The certificates name port 80: each fetcher maps crl.pki.test:80 to one
 * port with `connect_to` and pins crl.pki.test to 127.0.0.1 with `resolve`.
 * Evaluated at 2026-06-01T00:00:00Z, the test PKI's time. Skips when nginx is
 * not installed; nginx is stopped by PID (and dies with us: PR_SET_PDEATHSIG).
 */
#include "evaluate/config.h"
#include "engine/fetch.h"
#include "engine/fetch-private.h"
#include "engine/limits.h"
#include "engine/vmc.h"
#include "tests/lib/net.h"
#include "tests/lib/data.h"
#include "tests/lib/fetch.h"

#include <stdarg.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/wait.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#define NGINX BIMI_TEST_NGINX
#define PKI "fixtures/pki/"
#define PKI_NOW 1780272000 /* 2026-06-01T00:00:00Z */
#define CRL_URL "http://crl.pki.test/intermediate.crl"

static char *tmp;
static GPid nginx_pid;
static guint port_good, port_forged, port_big, port_private, port_ftp, port_https, port_tls, port_closed;

/* ---- the server ------------------------------------------------------------ */

static void
setup_server(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *cwd = g_get_current_dir();
  g_autofree char *pki = g_build_filename(cwd, "fixtures", "pki", NULL);
  g_autofree char *tls = g_build_filename(cwd, "fixtures", "tls", NULL);
  g_autofree char *big_path = NULL;
  g_autofree char *big = g_malloc0(BIMI_FETCH_CRL_MAX_BYTES + 1);
  g_autoptr(GString) conf = NULL;

  tmp = bimi_test_make_tmpdir("bimi-crl-XXXXXX");
  big_path = g_build_filename(tmp, "big.crl", NULL);
  big[0] = 0x30; /* looks like DER; only the size matters */
  g_assert_true(g_file_set_contents(big_path, big, BIMI_FETCH_CRL_MAX_BYTES + 1, NULL));

  {
    guint ports[8];
    bimi_test_free_ports(ports, G_N_ELEMENTS(ports));
    port_good = ports[0];
    port_forged = ports[1];
    port_big = ports[2];
    port_private = ports[3];
    port_ftp = ports[4];
    port_https = ports[5];
    port_tls = ports[6];
    port_closed = ports[7]; /* nothing will listen there */
  }

  conf = bimi_test_nginx_conf("fixtures/fetch/nginx-crl.conf.in");
  g_string_replace(conf, "@TMP@", tmp, 0);
  g_string_replace(conf, "@PKI@", pki, 0);
  g_string_replace(conf, "@TLS@", tls, 0);
  bimi_test_conf_set_port(conf, "@PORT_GOOD@", port_good);
  bimi_test_conf_set_port(conf, "@PORT_FORGED@", port_forged);
  bimi_test_conf_set_port(conf, "@PORT_BIG@", port_big);
  bimi_test_conf_set_port(conf, "@PORT_PRIVATE@", port_private);
  bimi_test_conf_set_port(conf, "@PORT_FTP@", port_ftp);
  bimi_test_conf_set_port(conf, "@PORT_HTTPS@", port_https);
  bimi_test_conf_set_port(conf, "@PORT_TLS@", port_tls);
  g_assert_null(strchr(conf->str, '@'));
  nginx_pid = bimi_test_nginx_start(tmp, conf);
  {
    const guint listening[] = { port_good, port_forged, port_big, port_private, port_ftp, port_https, port_tls };
    for (gsize i = 0; i < G_N_ELEMENTS(listening); i++)
      if (!bimi_test_wait_port(listening[i]))
        g_error("nothing listens on 127.0.0.1:%u (see %s)", listening[i], tmp);
  }
}

static void
teardown_server(void)
{
  bimi_test_child_stop(&nginx_pid);
  if (tmp != NULL)
    bimi_test_remove_tree(tmp);
  g_clear_pointer(&tmp, g_free);
}

/* ---- helpers --------------------------------------------------------------- */

/* A fetcher whose crl.pki.test:80 is nginx's @port; with @strict, the SSRF
 * guard is on, only 127.0.0.1:@port exempt. */
static BimiFetcher *
crl_fetcher_full(guint port, gboolean strict, guint crl_max_bytes)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *connect = g_strdup_printf("crl.pki.test:80::%u", port);
  g_autofree char *pin = g_strdup_printf("crl.pki.test:%u:127.0.0.1", port);
  g_autofree char *tls_pin = g_strdup_printf("origin.test:%u:127.0.0.1", port_tls);
  const char *connect_to[] = { connect, NULL };
  const char *resolve[] = { pin, tls_pin, "private.crl.test:80:127.0.0.2", NULL };
  BimiFetchConfig c = { 0 };
  BimiFetcher *f;

  c.allow_private_addresses = !strict;
  c.ca_file = "fixtures/tls/ca.pem";
  c.resolve = resolve;
  c.connect_to = connect_to;
  c.crl_max_bytes = crl_max_bytes;
  f = bimi_fetch_fetcher_new(&c, &error);
  g_assert_no_error(error);
  if (strict)
    bimi_fetch__exempt_endpoint(f, "127.0.0.1", port);
  return f;
}

static BimiFetcher *
crl_fetcher(guint port)
{
  return crl_fetcher_full(port, FALSE, 0);
}

static BimiFetchResult *
fetch(BimiFetcher *f, const char *url)
{
  g_autoptr(GError) error = NULL;
  BimiFetchResult *r = bimi_fetch_crl(f, url, &error);

  g_assert_no_error(error);
  g_assert_nonnull(r);
  bimi_test_fetch_log(url, r);
  return r;
}

static GBytes *
read_bytes(const char *path)
{
  return bimi_test_read_bytes(path);
}

/* engine/vmc on fixtures/pki/NAME.pem with a fresh trust (empty CRL cache). */
static BimiVmcResult *
verify(const char *name, BimiFetcher *f, BimiVmcRevocationMode mode)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiVmcTrust) trust = bimi_vmc_trust_new_from_files(PKI "root.pem", PKI "ct-logs.cnf", &error);
  g_autofree char *path = g_strdup_printf(PKI "%s.pem", name);
  g_autoptr(GBytes) pem = read_bytes(path);
  BimiVmcOptions o = { .domain = "brand.test", .now = PKI_NOW, .revocation = mode,
                       .fetch_crl = bimi_vmc_fetch_crl_with_fetcher, .fetch_user_data = f };
  BimiVmcResult *r;

  g_assert_no_error(error);
  r = bimi_vmc_verify(pem, trust, &o, &error);
  g_assert_no_error(error);
  g_assert_nonnull(r);
  if (g_test_verbose()) {
    for (guint i = 0; r->revocation_crls[i] != NULL; i++)
      g_test_message("%s: CRL %s", name, r->revocation_crls[i]);
    for (guint i = 0; i < r->failures->len; i++) {
      const BimiVmcFailure *x = g_ptr_array_index(r->failures, i);
      g_test_message("%s: FAIL %s: %s", name, bimi_vmc_check_code(x->check), x->detail);
    }
  }
  return r;
}

static gboolean
has_warning(const BimiVmcResult *r, const char *needle)
{
  for (guint i = 0; i < r->warnings->len; i++)
    if (strstr(g_ptr_array_index(r->warnings, i), needle) != NULL)
      return TRUE;
  return FALSE;
}

/* The intermediate's CRL (root.crl, for the Issuing CA) always comes from the honest files. */
static void
assert_root_crl_good(const BimiVmcResult *r)
{
  g_assert_cmpuint(g_strv_length(r->revocation_crls), ==, 2);
  g_assert_cmpstr(r->revocation_crls[1], ==, "http://crl.pki.test/root.crl (Test BIMI Issuing CA): good");
}

/* A CRL that cannot be used: soft → valid with a warning; require → "revocation-unknown" only. */
static void
assert_unavailable(guint port, gboolean strict, const char *why)
{
  g_autoptr(BimiFetcher) f = crl_fetcher_full(port, strict, 0);
  g_autoptr(BimiVmcResult) soft = verify("good-vmc-registered", f, BIMI_VMC_REVOCATION_SOFT);
  g_autoptr(BimiVmcResult) require = verify("good-vmc-registered", f, BIMI_VMC_REVOCATION_REQUIRE);
  g_autofree char *line = g_strdup_printf(CRL_URL " (Test Brand, Inc.): unavailable: %s", why);
  g_autofree char *warning = g_strdup_printf("revocation unavailable: " CRL_URL ": %s", why);

  g_assert_true(soft->valid);
  g_assert_cmpint(soft->revocation, ==, BIMI_VMC_REVOCATION_UNAVAILABLE);
  if (!g_str_has_prefix(soft->revocation_crls[0], line))
    g_error("expected '%s...', got '%s'", line, soft->revocation_crls[0]);
  g_assert_true(has_warning(soft, warning));
  g_assert_false(require->valid);
  g_assert_cmpint(require->revocation, ==, BIMI_VMC_REVOCATION_UNAVAILABLE);
  g_assert_cmpuint(require->failures->len, ==, 1);
  g_assert_true(bimi_vmc_result_has_failure(require, BIMI_VMC_CHECK_REVOCATION_UNKNOWN));
  g_assert_true(g_str_has_prefix(require->revocation_crls[0], line));
  if (port != port_closed)
    assert_root_crl_good(require);
}

/* ---- bimi_fetch_crl --------------------------------------------------------- */

static void
test_fetch_good(void)
{
  g_autoptr(BimiFetcher) f = crl_fetcher_full(port_good, TRUE, 0);
  g_autoptr(BimiFetchResult) r = fetch(f, CRL_URL);
  g_autoptr(GBytes) want = read_bytes(PKI "intermediate.crl");

  g_assert_cmpint(r->status, ==, BIMI_FETCH_STATUS_OK);
  g_assert_cmpuint(r->http_status, ==, 200);
  g_assert_true(g_bytes_equal(r->body, want));
  g_assert_cmpstr(r->content_type, ==, "application/pkix-crl");
  g_assert_cmpstr(r->final_url, ==, CRL_URL);
  g_assert_cmpstr(r->remote_ip, ==, "127.0.0.1");
}

/* Any media type: the signature, not the label, protects a CRL. Other kinds stay https-only. */
static void
test_fetch_media_type_and_kinds(void)
{
  g_autoptr(BimiFetcher) f = crl_fetcher(port_good);
  g_autoptr(BimiFetchResult) html = fetch(f, "http://crl.pki.test/labelled-html.crl");
  g_autoptr(BimiFetchResult) logo = NULL, evidence = NULL, restricted = NULL, missing = NULL;
  g_autoptr(GError) error = NULL;
  const char *const der_only[] = { "application/pkix-crl", NULL };
  BimiFetchRequest req = { .kind = BIMI_FETCH_KIND_LOGO };

  g_assert_cmpint(html->status, ==, BIMI_FETCH_STATUS_OK);
  g_assert_cmpstr(html->content_type, ==, "text/html");
  g_assert_null(bimi_fetch_default_types(BIMI_FETCH_KIND_CRL)[0]);

  logo = bimi_fetch_url(f, CRL_URL, &req, &error);
  g_assert_no_error(error);
  bimi_test_fetch_assert_failed(logo, BIMI_FETCH_REASON_SCHEME);
  req.kind = BIMI_FETCH_KIND_EVIDENCE;
  evidence = bimi_fetch_url(f, CRL_URL, &req, &error);
  g_assert_no_error(error);
  bimi_test_fetch_assert_failed(evidence, BIMI_FETCH_REASON_SCHEME);
  /* A caller may still restrict the media types of a CRL fetch. */
  req.kind = BIMI_FETCH_KIND_CRL;
  req.accept_types = der_only;
  restricted = bimi_fetch_url(f, "http://crl.pki.test/labelled-html.crl", &req, &error);
  g_assert_no_error(error);
  bimi_test_fetch_assert_failed(restricted, BIMI_FETCH_REASON_CONTENT_TYPE);

  missing = fetch(f, "http://crl.pki.test/missing.crl");
  bimi_test_fetch_assert_failed(missing, BIMI_FETCH_REASON_HTTP_STATUS);
  g_assert_cmpuint(missing->http_status, ==, 404);
}

static void
test_fetch_too_large(void)
{
  g_autoptr(BimiFetcher) f = crl_fetcher(port_good);
  g_autoptr(BimiFetcher) small = crl_fetcher_full(port_good, FALSE, 100);
  g_autoptr(BimiFetchResult) big = fetch(f, "http://crl.pki.test/big.crl");
  g_autoptr(BimiFetchResult) capped = fetch(small, CRL_URL);
  g_autoptr(GError) error = NULL;
  BimiFetchConfig c = { .crl_max_bytes = BIMI_FETCH_MAX_BODY_BYTES + 1 };

  bimi_test_fetch_assert_failed(big, BIMI_FETCH_REASON_TOO_LARGE);
  g_assert_nonnull(strstr(big->detail, "1048577"));
  bimi_test_fetch_assert_failed(capped, BIMI_FETCH_REASON_TOO_LARGE); /* 238 bytes > 100 */
  g_assert_null(bimi_fetch_fetcher_new(&c, &error));
  g_assert_error(error, BIMI_FETCH_ERROR, BIMI_FETCH_ERROR_CONFIG);
}

static void
test_fetch_redirects(void)
{
  g_autoptr(BimiFetcher) strict = crl_fetcher_full(port_good, TRUE, 0);
  g_autoptr(BimiFetcher) lax = crl_fetcher(port_good);
  g_autoptr(BimiFetchResult) priv = fetch(strict, "http://crl.pki.test/redirect/private");
  g_autoptr(BimiFetchResult) ftp = fetch(lax, "http://crl.pki.test/redirect/ftp");
  g_autoptr(BimiFetchResult) loop = fetch(lax, "http://crl.pki.test/redirect/loop");
  g_autoptr(BimiFetchResult) https = fetch(lax, "http://crl.pki.test/redirect/https");
  g_autoptr(GBytes) want = read_bytes(PKI "intermediate.crl");
  g_autofree char *https_url = g_strdup_printf("https://origin.test:%u/intermediate.crl", port_tls);

  bimi_test_fetch_assert_failed(priv, BIMI_FETCH_REASON_FORBIDDEN_ADDRESS);
  g_assert_nonnull(strstr(priv->detail, "127.0.0.2"));
  g_assert_cmpstr(priv->final_url, ==, "http://private.crl.test/intermediate.crl");
  bimi_test_fetch_assert_failed(ftp, BIMI_FETCH_REASON_SCHEME);
  g_assert_nonnull(strstr(ftp->detail, "'ftp'"));
  bimi_test_fetch_assert_failed(loop, BIMI_FETCH_REASON_REDIRECT);
  g_assert_cmpint(https->status, ==, BIMI_FETCH_STATUS_OK);
  g_assert_cmpuint(https->redirects, ==, 1);
  g_assert_cmpstr(https->final_url, ==, https_url);
  g_assert_true(g_bytes_equal(https->body, want));
}

/* The SSRF guard applies to CRLs: no loopback (nor a redirected port) without
 * the exemption, no IP literal, no other scheme. */
static void
test_fetch_ssrf(void)
{
  g_autoptr(BimiFetcher) f = crl_fetcher_full(port_good, TRUE, 0);
  g_autoptr(BimiFetchResult) other = NULL, literal = NULL, file = NULL;

  bimi_fetch__exempt_endpoint(f, "127.0.0.9", port_good);
  other = fetch(f, CRL_URL);
  bimi_test_fetch_assert_failed(other, BIMI_FETCH_REASON_FORBIDDEN_ADDRESS);
  g_assert_nonnull(strstr(other->detail, "127.0.0.1"));
  literal = fetch(f, "http://127.0.0.1/intermediate.crl");
  bimi_test_fetch_assert_failed(literal, BIMI_FETCH_REASON_URL);
  file = fetch(f, "file:///etc/passwd");
  bimi_test_fetch_assert_failed(file, BIMI_FETCH_REASON_SCHEME);
}

/* Port per scheme on a public address: http 80, https 443, nothing else. */
static void
test_endpoint_port(void)
{
  BimiFetchConfig c = { 0 };
  g_autoptr(BimiFetcher) f = bimi_fetch_fetcher_new(&c, NULL);
  struct sockaddr_in sin = { 0 };
  char *detail = NULL;

  sin.sin_family = AF_INET;
  g_assert_cmpint(inet_pton(AF_INET, "93.184.216.34", &sin.sin_addr), ==, 1);
  sin.sin_port = htons(80);
  g_assert_true(bimi_fetch__endpoint_allowed_port(f, (struct sockaddr *) &sin, sizeof sin, 80, &detail));
  g_assert_false(bimi_fetch__endpoint_allowed_port(f, (struct sockaddr *) &sin, sizeof sin, 443, &detail));
  g_assert_cmpstr(detail, ==, "refused to connect to 93.184.216.34 port 80: only port 443 is fetched");
  g_clear_pointer(&detail, g_free);
  g_assert_false(bimi_fetch__endpoint_allowed(f, (struct sockaddr *) &sin, sizeof sin, &detail));
  g_clear_pointer(&detail, g_free);
  sin.sin_port = htons(8080);
  g_assert_false(bimi_fetch__endpoint_allowed_port(f, (struct sockaddr *) &sin, sizeof sin, 80, &detail));
  g_assert_cmpstr(detail, ==, "refused to connect to 93.184.216.34 port 8080: only port 80 is fetched");
  g_clear_pointer(&detail, g_free);
}

static void
test_connect_to_config(void)
{
  static const char *const good[] = { "crl.pki.test:80::8081", "crl.pki.test:80:127.0.0.1:8081",
                                      "crl.pki.test:80:[::1]:8081", "a.test:443:b.test:1" };
  static const char *const bad[] = { "crl.pki.test:80:127.0.0.1", ":80:b.test:81", "a.test:x:b.test:81",
                                     "a.test:80:b.test:0", "a.test:80:b.test:", "a.test:80:::1:81",
                                     "a.test", "a.test:80:b.test:70000" };

  for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
    g_autoptr(GError) error = NULL;
    const char *list[] = { good[i], NULL };
    BimiFetchConfig c = { .connect_to = list };
    g_autoptr(BimiFetcher) f = bimi_fetch_fetcher_new(&c, &error);
    g_assert_no_error(error);
    g_assert_nonnull(f);
  }
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) error = NULL;
    const char *list[] = { bad[i], NULL };
    BimiFetchConfig c = { .connect_to = list };
    g_autoptr(BimiFetcher) f = bimi_fetch_fetcher_new(&c, &error);
    if (f != NULL)
      g_error("connect_to '%s' was accepted", bad[i]);
    g_assert_error(error, BIMI_FETCH_ERROR, BIMI_FETCH_ERROR_CONFIG);
  }
  {
    g_autoptr(GPtrArray) many = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;
    BimiFetchConfig c = { 0 };
    for (guint i = 0; i <= BIMI_FETCH_MAX_RESOLVE_PINS; i++)
      g_ptr_array_add(many, g_strdup_printf("h%u.test:80::81", i));
    g_ptr_array_add(many, NULL);
    c.connect_to = (const char *const *) many->pdata;
    g_assert_null(bimi_fetch_fetcher_new(&c, &error));
    g_assert_error(error, BIMI_FETCH_ERROR, BIMI_FETCH_ERROR_CONFIG);
  }
}

/* [fetch] connect_to and resolve from the configuration reach the fetcher. */
static void
test_fetch_from_config(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = g_strdup_printf("[fetch]\nallow_private_addresses = true\n"
                                          "connect_to = crl.pki.test:80::%u, other.test:80::1\n"
                                          "resolve = crl.pki.test:%u:127.0.0.1\n", port_good, port_good);
  g_autoptr(BimiConfig) config = bimi_config_new_from_data(text, strlen(text), "test", &error);
  g_autoptr(BimiFetcher) f = NULL;
  g_autoptr(BimiFetchResult) r = NULL;
  BimiFetchConfig fc;

  g_assert_no_error(error);
  g_assert_cmpuint(g_strv_length(config->fetch_connect_to), ==, 2);
  bimi_config_get_fetch_config(config, &fc);
  f = bimi_fetch_fetcher_new(&fc, &error);
  g_assert_no_error(error);
  r = fetch(f, CRL_URL);
  g_assert_cmpint(r->status, ==, BIMI_FETCH_STATUS_OK);
  g_assert_cmpuint(r->http_status, ==, 200);
}

/* ---- engine/vmc through the fetcher ------------------------------------------ */

static void
test_vmc_good(void)
{
  g_autoptr(BimiFetcher) f = crl_fetcher_full(port_good, TRUE, 0);
  g_autoptr(BimiVmcResult) r = verify("good-vmc-registered", f, BIMI_VMC_REVOCATION_REQUIRE);

  g_assert_true(r->valid);
  g_assert_cmpuint(r->failures->len, ==, 0);
  g_assert_cmpuint(r->warnings->len, ==, 0);
  g_assert_cmpint(r->revocation, ==, BIMI_VMC_REVOCATION_GOOD);
  g_assert_cmpstr(r->revocation_crls[0], ==, CRL_URL " (Test Brand, Inc.): good");
  assert_root_crl_good(r);
}

static void
test_vmc_revoked(void)
{
  g_autoptr(BimiFetcher) f = crl_fetcher(port_good);
  g_autoptr(BimiVmcResult) r = verify("bad-revoked", f, BIMI_VMC_REVOCATION_SOFT);

  g_assert_false(r->valid);
  g_assert_cmpint(r->revocation, ==, BIMI_VMC_REVOCATION_REVOKED);
  g_assert_cmpuint(r->failures->len, ==, 1);
  g_assert_true(bimi_vmc_result_has_failure(r, BIMI_VMC_CHECK_REVOKED));
  g_assert_true(g_str_has_prefix(r->revocation_crls[0], CRL_URL " ("));
  g_assert_true(g_str_has_suffix(r->revocation_crls[0], "): revoked"));
  g_assert_null(r->revocation_crls[1]); /* a revoked leaf ends the walk */
}

/* A CRL server that fails in one way: the port it listens on, whether redirects are
 * checked (strict), and the reason the CRL is unavailable (assert_unavailable). */
typedef struct {
  const char *path;
  const guint *port;
  gboolean strict;
  const char *why;
} UnavailableCase;

static const UnavailableCase unavailable_cases[] = {
  { "/fetch-crl/vmc/server-down", &port_closed, FALSE, "connect: " },
  { "/fetch-crl/vmc/too-large", &port_big, FALSE,
    "too-large: Content-Length 1048577 exceeds the cap of 1048576 bytes" },
  { "/fetch-crl/vmc/redirect-private", &port_private, TRUE,
    "forbidden-address: redirect 1: refused to connect to 127.0.0.2" },
  { "/fetch-crl/vmc/redirect-ftp", &port_ftp, FALSE, "scheme: redirect 1: scheme 'ftp' is neither http nor https" },
  { "/fetch-crl/vmc/forged-signature", &port_forged, FALSE, "CRL not signed by the issuing CA" },
};

static void
test_vmc_unavailable(gconstpointer data)
{
  const UnavailableCase *c = data;
  assert_unavailable(*c->port, c->strict, c->why);
}

static void
test_vmc_https_redirect(void)
{
  g_autoptr(BimiFetcher) f = crl_fetcher(port_https);
  g_autoptr(BimiVmcResult) r = verify("good-vmc-registered", f, BIMI_VMC_REVOCATION_REQUIRE);

  g_assert_true(r->valid);
  g_assert_cmpint(r->revocation, ==, BIMI_VMC_REVOCATION_GOOD);
  g_assert_cmpstr(r->revocation_crls[0], ==, CRL_URL " (Test Brand, Inc.): good");
}


int
main(int argc, char **argv)
{
  int rc;

  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/fetch-crl/endpoint-port", test_endpoint_port);
  g_test_add_func("/fetch-crl/connect-to-config", test_connect_to_config);
  if (!bimi_test_require_program(NGINX, "/fetch-crl/skipped"))
    return g_test_run();
  setup_server();
  g_test_add_func("/fetch-crl/fetch/good", test_fetch_good);
  g_test_add_func("/fetch-crl/fetch/media-type-and-kinds", test_fetch_media_type_and_kinds);
  g_test_add_func("/fetch-crl/fetch/too-large", test_fetch_too_large);
  g_test_add_func("/fetch-crl/fetch/redirects", test_fetch_redirects);
  g_test_add_func("/fetch-crl/fetch/ssrf", test_fetch_ssrf);
  g_test_add_func("/fetch-crl/fetch/from-config", test_fetch_from_config);
  g_test_add_func("/fetch-crl/vmc/good", test_vmc_good);
  g_test_add_func("/fetch-crl/vmc/revoked", test_vmc_revoked);
  BIMI_TEST_ADD_CASES(unavailable_cases, test_vmc_unavailable);
  g_test_add_func("/fetch-crl/vmc/https-redirect", test_vmc_https_redirect);
  rc = g_test_run();
  teardown_server();
  return rc;
}
