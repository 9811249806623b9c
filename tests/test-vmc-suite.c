/* tests/test-vmc-suite.c — the real VMC/CMC chains of shared/upstream/bimi/vmc-fixtures
 * give the verdicts of their SOURCES.md, at a time inside their validity, with their
 * real SCTs verified against DigiCert Gorgon and the default trust store of data/.
 * CRLs are not reachable offline: revocation=soft, no fetcher.
 */
#include "engine/vmc.h"
#include "tests/lib/data.h"

#include <string.h>

typedef struct {
  const char *name;          /* test path component */
  const char *pem;           /* under bimi/vmc-fixtures/ */
  const char *at;            /* RFC 3339, inside the validity */
  const char *domain;
  gboolean valid;
  BimiVmcCertType type;
  BimiVmcMarkType mark;
  const char *svg;           /* under bimi/svg/extracted-from-vmc/, or NULL */
  const char *org;
  const char *hash_alg;
  BimiVmcCheck failures[10];  /* expected failures, exactly (terminated by N_CHECKS) */
} SuiteCase;

#define END BIMI_VMC_N_CHECKS
static const SuiteCase cases[] = {
  { "cnn", "postalsys-vmc/cnn.pem", "2022-01-01T00:00:00Z", "cnn.com", TRUE, BIMI_VMC_CERT_VMC,
    BIMI_VMC_MARK_ABSENT, "cnn.svg", "Cable News Network, Inc.", "sha1", { END } },
  { "paypal_vmc", "postalsys-vmc/paypal_vmc.pem", "2025-01-01T00:00:00Z", "paypal.com", TRUE, BIMI_VMC_CERT_VMC,
    BIMI_VMC_MARK_REGISTERED, "paypal_vmc.svg", "PayPal, Inc.", "sha1", { END } },
  { "globalsign-vmc", "postalsys-vmc/globalsign-vmc.pem", "2025-06-01T00:00:00Z", "globalsign.com", TRUE,
    BIMI_VMC_CERT_VMC, BIMI_VMC_MARK_REGISTERED, "globalsign-vmc.svg", "GMO GlobalSign Pte. Ltd.", "sha384", { END } },
  { "redshift", "postalsys-vmc/redshift.pem", "2022-01-01T00:00:00Z", "redsift.com", TRUE, BIMI_VMC_CERT_VMC,
    BIMI_VMC_MARK_ABSENT, "redshift.svg", "RedSift, Ltd", "sha256", { END } },
  { "valimail", "rspamd-bimi-helper/valimail.pem", "2025-06-01T00:00:00Z", "vali.email", TRUE, BIMI_VMC_CERT_VMC,
    BIMI_VMC_MARK_REGISTERED, "rspamd-valimail.svg", "Valimail Inc", "sha1", { END } },
  { "xometry_cmc", "postalsys-vmc/xometry_cmc.pem", "2025-01-01T00:00:00Z", "xometry.com", TRUE, BIMI_VMC_CERT_CMC,
    BIMI_VMC_MARK_PRIOR_USE, "xometry_cmc.svg", "XOMETRY, INC.", "sha1", { END } },
  { "rspamd-paypal-wrong-intermediate", "rspamd-bimi-helper/paypal.pem", "2025-06-01T00:00:00Z", "paypal.de", FALSE,
    BIMI_VMC_CERT_VMC, BIMI_VMC_MARK_REGISTERED, "paypal_vmc.svg", "PayPal, Inc.", "sha1",
    { BIMI_VMC_CHECK_CHAIN_INCOMPLETE, END } },
  { "catchall-tls-cert", "postalsys-vmc/catchall.delivery.pem", "2022-08-01T00:00:00Z", "catchall.delivery", FALSE,
    BIMI_VMC_CERT_NONE, BIMI_VMC_MARK_ABSENT, NULL, NULL, NULL,
    { BIMI_VMC_CHECK_CHAIN_UNTRUSTED, BIMI_VMC_CHECK_EKU_LEAF, BIMI_VMC_CHECK_EKU_ISSUER, BIMI_VMC_CHECK_POLICY,
      BIMI_VMC_CHECK_SCT_UNKNOWN_LOG, BIMI_VMC_CHECK_CRLDP_MISSING, BIMI_VMC_CHECK_LOGOTYPE_MISSING, END } },
  { "postal-self-signed", "postalsys-vmc/postal_vmc.pem", "2023-01-01T00:00:00Z", "postal.vmc.local", FALSE,
    BIMI_VMC_CERT_NONE, BIMI_VMC_MARK_ABSENT, NULL, "Postal Systems OU.", NULL,
    { BIMI_VMC_CHECK_LEAF_COUNT, BIMI_VMC_CHECK_CHAIN_UNTRUSTED, BIMI_VMC_CHECK_EKU_LEAF, BIMI_VMC_CHECK_POLICY,
      BIMI_VMC_CHECK_SAN_MISSING, BIMI_VMC_CHECK_SCT_MISSING, BIMI_VMC_CHECK_CRLDP_MISSING,
      BIMI_VMC_CHECK_LOGOTYPE_MISSING, END } },
};

static BimiVmcTrust *trust;

static char *
upstream(const char *rel)
{
  const char *dir = bimi_test_upstream_dir();
  return g_build_filename(dir ? dir : "../shared/upstream", "bimi", rel, NULL);
}

static GBytes *
read_bytes(const char *path)
{
  return bimi_test_read_bytes(path);
}

static gint64
parse_at(const char *s)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601(s, NULL);
  g_assert_nonnull(dt);
  return g_date_time_to_unix(dt);
}

static void
run_case(gconstpointer data)
{
  const SuiteCase *c = data;
  g_autofree char *rel = g_build_filename("vmc-fixtures", c->pem, NULL);
  g_autofree char *path = upstream(rel);
  g_autoptr(GBytes) pem = read_bytes(path);
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiVmcResult) r = NULL;
  BimiVmcOptions opts = { 0 };
  guint n_expected = 0;

  opts.domain = c->domain;
  opts.now = parse_at(c->at);
  opts.revocation = BIMI_VMC_REVOCATION_SOFT;
  r = bimi_vmc_verify(pem, trust, &opts, &error);
  g_assert_no_error(error);
  g_assert_nonnull(r);
  for (guint i = 0; i < r->failures->len; i++) {
    BimiVmcFailure *f = g_ptr_array_index(r->failures, i);
    g_test_message("failure %s: %s", bimi_vmc_check_code(f->check), f->detail);
  }
  while (c->failures[n_expected] != END) {
    g_assert_true(bimi_vmc_result_has_failure(r, c->failures[n_expected]));
    n_expected++;
  }
  g_assert_cmpuint(r->failures->len, ==, n_expected);
  g_assert_cmpint(r->valid, ==, c->valid);
  g_assert_cmpint(r->cert_type, ==, c->type);
  g_assert_cmpint(r->mark_type, ==, c->mark);
  g_assert_cmpstr(r->organization, ==, c->org);
  g_assert_cmpstr(r->logo_hash_alg, ==, c->hash_alg);
  if (c->svg != NULL) {
    g_autofree char *srel = g_build_filename("svg/extracted-from-vmc", c->svg, NULL);
    g_autofree char *spath = upstream(srel);
    g_autoptr(GBytes) want = read_bytes(spath);
    g_autoptr(GBytes) extracted = bimi_vmc_extract_logo(pem, &error);

    g_assert_no_error(error);
    g_assert_nonnull(r->svg);
    g_assert_true(g_bytes_equal(r->svg, want));
    g_assert_true(g_bytes_equal(extracted, want));
    g_assert_true(r->logo_hash_ok);
  }
  if (c->valid) {
    /* Real SCT verified against Gorgon. */
    g_assert_cmpuint(g_strv_length(r->sct_logs), ==, 1);
    g_assert_cmpstr(r->sct_logs[0], ==, "DigiCert Gorgon");
    /* Offline: soft revocation leaves the status unavailable, not a failure. */
    g_assert_cmpint(r->revocation, ==, BIMI_VMC_REVOCATION_UNAVAILABLE);
  } else {
    g_assert_cmpuint(g_strv_length(r->sct_logs), ==, 0);
  }
  if (c->svg == NULL) {
    g_assert_null(r->svg);
  }
}

/* Verifies the real chain at upstream @rel for the record domain @domain at the time @at (ISO 8601). */
static BimiVmcResult *
verify_real(const char *rel, const char *domain, const char *at)
{
  g_autofree char *path = upstream(rel);
  g_autoptr(GBytes) pem = read_bytes(path);
  BimiVmcOptions opts = { .domain = domain, .now = parse_at(at) };
  return bimi_vmc_verify(pem, trust, &opts, NULL);
}

/* The same real chains outside their validity: expired (cnn today, spec §12 pitfall 3). */
static void
test_cnn_expired(void)
{
  g_autoptr(BimiVmcResult) r = verify_real("vmc-fixtures/postalsys-vmc/cnn.pem", "cnn.com", "2026-11-29T00:00:00Z");

  g_assert_false(r->valid);
  g_assert_true(bimi_vmc_result_has_failure(r, BIMI_VMC_CHECK_EXPIRED));
}

/* Before the SCT timestamp the SCT is in the future: invalid (RFC 6962 §5.2). */
static void
test_paypal_before_issuance(void)
{
  g_autoptr(BimiVmcResult) r =
    verify_real("vmc-fixtures/postalsys-vmc/paypal_vmc.pem", "paypal.com", "2024-01-01T00:00:00Z");

  g_assert_true(bimi_vmc_result_has_failure(r, BIMI_VMC_CHECK_NOT_YET_VALID));
  g_assert_true(bimi_vmc_result_has_failure(r, BIMI_VMC_CHECK_SCT_INVALID));
}

/* SAN matching on a real certificate: the record domain, not a subdomain (spec §7.3). */
static void
test_valimail_san(void)
{
  g_autoptr(BimiVmcResult) r =
    verify_real("vmc-fixtures/rspamd-bimi-helper/valimail.pem", "mail.valimail.com", "2025-06-01T00:00:00Z");

  g_assert_true(bimi_vmc_result_has_failure(r, BIMI_VMC_CHECK_SAN_MISMATCH));
  g_assert_cmpuint(g_strv_length(r->sans), ==, 3);
  g_assert_true(g_strv_contains((const char *const *) r->sans, "valigov.com"));
}

/* The anchors valid at a time (the service's health check): the five roots' validity runs from 2019-09-23
 * (the earliest notBefore) to 2049-09-23 (the latest notAfter); two end in 2040 and 2042. */
static void
test_trust_valid_at(void)
{
  g_assert_cmpuint(bimi_vmc_trust_n_roots_valid_at(trust, 1546300800), ==, 0);  /* 2019-01-01: none yet */
  g_assert_cmpuint(bimi_vmc_trust_n_roots_valid_at(trust, 1577836800), ==, 1);  /* 2020-01-01 */
  g_assert_cmpuint(bimi_vmc_trust_n_roots_valid_at(trust, 1893456000), ==, 5);  /* 2030-01-01 */
  g_assert_cmpuint(bimi_vmc_trust_n_roots_valid_at(trust, 2366841600), ==, 3);  /* 2045-01-01 */
  g_assert_cmpuint(bimi_vmc_trust_n_roots_valid_at(trust, 2524608000), ==, 0);  /* 2050-01-01: all expired */
}

int
main(int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  int rc;

  g_test_init(&argc, &argv, NULL);
  trust = bimi_vmc_trust_new_from_files("data/bimi-roots.pem", "data/ct-logs.cnf", &error);
  g_assert_no_error(error);
  g_assert_cmpuint(bimi_vmc_trust_n_roots(trust), ==, 5);
  BIMI_TEST_ADD_NAMED_CASES("/vmc-suite/real/", cases, run_case);
  g_test_add_func("/vmc-suite/real/cnn-expired-now", test_cnn_expired);
  g_test_add_func("/vmc-suite/real/paypal-before-issuance", test_paypal_before_issuance);
  g_test_add_func("/vmc-suite/real/valimail-san-subdomain", test_valimail_san);
  g_test_add_func("/vmc-suite/trust/valid-at", test_trust_valid_at);
  rc = g_test_run();
  bimi_vmc_trust_unref(trust);
  return rc;
}
