/* tests/test-vmc.c — engine/vmc on the test PKI of fixtures/pki (every good variant
 * passes, every broken one fails with exactly its own reason code), revocation
 * modes and the CRL cache, SAN matching, the parsers (PEM chain, logotype DER,
 * data: URI, SCT list) and every VMC limit of engine/limits.h.
 */
#include "engine/vmc.h"
#include "engine/vmc-private.h"
#include "engine/limits.h"
#include "tests/lib/assert.h"
#include "tests/lib/data.h"

#include <string.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <unistd.h>
#include <openssl/x509.h>

#define PKI "fixtures/pki/"
#define END BIMI_VMC_N_CHECKS

static BimiVmcTrust *trust;
static gint64 pki_now; /* 2026-06-01T00:00:00Z */

static GBytes *
read_bytes(const char *path)
{
  return bimi_test_read_bytes(path);
}

/* Serves http://crl.pki.test/NAME from fixtures/pki/NAME; counts calls. */
static guint fetch_calls;
static GBytes *
fetch_fixture_crl(const char *url, gpointer user_data, GError **error)
{
  const char *prefix = "http://crl.pki.test/";
  g_autofree char *path = NULL;
  char *data = NULL;
  gsize len = 0;

  fetch_calls++;
  if (!g_str_has_prefix(url, prefix) || strchr(url + strlen(prefix), '/') != NULL) {
    g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_FETCH, "unknown CRL %s", url);
    return NULL;
  }
  path = g_strconcat(PKI, url + strlen(prefix), NULL);
  if (!g_file_get_contents(path, &data, &len, error))
    return NULL;
  return g_bytes_new_take(data, len);
}

static BimiVmcOptions
pki_options(void)
{
  BimiVmcOptions o = { 0 };
  o.domain = "brand.test";
  o.now = pki_now;
  o.revocation = BIMI_VMC_REVOCATION_REQUIRE;
  o.fetch_crl = fetch_fixture_crl;
  return o;
}

static BimiVmcResult *
verify_file(const char *name, const BimiVmcOptions *o)
{
  g_autofree char *path = g_strconcat(PKI, name, ".pem", NULL);
  g_autoptr(GBytes) pem = read_bytes(path);
  g_autoptr(GError) error = NULL;
  BimiVmcResult *r = bimi_vmc_verify(pem, trust, o, &error);

  g_assert_no_error(error);
  g_assert_nonnull(r);
  for (guint i = 0; i < r->failures->len; i++) {
    BimiVmcFailure *f = g_ptr_array_index(r->failures, i);
    g_test_message("%s: failure %s: %s", name, bimi_vmc_check_code(f->check), f->detail);
  }
  return r;
}

typedef struct {
  const char *name;
  BimiVmcCertType type;
  BimiVmcMarkType mark;
  BimiVmcCheck failures[5];
} PkiCase;

static const PkiCase pki_cases[] = {
  { "good-vmc-registered", BIMI_VMC_CERT_VMC, BIMI_VMC_MARK_REGISTERED, { END } },
  { "good-vmc-government", BIMI_VMC_CERT_VMC, BIMI_VMC_MARK_GOVERNMENT, { END } },
  { "good-cmc-prior-use", BIMI_VMC_CERT_CMC, BIMI_VMC_MARK_PRIOR_USE, { END } },
  { "good-cmc-modified-registered", BIMI_VMC_CERT_CMC, BIMI_VMC_MARK_MODIFIED_REGISTERED, { END } },
  { "bad-expired", BIMI_VMC_CERT_VMC, BIMI_VMC_MARK_REGISTERED, { BIMI_VMC_CHECK_EXPIRED, END } },
  { "bad-not-yet-valid", BIMI_VMC_CERT_VMC, BIMI_VMC_MARK_REGISTERED, { BIMI_VMC_CHECK_NOT_YET_VALID, END } },
  { "bad-wrong-eku", BIMI_VMC_CERT_NONE, BIMI_VMC_MARK_REGISTERED, { BIMI_VMC_CHECK_EKU_LEAF, END } },
  { "bad-eku-missing-on-ca", BIMI_VMC_CERT_VMC, BIMI_VMC_MARK_REGISTERED, { BIMI_VMC_CHECK_EKU_ISSUER, END } },
  { "bad-no-policy", BIMI_VMC_CERT_VMC, BIMI_VMC_MARK_REGISTERED, { BIMI_VMC_CHECK_POLICY, END } },
  { "bad-san-mismatch", BIMI_VMC_CERT_VMC, BIMI_VMC_MARK_REGISTERED, { BIMI_VMC_CHECK_SAN_MISMATCH, END } },
  { "bad-logo-hash", BIMI_VMC_CERT_VMC, BIMI_VMC_MARK_REGISTERED, { BIMI_VMC_CHECK_LOGO_HASH, END } },
  { "bad-logo-not-tiny-ps", BIMI_VMC_CERT_VMC, BIMI_VMC_MARK_REGISTERED, { BIMI_VMC_CHECK_LOGO_SVG, END } },
  { "bad-no-logotype", BIMI_VMC_CERT_VMC, BIMI_VMC_MARK_REGISTERED, { BIMI_VMC_CHECK_LOGOTYPE_MISSING, END } },
  { "bad-no-sct", BIMI_VMC_CERT_VMC, BIMI_VMC_MARK_REGISTERED, { BIMI_VMC_CHECK_SCT_MISSING, END } },
  { "bad-sct-unknown-log", BIMI_VMC_CERT_VMC, BIMI_VMC_MARK_REGISTERED, { BIMI_VMC_CHECK_SCT_UNKNOWN_LOG, END } },
  { "bad-sct-signature", BIMI_VMC_CERT_VMC, BIMI_VMC_MARK_REGISTERED, { BIMI_VMC_CHECK_SCT_INVALID, END } },
  { "bad-revoked", BIMI_VMC_CERT_VMC, BIMI_VMC_MARK_REGISTERED, { BIMI_VMC_CHECK_REVOKED, END } },
  { "bad-no-crldp", BIMI_VMC_CERT_VMC, BIMI_VMC_MARK_REGISTERED, { BIMI_VMC_CHECK_CRLDP_MISSING, END } },
  { "bad-unknown-critical-extension", BIMI_VMC_CERT_VMC, BIMI_VMC_MARK_REGISTERED, { BIMI_VMC_CHECK_CRITICAL_EXTENSION, END } },
  { "bad-wrong-intermediate", BIMI_VMC_CERT_VMC, BIMI_VMC_MARK_REGISTERED, { BIMI_VMC_CHECK_CHAIN_INCOMPLETE, END } },
  { "bad-untrusted-root", BIMI_VMC_CERT_VMC, BIMI_VMC_MARK_REGISTERED, { BIMI_VMC_CHECK_CHAIN_UNTRUSTED, END } },
  { "bad-chain-order", BIMI_VMC_CERT_VMC, BIMI_VMC_MARK_REGISTERED, { BIMI_VMC_CHECK_CHAIN_ORDER, END } },
  { "bad-pilot-on-vmc", BIMI_VMC_CERT_VMC, BIMI_VMC_MARK_REGISTERED, { BIMI_VMC_CHECK_CRITICAL_EXTENSION, END } },
  { "edge-many-sans", BIMI_VMC_CERT_VMC, BIMI_VMC_MARK_REGISTERED, { BIMI_VMC_CHECK_SAN_MISMATCH, END } },
  { "bad-tls-certificate", BIMI_VMC_CERT_NONE, BIMI_VMC_MARK_ABSENT,
    { BIMI_VMC_CHECK_EKU_LEAF, BIMI_VMC_CHECK_POLICY, BIMI_VMC_CHECK_LOGOTYPE_MISSING, END } },
};

static void
test_pki_case(gconstpointer data)
{
  const PkiCase *c = data;
  BimiVmcOptions o = pki_options();
  g_autoptr(BimiVmcResult) r = verify_file(c->name, &o);
  guint n = 0;

  while (c->failures[n] != END) {
    g_assert_true(bimi_vmc_result_has_failure(r, c->failures[n]));
    n++;
  }
  g_assert_cmpuint(r->failures->len, ==, n);
  g_assert_cmpint(r->valid, ==, n == 0);
  g_assert_cmpint(r->cert_type, ==, c->type);
  g_assert_cmpint(r->mark_type, ==, c->mark);
  if (n == 0) {
    g_autoptr(GBytes) logo = read_bytes(PKI "logo.svg");
    g_assert_cmpint(r->revocation, ==, BIMI_VMC_REVOCATION_GOOD);
    g_assert_cmpstr(r->sct_logs[0], ==, "bimi-engine Test CT Log");
    g_assert_true(g_bytes_equal(r->svg, logo));
    g_assert_cmpstr(r->logo_hash_alg, ==, "sha256");
    g_assert_true(r->logo_hash_ok);
    g_assert_cmpint(r->pilot, ==, c->mark == BIMI_VMC_MARK_PRIOR_USE);
  }
}

static void
test_reason_codes_distinct(void)
{
  for (int i = 0; i < BIMI_VMC_N_CHECKS; i++) {
    const char *code = bimi_vmc_check_code((BimiVmcCheck) i);
    g_assert_nonnull(code);
    for (int j = 0; j < i; j++)
      g_assert_cmpstr(code, !=, bimi_vmc_check_code((BimiVmcCheck) j));
  }
  g_assert_cmpstr(bimi_vmc_check_code(BIMI_VMC_CHECK_EKU_LEAF), ==, "eku-leaf");
  g_assert_cmpstr(bimi_vmc_check_code(BIMI_VMC_CHECK_SCT_UNKNOWN_LOG), ==, "sct-unknown-log");
}

static void
test_subject_fields(void)
{
  BimiVmcOptions o = pki_options();
  g_autoptr(BimiVmcResult) r = verify_file("good-vmc-registered", &o);

  g_assert_true(r->valid);
  g_assert_cmpstr(r->organization, ==, "Test Brand, Inc.");
  g_assert_cmpstr(r->mark_type_text, ==, "Registered Mark");
  g_assert_cmpstr(r->trademark_country, ==, "US");
  g_assert_cmpstr(r->trademark_id, ==, "1234567");
  g_assert_null(r->trademark_office);
  g_assert_cmpstr(r->serial_hex, ==, "1001");
  g_assert_cmpint(r->not_before, ==, 1767225600);
  g_assert_cmpint(r->not_after, ==, 1798761599);
  g_assert_cmpuint(g_strv_length(r->sans), ==, 2);
  g_assert_cmpstr(r->sans[0], ==, "brand.test");
  g_assert_cmpuint(g_strv_length(r->chain), ==, 3);
  g_assert_true(g_str_has_prefix(r->chain[2], "CN=Test BIMI Root CA"));
  g_assert_cmpstr(bimi_vmc_mark_type_to_string(r->mark_type), ==, "Registered Mark");
  g_assert_cmpstr(bimi_vmc_cert_type_to_string(r->cert_type), ==, "vmc");
}

/* spec §7.3: <sel>._bimi.<domain> matches that selector only; IDN via A-labels. */
static void
test_san_selector_and_idn(void)
{
  BimiVmcOptions o = pki_options();
  g_autoptr(BimiVmcResult) a = NULL, b = NULL, c = NULL, d = NULL, e = NULL;

  o.selector = "mail";
  a = verify_file("good-vmc-selector-san", &o);
  g_assert_true(a->valid);
  o.selector = "MAIL";
  b = verify_file("good-vmc-selector-san", &o);
  g_assert_true(b->valid);
  o.selector = NULL; /* default */
  c = verify_file("good-vmc-selector-san", &o);
  g_assert_true(bimi_vmc_result_has_failure(c, BIMI_VMC_CHECK_SAN_MISMATCH));
  o.domain = "bücher.test";
  d = verify_file("good-vmc-selector-san", &o);
  g_assert_true(d->valid);
  o.domain = "sub.brand.test"; /* a SAN does not cover its subdomains */
  o.selector = "mail";
  e = verify_file("good-vmc-selector-san", &o);
  g_assert_true(bimi_vmc_result_has_failure(e, BIMI_VMC_CHECK_SAN_MISMATCH));
}

static void
test_san_no_domain_warns(void)
{
  BimiVmcOptions o = pki_options();
  g_autoptr(BimiVmcResult) r = NULL;

  o.domain = NULL;
  r = verify_file("bad-san-mismatch", &o);
  g_assert_true(r->valid);
  g_assert_cmpuint(r->warnings->len, >=, 1);
}

/* A trust store of the test's own (an empty CRL cache) in place of the shared `trust`
 * while it is in scope: g_auto(FreshTrust) fresh = fresh_trust(); */
typedef struct {
  BimiVmcTrust *own;
  BimiVmcTrust *saved;
} FreshTrust;

static FreshTrust
fresh_trust(void)
{
  FreshTrust f = { bimi_vmc_trust_new_from_files(PKI "root.pem", PKI "ct-logs.cnf", NULL), trust };

  g_assert_nonnull(f.own);
  trust = f.own;
  return f;
}

static void
fresh_trust_clear(FreshTrust *f)
{
  trust = f->saved;
  g_clear_pointer(&f->own, bimi_vmc_trust_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(FreshTrust, fresh_trust_clear)

static void
test_revocation_modes(void)
{
  BimiVmcOptions o = pki_options();
  g_autoptr(BimiVmcResult) soft = NULL, req = NULL, off = NULL, off_revoked = NULL, soft_revoked = NULL;
  g_auto(FreshTrust) fresh = fresh_trust();

  o.fetch_crl = NULL;
  o.revocation = BIMI_VMC_REVOCATION_SOFT;
  soft = verify_file("good-vmc-registered", &o);
  g_assert_true(soft->valid);
  g_assert_cmpint(soft->revocation, ==, BIMI_VMC_REVOCATION_UNAVAILABLE);
  g_assert_cmpuint(soft->warnings->len, >=, 1);
  o.revocation = BIMI_VMC_REVOCATION_REQUIRE;
  req = verify_file("good-vmc-registered", &o);
  g_assert_false(req->valid);
  g_assert_true(bimi_vmc_result_has_failure(req, BIMI_VMC_CHECK_REVOCATION_UNKNOWN));
  o.revocation = BIMI_VMC_REVOCATION_OFF;
  o.fetch_crl = fetch_fixture_crl;
  off_revoked = verify_file("bad-revoked", &o);
  g_assert_true(off_revoked->valid);
  g_assert_cmpint(off_revoked->revocation, ==, BIMI_VMC_REVOCATION_NOT_CHECKED);
  off = verify_file("bad-no-crldp", &o);
  g_assert_true(off->valid);
  /* soft: a listed serial is still a failure */
  o.revocation = BIMI_VMC_REVOCATION_SOFT;
  soft_revoked = verify_file("bad-revoked", &o);
  g_assert_true(bimi_vmc_result_has_failure(soft_revoked, BIMI_VMC_CHECK_REVOKED));
  g_assert_cmpint(soft_revoked->revocation, ==, BIMI_VMC_REVOCATION_REVOKED);
}

/* A revocation after `now` does not count; a CRL past nextUpdate is not current. */
static void
test_revocation_time(void)
{
  BimiVmcOptions o = pki_options();
  g_autoptr(BimiVmcResult) early = NULL, late = NULL;
  g_auto(FreshTrust) fresh = fresh_trust();

  o.now = 1767225600 + 10 * 86400; /* revoked on day 30 */
  early = verify_file("bad-revoked", &o);
  g_assert_true(early->valid);
  g_assert_cmpint(early->revocation, ==, BIMI_VMC_REVOCATION_GOOD);
  o.now = 1798761600 + 3600; /* after the CRL's nextUpdate (and the leaf's notAfter) */
  late = verify_file("bad-revoked", &o);
  g_assert_true(bimi_vmc_result_has_failure(late, BIMI_VMC_CHECK_REVOCATION_UNKNOWN));
}

/* A CRL is fetched once and served from the cache until nextUpdate. */
static void
test_crl_cache(void)
{
  g_auto(FreshTrust) fresh = fresh_trust();
  BimiVmcOptions o = pki_options();
  g_autoptr(BimiVmcResult) a = NULL, b = NULL;

  fetch_calls = 0;
  a = verify_file("good-vmc-government", &o);
  g_assert_cmpuint(fetch_calls, ==, 2); /* intermediate.crl, root.crl */
  b = verify_file("good-cmc-prior-use", &o);
  g_assert_cmpuint(fetch_calls, ==, 2);
  g_assert_true(a->valid && b->valid);
}

/* A CRL signed by someone else is not used. */
static GBytes *
fetch_wrong_crl(const char *url, gpointer user_data, GError **error)
{
  return read_bytes(PKI "intermediate-noeku.crl");
}

static void
test_crl_wrong_issuer(void)
{
  g_auto(FreshTrust) fresh = fresh_trust();
  BimiVmcOptions o = pki_options();
  g_autoptr(BimiVmcResult) r = NULL;

  o.fetch_crl = fetch_wrong_crl;
  r = verify_file("bad-revoked", &o);
  g_assert_false(bimi_vmc_result_has_failure(r, BIMI_VMC_CHECK_REVOKED));
  g_assert_true(bimi_vmc_result_has_failure(r, BIMI_VMC_CHECK_REVOCATION_UNKNOWN));
}

/* spec §7.5: the l= logo must equal the certificate's after line-ending normalisation. */
static void
test_location_svg(void)
{
  BimiVmcOptions o = pki_options();
  g_autoptr(GBytes) logo = read_bytes(PKI "logo.svg");
  g_autoptr(GBytes) other = read_bytes(PKI "logo-not-tiny-ps.svg");
  g_autofree char *crlf = NULL;
  g_autoptr(GBytes) crlf_logo = NULL;
  g_autoptr(BimiVmcResult) a = NULL, b = NULL, c = NULL;

  {
    g_autofree char *s = g_strndup(g_bytes_get_data(logo, NULL), g_bytes_get_size(logo));
    g_auto(GStrv) parts = g_strsplit(s, "\n", -1);
    crlf = g_strjoinv("\r\n", parts);
    crlf_logo = g_bytes_new(crlf, strlen(crlf));
  }
  o.location_svg = logo;
  a = verify_file("good-vmc-registered", &o);
  g_assert_true(a->valid);
  o.location_svg = crlf_logo;
  b = verify_file("good-vmc-registered", &o);
  g_assert_true(b->valid);
  o.location_svg = other;
  c = verify_file("good-vmc-registered", &o);
  g_assert_true(bimi_vmc_result_has_failure(c, BIMI_VMC_CHECK_LOGO_MISMATCH));
  g_assert_cmpuint(c->failures->len, ==, 1);
}

static gboolean
reject_all(GBytes *svg, gpointer user_data, char **detail)
{
  (*(guint *) user_data)++;
  *detail = g_strdup("rejected by the caller's validator");
  return FALSE;
}

/* The SVG validator is engine/svg by default and replaceable by the caller. */
static void
test_svg_check_callback(void)
{
  BimiVmcOptions o = pki_options();
  guint calls = 0;
  g_autoptr(BimiVmcResult) r = NULL, d = NULL;

  o.svg_check = reject_all;
  o.svg_user_data = &calls;
  r = verify_file("good-vmc-registered", &o);
  g_assert_cmpuint(calls, ==, 1);
  g_assert_true(bimi_vmc_result_has_failure(r, BIMI_VMC_CHECK_LOGO_SVG));
  g_assert_nonnull(strstr(((BimiVmcFailure *) g_ptr_array_index(r->failures, 0))->detail, "caller's validator"));
  o = pki_options();
  d = verify_file("bad-logo-not-tiny-ps", &o);
  g_assert_nonnull(strstr(((BimiVmcFailure *) g_ptr_array_index(d->failures, 0))->detail, "version at line 2"));
}

static void
test_svg_equal(void)
{
  g_autoptr(GBytes) a = g_bytes_new_static("a\r\nb\rc\n", 7);
  g_autoptr(GBytes) b = g_bytes_new_static("a\nb\nc\n", 6);
  g_autoptr(GBytes) c = g_bytes_new_static("a\nb\nc", 5);
  g_assert_true(bimi_vmc_svg_equal(a, b));
  g_assert_false(bimi_vmc_svg_equal(b, c));
}

/* Entrust-style per-anchor distrust date (spec §8.3). */
static void
test_distrust_after(void)
{
  g_autoptr(GBytes) root = read_bytes(PKI "root.pem");
  g_autofree char *text = g_strdup_printf("# distrust-after: 2025-12-31\n%.*s", (int) g_bytes_get_size(root),
                                          (const char *) g_bytes_get_data(root, NULL));
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  int fd = g_file_open_tmp("vmc-roots-XXXXXX.pem", &path, &error);
  g_autoptr(BimiVmcTrust) t2 = NULL;
  BimiVmcTrust *saved = trust;
  BimiVmcOptions o = pki_options();
  g_autoptr(BimiVmcResult) r = NULL;

  g_assert_cmpint(fd, >=, 0);
  close(fd);
  g_assert_true(g_file_set_contents(path, text, -1, NULL));
  t2 = bimi_vmc_trust_new_from_files(path, PKI "ct-logs.cnf", &error);
  g_assert_no_error(error);
  trust = t2;
  r = verify_file("good-vmc-registered", &o);
  g_assert_true(bimi_vmc_result_has_failure(r, BIMI_VMC_CHECK_DISTRUSTED));
  trust = saved;
  g_assert_true(g_file_set_contents(path, "# distrust-after: 2025-13-45\n", -1, NULL));
  g_assert_null(bimi_vmc_trust_new_from_files(path, PKI "ct-logs.cnf", &error));
  g_assert_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE);
  g_unlink(path);
}

static void
test_trust_errors(void)
{
  g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL;
  g_autoptr(GString) big = g_string_new(NULL);
  g_autoptr(GBytes) root = read_bytes(PKI "root.pem");
  g_autofree char *path = NULL;
  int fd;

  g_assert_null(bimi_vmc_trust_new_from_files("/nonexistent/roots.pem", PKI "ct-logs.cnf", &e1));
  g_assert_error(e1, BIMI_VMC_ERROR, BIMI_VMC_ERROR_IO);
  g_assert_null(bimi_vmc_trust_new_from_files(PKI "logo.svg", PKI "ct-logs.cnf", &e2));
  g_assert_error(e2, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE);
  {
    g_autoptr(GError) e6 = NULL;
    g_assert_null(bimi_vmc_trust_new_from_files(PKI "bad-tls-certificate.pem", PKI "ct-logs.cnf", &e6));
    g_assert_error(e6, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE);
    g_assert_nonnull(strstr(e6->message, "not a CA"));
  }
  g_assert_null(bimi_vmc_trust_new_from_files(PKI "root.pem", PKI "logo.svg", &e3));
  g_assert_error(e3, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE);
  /* BIMI_VMC_MAX_TRUST_ANCHORS + 1 anchors */
  for (guint i = 0; i <= BIMI_VMC_MAX_TRUST_ANCHORS; i++)
    g_string_append_len(big, g_bytes_get_data(root, NULL), (gssize) g_bytes_get_size(root));
  fd = g_file_open_tmp("vmc-roots-XXXXXX.pem", &path, NULL);
  close(fd);
  g_assert_true(g_file_set_contents(path, big->str, (gssize) big->len, NULL));
  g_assert_null(bimi_vmc_trust_new_from_files(path, PKI "ct-logs.cnf", &e4));
  g_assert_error(e4, BIMI_VMC_ERROR, BIMI_VMC_ERROR_LIMIT);
  g_unlink(path);
}

static void
test_trust_file_limit(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *blob = g_malloc0(BIMI_VMC_MAX_TRUST_FILE_BYTES + 1);
  int fd = g_file_open_tmp("vmc-roots-XXXXXX.pem", &path, NULL);

  close(fd);
  memset(blob, '#', BIMI_VMC_MAX_TRUST_FILE_BYTES);
  g_assert_true(g_file_set_contents(path, blob, BIMI_VMC_MAX_TRUST_FILE_BYTES + 1, NULL));
  g_assert_null(bimi_vmc_trust_new_from_files(path, PKI "ct-logs.cnf", &error));
  g_assert_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_LIMIT);
  g_unlink(path);
}

/* ---- PEM chain loader ---- */

static GPtrArray *
pem_parse(const char *text, GError **error)
{
  return bimi_vmc__pem_chain_parse((const guint8 *) text, strlen(text), error);
}

static void
test_pem_parse(void)
{
  g_autoptr(GBytes) good = read_bytes(PKI "good-vmc-registered.pem");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) certs = NULL;
  g_autofree char *with_text = NULL, *crlf = NULL;

  certs = bimi_vmc__pem_chain_parse(g_bytes_get_data(good, NULL), g_bytes_get_size(good), &error);
  g_assert_no_error(error);
  g_assert_cmpuint(certs->len, ==, 3);
  g_clear_pointer(&certs, g_ptr_array_unref);
  /* explanatory text around blocks (RFC 7468 §2) and CRLF line ends */
  with_text = g_strdup_printf("Subject: test\n\n%.*s\ntrailing words\n", (int) g_bytes_get_size(good),
                              (const char *) g_bytes_get_data(good, NULL));
  certs = pem_parse(with_text, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(certs->len, ==, 3);
  g_clear_pointer(&certs, g_ptr_array_unref);
  {
    g_auto(GStrv) parts = g_strsplit(with_text, "\n", -1);
    crlf = g_strjoinv("\r\n", parts);
  }
  certs = pem_parse(crlf, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(certs->len, ==, 3);
}

static void
test_pem_errors(void)
{
  static const struct {
    const char *text;
    const char *needle;
  } bad[] = {
    { "", "no certificate" },
    { "hello\n", "no certificate" },
    { "-----BEGIN CERTIFICATE-----\nMIIB\n", "no END line" },
    { "-----BEGIN CERTIFICATE-----\nMII*\n-----END CERTIFICATE-----\n", "line 2, column 4: not base64" },
    { "-----BEGIN CERTIFICATE-----\nMIIBAA==\n-----END CERTIFICATE-----\n", "not a DER X.509 certificate" },
    { "-----BEGIN CERTIFICATE-----\nMIIB\n-----END X509 CRL-----\n", "line 3: expected" },
    { "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n", "line 1: a PEM block that is not a CERTIFICATE" },
    { "-----BEGIN CERTIFICATE-----\nMI=B\n-----END CERTIFICATE-----\n", "line 2: '=' inside base64" },
    { "-----BEGIN CERTIFICATE-----\nMIIBA\n-----END CERTIFICATE-----\n", "not padded" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) certs = pem_parse(bad[i].text, &error);
    g_assert_null(certs);
    bimi_test_assert_error_names(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE, bad[i].needle, i);
  }
}

/* A malformed Evidence Document is a "pem" failure, not a GError. */
static void
test_pem_failure_result(void)
{
  g_autoptr(GBytes) pem = g_bytes_new_static("not pem", 7);
  BimiVmcOptions o = pki_options();
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiVmcResult) r = bimi_vmc_verify(pem, trust, &o, &error);

  g_assert_no_error(error);
  g_assert_false(r->valid);
  g_assert_true(bimi_vmc_result_has_failure(r, BIMI_VMC_CHECK_PEM));
  g_assert_cmpint(r->cert_type, ==, BIMI_VMC_CERT_NONE);
}

static void
test_pem_limits(void)
{
  g_autoptr(GBytes) root = read_bytes(PKI "root.pem");
  g_autoptr(GString) many = g_string_new(NULL);
  g_autoptr(GString) longline = g_string_new("-----BEGIN CERTIFICATE-----\n");
  g_autoptr(GString) bigcert = g_string_new("-----BEGIN CERTIFICATE-----\n");
  g_autofree char *huge = g_malloc0(BIMI_VMC_MAX_PEM_BYTES + 2);
  g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL, e5 = NULL;
  g_autoptr(GBytes) huge_bytes = NULL;
  BimiVmcOptions o = pki_options();

  for (guint i = 0; i <= BIMI_VMC_MAX_CHAIN_CERTS; i++)
    g_string_append_len(many, g_bytes_get_data(root, NULL), (gssize) g_bytes_get_size(root));
  g_assert_null(bimi_vmc__pem_chain_parse((const guint8 *) many->str, many->len, &e1));
  g_assert_error(e1, BIMI_VMC_ERROR, BIMI_VMC_ERROR_LIMIT);
  for (guint i = 0; i <= BIMI_VMC_MAX_PEM_LINE_BYTES; i++)
    g_string_append_c(longline, 'A');
  g_assert_null(pem_parse(longline->str, &e2));
  g_assert_error(e2, BIMI_VMC_ERROR, BIMI_VMC_ERROR_LIMIT);
  for (guint i = 0; i < BIMI_VMC_MAX_CERT_BYTES / 48 + 2; i++)
    g_string_append(bigcert, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n");
  g_assert_null(pem_parse(bigcert->str, &e3));
  g_assert_error(e3, BIMI_VMC_ERROR, BIMI_VMC_ERROR_LIMIT);
  memset(huge, '#', BIMI_VMC_MAX_PEM_BYTES + 1);
  g_assert_null(bimi_vmc__pem_chain_parse((const guint8 *) huge, BIMI_VMC_MAX_PEM_BYTES + 1, &e4));
  g_assert_error(e4, BIMI_VMC_ERROR, BIMI_VMC_ERROR_LIMIT);
  huge_bytes = g_bytes_new(huge, BIMI_VMC_MAX_PEM_BYTES + 1);
  g_assert_null(bimi_vmc_verify(huge_bytes, trust, &o, &e5));
  g_assert_error(e5, BIMI_VMC_ERROR, BIMI_VMC_ERROR_LIMIT);
}

/* ---- logotype DER parser and data: URI ---- */

static GByteArray *
tlv(guint8 tag, const void *body, gsize n)
{
  GByteArray *o = g_byte_array_new();
  guint8 h[4] = { tag };
  gsize hl = 2;
  if (n < 0x80)
    h[1] = (guint8) n;
  else {
    h[1] = 0x82;
    h[2] = (guint8) (n >> 8);
    h[3] = (guint8) n;
    hl = 4;
  }
  g_byte_array_append(o, h, (guint) hl);
  g_byte_array_append(o, body, (guint) n);
  return o;
}

static GByteArray *
wrap(guint8 tag, GByteArray *inner)
{
  GByteArray *o = tlv(tag, inner->data, inner->len);
  g_byte_array_unref(inner);
  return o;
}

static GByteArray *
cat(GByteArray *a, GByteArray *b)
{
  g_byte_array_append(a, b->data, b->len);
  g_byte_array_unref(b);
  return a;
}

/* LogotypeExtn with n_hashes SHA-256 hashes and n_uris copies of @uri. */
static GByteArray *
build_logotype(const char *media, guint n_hashes, const char *uri, guint n_uris, guint8 logo_tag)
{
  static const guint8 alg[] = { 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00 };
  guint8 zero[32] = { 0 };
  GByteArray *hashes = g_byte_array_new(), *uris = g_byte_array_new(), *d;

  for (guint i = 0; i < n_hashes; i++) {
    GByteArray *hv = g_byte_array_new();
    g_byte_array_append(hv, alg, sizeof alg);
    hv = cat(hv, tlv(0x04, zero, sizeof zero));
    hashes = cat(hashes, wrap(0x30, hv));
  }
  for (guint i = 0; i < n_uris; i++)
    uris = cat(uris, tlv(0x16, uri, strlen(uri)));
  d = tlv(0x16, media, strlen(media));
  d = cat(d, wrap(0x30, hashes));
  d = cat(d, wrap(0x30, uris));
  d = wrap(0x30, wrap(0x30, wrap(0x30, d)));
  d = wrap(0xa0, d);
  d = wrap(logo_tag, d);
  return wrap(0x30, d);
}

static void
test_logotype_parse(void)
{
  g_autoptr(GByteArray) der = build_logotype("image/svg+xml", 2, "data:image/svg+xml;base64,PHN2Zy8+", 1, 0xa2);
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiLogotypeDetails) d = bimi_vmc__logotype_parse(der->data, der->len, &error);

  g_assert_no_error(error);
  g_assert_cmpstr(d->media_type, ==, "image/svg+xml");
  g_assert_cmpuint(d->hashes->len, ==, 2);
  g_assert_cmpint(((BimiLogoHash *) g_ptr_array_index(d->hashes, 0))->alg, ==, BIMI_LOGO_HASH_SHA256);
  g_assert_cmpstr(g_ptr_array_index(d->uris, 0), ==, "data:image/svg+xml;base64,PHN2Zy8+");
}

static void
test_logotype_errors(void)
{
  g_autoptr(GByteArray) issuer_only = build_logotype("image/svg+xml", 1, "data:,x", 1, 0xa1);
  g_autoptr(GByteArray) good = build_logotype("image/svg+xml", 1, "data:,x", 1, 0xa2);
  g_autoptr(GByteArray) no_hash = build_logotype("image/svg+xml", 0, "data:,x", 1, 0xa2);
  g_autoptr(GByteArray) no_uri = build_logotype("image/svg+xml", 1, "data:,x", 0, 0xa2);
  g_autoptr(GByteArray) bad_media = build_logotype("image/svg\x01xml", 1, "data:,x", 1, 0xa2);
  static const guint8 indirect[] = { 0x30, 0x06, 0xa2, 0x04, 0xa1, 0x02, 0x30, 0x00 };
  static const guint8 indefinite[] = { 0x30, 0x80, 0x00, 0x00 };
  static const guint8 overlong[] = { 0x30, 0x03, 0xa2, 0x10, 0x00 };
  static const guint8 hightag[] = { 0x30, 0x03, 0x1f, 0x01, 0x00 };
  struct {
    const guint8 *p;
    gsize n;
    const char *needle;
  } cases[] = {
    { issuer_only->data, issuer_only->len, "no subjectLogo" },
    { good->data, good->len - 1, "runs past" },
    { no_hash->data, no_hash->len, "empty logotypeHash" },
    { no_uri->data, no_uri->len, "empty logotypeURI" },
    { bad_media->data, bad_media->len, "non-printable" },
    { indirect, sizeof indirect, "indirect" },
    { indefinite, sizeof indefinite, "unsupported length form" },
    { overlong, sizeof overlong, "offset 2" },
    { hightag, sizeof hightag, "multi-byte tag" },
    { (const guint8 *) "", 0, "LogotypeExtn missing" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(BimiLogotypeDetails) d = bimi_vmc__logotype_parse(cases[i].p, cases[i].n, &error);
    g_assert_null(d);
    bimi_test_assert_error_names(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE, cases[i].needle, i);
  }
}

static void
test_logotype_limits(void)
{
  g_autoptr(GByteArray) many_hashes = build_logotype("image/svg+xml", BIMI_VMC_MAX_LOGOTYPE_ITEMS + 1, "data:,x", 1, 0xa2);
  g_autoptr(GByteArray) many_uris = build_logotype("image/svg+xml", 1, "data:,x", BIMI_VMC_MAX_LOGOTYPE_ITEMS + 1, 0xa2);
  g_autofree char *long_uri = g_malloc0(BIMI_VMC_MAX_LOGO_URI_BYTES + 2);
  g_autoptr(GByteArray) big_uri = NULL;
  g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL;
  g_autofree guint8 *huge = g_malloc0(BIMI_VMC_MAX_CERT_BYTES + 1);

  g_assert_null(bimi_vmc__logotype_parse(many_hashes->data, many_hashes->len, &e1));
  g_assert_error(e1, BIMI_VMC_ERROR, BIMI_VMC_ERROR_LIMIT);
  g_assert_null(bimi_vmc__logotype_parse(many_uris->data, many_uris->len, &e2));
  g_assert_error(e2, BIMI_VMC_ERROR, BIMI_VMC_ERROR_LIMIT);
  memset(long_uri, 'a', BIMI_VMC_MAX_LOGO_URI_BYTES + 1);
  big_uri = build_logotype("image/svg+xml", 1, long_uri, 1, 0xa2);
  g_assert_null(bimi_vmc__logotype_parse(big_uri->data, big_uri->len, &e3));
  g_assert_error(e3, BIMI_VMC_ERROR, BIMI_VMC_ERROR_LIMIT);
  g_assert_null(bimi_vmc__logotype_parse(huge, BIMI_VMC_MAX_CERT_BYTES + 1, &e4));
  g_assert_error(e4, BIMI_VMC_ERROR, BIMI_VMC_ERROR_LIMIT);
}

static char *
gzip_b64(const void *p, gsize n)
{
  g_autoptr(GZlibCompressor) z = g_zlib_compressor_new(G_ZLIB_COMPRESSOR_FORMAT_GZIP, 9);
  gsize cap = n + 1024, r = 0, w = 0;
  g_autofree guint8 *buf = g_malloc(cap);
  g_assert_cmpint(g_converter_convert(G_CONVERTER(z), p, n, buf, cap, G_CONVERTER_INPUT_AT_END, &r, &w, NULL), ==,
                  G_CONVERTER_FINISHED);
  return g_base64_encode(buf, w);
}

static void
test_data_uri(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *gz = gzip_b64("<svg/>", 6);
  g_autofree char *uri = g_strconcat("data:image/svg+xml;base64,", gz, NULL);
  g_autoptr(GBytes) a = bimi_vmc__logo_data_uri_decode(uri, &error);
  g_autoptr(GBytes) b = NULL;

  g_assert_no_error(error);
  g_assert_cmpmem(g_bytes_get_data(a, NULL), g_bytes_get_size(a), "<svg/>", 6);
  /* uncompressed payload accepted; media type and "base64" case-insensitive */
  b = bimi_vmc__logo_data_uri_decode("DATA:Image/SVG+XML;BASE64,PHN2Zy8+", &error);
  g_assert_no_error(error);
  g_assert_cmpmem(g_bytes_get_data(b, NULL), g_bytes_get_size(b), "<svg/>", 6);
}

static void
test_data_uri_errors(void)
{
  static const char *const bad[] = {
    "https://example.com/logo.svg",
    "data:image/svg+xml;base64",
    "data:image/png;base64,AAAA",
    "data:image/svg+xml,%3Csvg%2F%3E",
    "data:image/svg+xml;base64,PHN2Zy8+*",
    "data:image/svg+xml;base64,H4sIAAAAAAAAA7MpLkvXBwAAAAD//w==", /* truncated gzip */
  };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) b = bimi_vmc__logo_data_uri_decode(bad[i], &error);
    g_assert_null(b);
    g_assert_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE);
  }
}

/* A gzip bomb stops at BIMI_VMC_MAX_SVG_BYTES; so does a large plain payload. */
static void
test_data_uri_limits(void)
{
  g_autofree char *zeros = g_malloc0(BIMI_VMC_MAX_SVG_BYTES + 1);
  g_autofree char *gz = gzip_b64(zeros, BIMI_VMC_MAX_SVG_BYTES + 1);
  g_autofree char *uri = g_strconcat("data:image/svg+xml;base64,", gz, NULL);
  g_autofree char *plain = g_base64_encode((const guchar *) zeros, BIMI_VMC_MAX_SVG_BYTES + 1);
  g_autofree char *uri2 = g_strconcat("data:image/svg+xml;base64,", plain, NULL);
  g_autofree char *ok = gzip_b64(zeros, BIMI_VMC_MAX_SVG_BYTES);
  g_autofree char *uri3 = g_strconcat("data:image/svg+xml;base64,", ok, NULL);
  g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL;
  g_autoptr(GBytes) fits = NULL;

  g_assert_null(bimi_vmc__logo_data_uri_decode(uri, &e1));
  g_assert_error(e1, BIMI_VMC_ERROR, BIMI_VMC_ERROR_LIMIT);
  g_assert_null(bimi_vmc__logo_data_uri_decode(uri2, &e2));
  g_assert_error(e2, BIMI_VMC_ERROR, BIMI_VMC_ERROR_LIMIT);
  fits = bimi_vmc__logo_data_uri_decode(uri3, &e3);
  g_assert_no_error(e3);
  g_assert_cmpuint(g_bytes_get_size(fits), ==, BIMI_VMC_MAX_SVG_BYTES);
}

/* ---- SCT list parser ---- */

static GByteArray *
sct_bytes(guint8 version, gsize sig_len)
{
  GByteArray *s = g_byte_array_new();
  guint8 b[64] = { 0 };
  g_byte_array_append(s, &version, 1);
  g_byte_array_append(s, b, 32);      /* log id */
  g_byte_array_append(s, (const guint8 *) "\x00\x00\x01\x7b\x3b\xbd\x4b\x05", 8);
  g_byte_array_append(s, (const guint8 *) "\x00\x00\x04\x03", 4);
  b[0] = (guint8) (sig_len >> 8);
  b[1] = (guint8) sig_len;
  g_byte_array_append(s, b, 2);
  for (gsize i = 0; i < sig_len; i++)
    g_byte_array_append(s, (const guint8 *) "\x30", 1);
  return s;
}

static GByteArray *
sct_list(guint n, guint8 version)
{
  GByteArray *body = g_byte_array_new(), *out = g_byte_array_new();
  for (guint i = 0; i < n; i++) {
    g_autoptr(GByteArray) s = sct_bytes(version, 8);
    guint8 l[2] = { (guint8) (s->len >> 8), (guint8) s->len };
    g_byte_array_append(body, l, 2);
    g_byte_array_append(body, s->data, s->len);
  }
  {
    guint8 l[2] = { (guint8) (body->len >> 8), (guint8) body->len };
    g_byte_array_append(out, l, 2);
  }
  g_byte_array_append(out, body->data, body->len);
  g_byte_array_unref(body);
  return out;
}

static void
test_sct_parse(void)
{
  g_autoptr(GByteArray) l = sct_list(2, 0);
  g_autoptr(GByteArray) v2 = sct_list(1, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) scts = bimi_vmc__sct_list_parse(l->data, l->len, &error);
  g_autoptr(GPtrArray) other = NULL;
  BimiSct *s;

  g_assert_no_error(error);
  g_assert_cmpuint(scts->len, ==, 2);
  s = g_ptr_array_index(scts, 0);
  g_assert_cmpuint(s->version, ==, 0);
  g_assert_cmpuint(s->timestamp_ms, ==, 0x0000017b3bbd4b05ull); /* cnn.pem's SCT: 2021-08-12 */
  g_assert_cmpuint(s->hash_alg, ==, 4);
  g_assert_cmpuint(s->sig_alg, ==, 3);
  g_assert_cmpuint(s->signature_len, ==, 8);
  other = bimi_vmc__sct_list_parse(v2->data, v2->len, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(((BimiSct *) g_ptr_array_index(other, 0))->version, ==, 1);
}

static void
test_sct_errors(void)
{
  g_autoptr(GByteArray) l = sct_list(1, 0);
  g_autoptr(GByteArray) many = sct_list(BIMI_VMC_MAX_SCTS + 1, 0);
  g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL, e5 = NULL;

  g_assert_null(bimi_vmc__sct_list_parse(l->data, l->len - 1, &e1));
  g_assert_error(e1, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE);
  l->data[3] ^= 0x01; /* inner length off by one */
  g_assert_null(bimi_vmc__sct_list_parse(l->data, l->len, &e2));
  g_assert_error(e2, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE);
  g_assert_null(bimi_vmc__sct_list_parse((const guint8 *) "\x00", 1, &e3));
  g_assert_error(e3, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE);
  g_assert_null(bimi_vmc__sct_list_parse(many->data, many->len, &e4));
  g_assert_error(e4, BIMI_VMC_ERROR, BIMI_VMC_ERROR_LIMIT);
  g_assert_null(bimi_vmc__sct_list_from_extension((const guint8 *) "\x03\x00", 2, &e5));
  g_assert_error(e5, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE);
}

static void
test_extract_logo(void)
{
  g_autoptr(GBytes) pem = read_bytes(PKI "good-cmc-prior-use.pem");
  g_autoptr(GBytes) want = read_bytes(PKI "logo.svg");
  g_autoptr(GBytes) tls = read_bytes(PKI "bad-tls-certificate.pem");
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) got = bimi_vmc_extract_logo(pem, &error);

  g_assert_no_error(error);
  g_assert_true(g_bytes_equal(got, want));
  g_assert_null(bimi_vmc_extract_logo(tls, &error));
  g_assert_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE);

  /* out of order (issuing CA first): the logo is still the leaf's */
  {
    gsize len;
    const char *text = g_bytes_get_data(pem, &len);
    g_autofree char *copy = g_strndup(text, len);
    const char *second = strstr(copy + 1, "-----BEGIN CERTIFICATE-----");
    const char *third = second != NULL ? strstr(second + 1, "-----BEGIN CERTIFICATE-----") : NULL;
    g_autofree char *leaf = NULL, *ca = NULL, *swapped = NULL;
    g_autoptr(GBytes) doc = NULL, again = NULL;
    g_autoptr(GError) e2 = NULL;

    g_assert_nonnull(second);
    leaf = g_strndup(copy, (gsize) (second - copy));
    ca = third != NULL ? g_strndup(second, (gsize) (third - second)) : g_strdup(second);
    swapped = g_strconcat(ca, leaf, third != NULL ? third : "", NULL);
    doc = g_bytes_new(swapped, strlen(swapped));
    again = bimi_vmc_extract_logo(doc, &e2);
    g_assert_no_error(e2);
    g_assert_true(g_bytes_equal(again, want));
  }
}

/* BIMI_VMC_MAX_SANS: names past the limit are not read (fail closed) and a warning says so. */
static void
test_san_limit(void)
{
  BimiVmcOptions o = pki_options();
  g_autoptr(BimiVmcResult) r = verify_file("edge-many-sans", &o);
  gboolean warned = FALSE;

  g_assert_cmpuint(g_strv_length(r->sans), ==, BIMI_VMC_MAX_SANS);
  for (guint i = 0; i < r->warnings->len; i++)
    if (strstr(g_ptr_array_index(r->warnings, i), "SAN") != NULL)
      warned = TRUE;
  g_assert_true(warned);
  g_assert_true(bimi_vmc_result_has_failure(r, BIMI_VMC_CHECK_SAN_MISMATCH));
}

/* BIMI_VMC_MAX_CRL_BYTES: a larger CRL is not parsed; the status is unknown. */
static GBytes *
fetch_huge_crl(const char *url, gpointer user_data, GError **error)
{
  return g_bytes_new_take(g_malloc0(BIMI_VMC_MAX_CRL_BYTES + 1), BIMI_VMC_MAX_CRL_BYTES + 1);
}

static void
test_crl_size_limit(void)
{
  g_auto(FreshTrust) fresh = fresh_trust();
  BimiVmcOptions o = pki_options();
  g_autoptr(BimiVmcResult) r = NULL;
  gboolean warned = FALSE;

  o.fetch_crl = fetch_huge_crl;
  r = verify_file("bad-revoked", &o);
  g_assert_true(bimi_vmc_result_has_failure(r, BIMI_VMC_CHECK_REVOCATION_UNKNOWN));
  for (guint i = 0; i < r->warnings->len; i++)
    if (strstr(g_ptr_array_index(r->warnings, i), "CRL larger than") != NULL)
      warned = TRUE;
  g_assert_true(warned);
}

/* BIMI_VMC_MAX_CACHED_CRLS: a new URL into a full cache empties it first. */
static void
test_crl_cache_limit(void)
{
  g_autoptr(BimiVmcTrust) t2 = bimi_vmc_trust_new_from_files(PKI "root.pem", PKI "ct-logs.cnf", NULL);
  g_autoptr(GBytes) der = read_bytes(PKI "root.crl");
  const unsigned char *p = g_bytes_get_data(der, NULL);
  X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long) g_bytes_get_size(der));

  g_assert_nonnull(crl);
  for (guint i = 0; i < BIMI_VMC_MAX_CACHED_CRLS; i++) {
    g_autofree char *url = g_strdup_printf("http://crl.pki.test/%u.crl", i);
    g_assert_cmpuint(bimi_vmc__crl_cache_put(t2, url, crl, pki_now + 1), ==, i + 1);
  }
  /* replacing a cached URL keeps the size */
  g_assert_cmpuint(bimi_vmc__crl_cache_put(t2, "http://crl.pki.test/0.crl", crl, pki_now + 1), ==, BIMI_VMC_MAX_CACHED_CRLS);
  g_assert_cmpuint(bimi_vmc__crl_cache_put(t2, "http://crl.pki.test/new.crl", crl, pki_now + 1), ==, 1);
  X509_CRL_free(crl);
}

static void
test_revocation_mode_strings(void)
{
  BimiVmcRevocationMode m;
  g_assert_true(bimi_vmc_revocation_mode_from_string("require", &m));
  g_assert_cmpint(m, ==, BIMI_VMC_REVOCATION_REQUIRE);
  g_assert_true(bimi_vmc_revocation_mode_from_string("off", &m));
  g_assert_cmpint(m, ==, BIMI_VMC_REVOCATION_OFF);
  g_assert_false(bimi_vmc_revocation_mode_from_string("Soft", &m));
  g_assert_cmpstr(bimi_vmc_revocation_mode_to_string(BIMI_VMC_REVOCATION_SOFT), ==, "soft");
}

int
main(int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) dt = g_date_time_new_utc(2026, 6, 1, 0, 0, 0);
  int rc;

  g_test_init(&argc, &argv, NULL);
  pki_now = g_date_time_to_unix(dt);
  trust = bimi_vmc_trust_new_from_files(PKI "root.pem", PKI "ct-logs.cnf", &error);
  g_assert_no_error(error);
  BIMI_TEST_ADD_NAMED_CASES("/vmc/pki/", pki_cases, test_pki_case);
  g_test_add_func("/vmc/reason-codes", test_reason_codes_distinct);
  g_test_add_func("/vmc/subject-fields", test_subject_fields);
  g_test_add_func("/vmc/san/selector-and-idn", test_san_selector_and_idn);
  g_test_add_func("/vmc/san/no-domain", test_san_no_domain_warns);
  g_test_add_func("/vmc/san/limit", test_san_limit);
  g_test_add_func("/vmc/revocation/crl-size-limit", test_crl_size_limit);
  g_test_add_func("/vmc/revocation/cache-limit", test_crl_cache_limit);
  g_test_add_func("/vmc/revocation/modes", test_revocation_modes);
  g_test_add_func("/vmc/revocation/time", test_revocation_time);
  g_test_add_func("/vmc/revocation/cache", test_crl_cache);
  g_test_add_func("/vmc/revocation/wrong-issuer", test_crl_wrong_issuer);
  g_test_add_func("/vmc/revocation/mode-strings", test_revocation_mode_strings);
  g_test_add_func("/vmc/logo/location-svg", test_location_svg);
  g_test_add_func("/vmc/logo/svg-equal", test_svg_equal);
  g_test_add_func("/vmc/logo/svg-check-callback", test_svg_check_callback);
  g_test_add_func("/vmc/logo/extract", test_extract_logo);
  g_test_add_func("/vmc/trust/distrust-after", test_distrust_after);
  g_test_add_func("/vmc/trust/errors", test_trust_errors);
  g_test_add_func("/vmc/trust/file-limit", test_trust_file_limit);
  g_test_add_func("/vmc/pem/parse", test_pem_parse);
  g_test_add_func("/vmc/pem/errors", test_pem_errors);
  g_test_add_func("/vmc/pem/failure-result", test_pem_failure_result);
  g_test_add_func("/vmc/pem/limits", test_pem_limits);
  g_test_add_func("/vmc/logotype/parse", test_logotype_parse);
  g_test_add_func("/vmc/logotype/errors", test_logotype_errors);
  g_test_add_func("/vmc/logotype/limits", test_logotype_limits);
  g_test_add_func("/vmc/logotype/data-uri", test_data_uri);
  g_test_add_func("/vmc/logotype/data-uri-errors", test_data_uri_errors);
  g_test_add_func("/vmc/logotype/data-uri-limits", test_data_uri_limits);
  g_test_add_func("/vmc/sct/parse", test_sct_parse);
  g_test_add_func("/vmc/sct/errors", test_sct_errors);
  rc = g_test_run();
  bimi_vmc_trust_unref(trust);
  return rc;
}
