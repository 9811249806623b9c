/* tests/test-evaluate.c — evaluate/ end to end, offline: every decision
 * of DESIGN.md §3 on the dkimpy-signed messages of fixtures/evaluate/, DNS
 * from fixtures/evaluate/evaluate.zone.in (port filled in), logos and
 * Evidence Documents (the test PKI of fixtures/pki, evaluated at
 * 2026-06-01T00:00:00Z) from a real nginx TLS origin on a free loopback port,
 * reached as origin.test through the fetcher's resolve pin and the test CA.
 *
 * Each test builds its evaluator from INI text (the real config parser) with
 * its own cache directory. The A-R value of every decision is parsed back
 * with engine/authres; the cache test counts the origin's access-log lines.
 * nginx is a child with PR_SET_PDEATHSIG and is stopped by PID at the end.
 */
#include "evaluate/evaluate.h"
#include "evaluate/evaluate-private.h"
#include "engine/authres.h"
#include "engine/limits.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <gio/gio.h>

#define NGINX "/usr/sbin/nginx"
#define NOW ((gint64) 1780272000) /* 2026-06-01T00:00:00Z */

static char *tmp, *repo, *zone_path, *worker;
static guint port, port_crl;
static GPid nginx_pid;
static guint n_cache_dirs;

static void
die_with_parent(gpointer data)
{
  prctl(PR_SET_PDEATHSIG, SIGTERM);
}

static guint
free_port(void)
{
  g_autoptr(GSocket) s = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new(lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_assert_true(g_socket_bind(s, any, TRUE, NULL));
  bound = g_socket_get_local_address(s, NULL);
  return g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
}

static void
wait_port(guint p)
{
  for (int i = 0; i < 200; i++) {
    g_autoptr(GSocketClient) c = g_socket_client_new();
    g_autoptr(GSocketConnection) conn = g_socket_client_connect_to_host(c, "127.0.0.1", (guint16) p, NULL, NULL);
    if (conn != NULL)
      return;
    g_usleep(25000);
  }
  g_error("nothing listens on 127.0.0.1:%u (see %s)", p, tmp);
}

static char *
fill(const char *path)
{
  g_autofree char *text = NULL;
  g_autoptr(GString) s = NULL;
  g_autofree char *p = g_strdup_printf("%u", port);
  g_autofree char *pc = g_strdup_printf("%u", port_crl);

  g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
  s = g_string_new(text);
  g_string_replace(s, "@USER@", getuid() == 0 ? "user root;" : "", 0);
  g_string_replace(s, "@PORT_CRL@", pc, 0);
  g_string_replace(s, "@PORT@", p, 0);
  g_string_replace(s, "@TMP@", tmp, 0);
  g_string_replace(s, "@REPO@", repo, 0);
  return g_string_free(g_steal_pointer(&s), FALSE);
}

static void
setup(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *conf = NULL, *conf_path = NULL, *zone = NULL, *errlog = NULL;
  const char *build = g_getenv("BIMI_BUILD");

  repo = g_get_current_dir();
  tmp = g_dir_make_tmp("bimi-evaluate-XXXXXX", &error);
  g_assert_no_error(error);
  port = free_port();
  do
    port_crl = free_port();
  while (port_crl == port);
  conf = fill("fixtures/evaluate/nginx.conf.in");
  conf_path = g_build_filename(tmp, "nginx.conf", NULL);
  g_assert_true(g_file_set_contents(conf_path, conf, -1, NULL));
  zone = fill("fixtures/evaluate/evaluate.zone.in");
  zone_path = g_build_filename(tmp, "evaluate.zone", NULL);
  g_assert_true(g_file_set_contents(zone_path, zone, -1, NULL));
  worker = g_build_filename(repo, build ? build : "build", "bimi", NULL);
  errlog = g_build_filename(tmp, "error.log", NULL);
  {
    const char *args[] = { NGINX, "-p", tmp, "-e", errlog, "-c", conf_path, "-g", "daemon off;", NULL };
    g_auto(GStrv) argv = g_strdupv((char **) (void *) args);
    g_spawn_async(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL, die_with_parent, NULL,
                  &nginx_pid, &error);
    g_assert_no_error(error);
  }
  wait_port(port);
  wait_port(port_crl);
}

static void
remove_tree(const char *path)
{
  g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
    g_autofree char *child = g_build_filename(path, name, NULL);
    if (g_file_test(child, G_FILE_TEST_IS_DIR) && !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
      remove_tree(child);
    else
      (void) unlink(child);
  }
  (void) rmdir(path);
}

static void
teardown(void)
{
  if (nginx_pid > 0) {
    kill(nginx_pid, SIGTERM);
    waitpid(nginx_pid, NULL, 0);
    nginx_pid = 0;
  }
  remove_tree(tmp);
}

/* An evaluator from the base configuration plus @extra: INI lines added to
 * [policy], or to any group they name again (GKeyFile merges a repeated group).
 * Each evaluator gets its own cache directory. */
static BimiEvaluator *
evaluator_with(const char *extra)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiConfig) config = NULL;
  g_autofree char *cache = g_strdup_printf("%s/cache-%u", tmp, ++n_cache_dirs);
  g_autofree char *text = g_strdup_printf("[dns]\nzone_files = %s\ntimeout_ms = 300\n"
                                          "[fetch]\nca_file = fixtures/tls/ca.pem\nallow_private_addresses = true\n"
                                          "resolve = origin.test:%u:127.0.0.1, crl.pki.test:%u:127.0.0.1, origin.test:1:127.0.0.1\n"
                                          "connect_to = crl.pki.test:80::%u\n"
                                          "[trust]\nbimi_roots = fixtures/pki/root.pem\n"
                                          "ct_logs = fixtures/pki/ct-logs.cnf\n"
                                          "[cache]\ndir = %s\n[render]\nworker_path = %s\nsizes = 32, 64\n"
                                          "[auth]\nauthserv_id = mx.webmail.test\n"
                                          "[testing]\nnow = 2026-06-01T00:00:00Z\n[policy]\n%s\n",
                                          zone_path, port, port_crl, port_crl, cache, worker, extra ? extra : "");
  BimiEvaluator *ev;

  config = bimi_config_new_from_data(text, strlen(text), "test", &error);
  g_assert_no_error(error);
  ev = bimi_evaluator_new(config, &error);
  g_assert_no_error(error);
  return ev;
}

static BimiDecision *
eval(BimiEvaluator *ev, const char *name, const BimiEnvelope *env)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename("fixtures", "evaluate", name, NULL);
  g_autofree char *data = NULL;
  g_autoptr(GBytes) raw = NULL;
  gsize len;
  BimiDecision *d;

  g_assert_true(g_file_get_contents(path, &data, &len, NULL));
  raw = g_bytes_new_take(g_steal_pointer(&data), len);
  d = bimi_evaluator_evaluate(ev, raw, env, NOW, &error);
  g_assert_no_error(error);
  g_assert_nonnull(d);
  g_assert_nonnull(d->json);
  return d;
}

static JsonObject *
member(const BimiDecision *d, const char *first, ...)
{
  JsonObject *o = json_node_get_object(d->json);
  va_list ap;

  va_start(ap, first);
  for (const char *m = first; m != NULL; m = va_arg(ap, const char *)) {
    JsonNode *n = json_object_get_member(o, m);
    if (n == NULL || !JSON_NODE_HOLDS_OBJECT(n)) {
      va_end(ap);
      return NULL;
    }
    o = json_node_get_object(n);
  }
  va_end(ap);
  return o;
}

/* The decision, its JSON twin, and the A-R: parsed back, with the bimi= result. */
static void
check(const BimiDecision *d, BimiDecisionKind kind, const char *reason, const char *bimi_result)
{
  JsonObject *o = json_node_get_object(d->json);
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiAuthres) ar = NULL;
  const BimiAuthresResult *r;

  g_assert_cmpstr(d->reason, ==, reason);
  g_assert_cmpint(d->kind, ==, kind);
  g_assert_cmpstr(json_object_get_string_member(o, "decision"), ==, bimi_decision_kind_to_string(kind));
  g_assert_cmpstr(json_object_get_string_member(o, "reason"), ==, reason);
  g_assert_cmpint(json_object_get_int_member(o, "ttl"), ==, d->ttl);
  g_assert_true(json_object_has_member(o, "indicator") && json_object_has_member(o, "mark"));
  if (kind == BIMI_DECISION_NONE) {
    g_assert_null(d->logo_sha256);
    g_assert_true(json_object_get_null_member(o, "indicator"));
  } else {
    g_assert_true(bimi_logo_store_hash_is_valid(d->logo_sha256));
    g_assert_cmpstr(json_object_get_string_member(member(d, "indicator", NULL), "sha256"), ==, d->logo_sha256);
  }
  if (bimi_result == NULL) {
    g_assert_null(d->authentication_results);
    return;
  }
  g_assert_cmpstr(json_object_get_string_member(o, "authentication_results"), ==, d->authentication_results);
  ar = bimi_authres_parse(d->authentication_results, strlen(d->authentication_results), &error);
  g_assert_no_error(error);
  g_assert_cmpstr(ar->authserv_id, ==, "mx.webmail.test");
  r = bimi_authres_find_result(ar, "bimi");
  g_assert_nonnull(r);
  g_assert_cmpstr(r->result, ==, bimi_result);
  g_assert_cmpstr(json_object_get_string_member(member(d, "auth", "bimi", NULL), "result"), ==, bimi_result);
}

static const char *
authres_property(const BimiDecision *d, const char *method, const char *ptype, const char *name)
{
  static char value[256];
  g_autoptr(BimiAuthres) ar = bimi_authres_parse(d->authentication_results, strlen(d->authentication_results), NULL);
  const BimiAuthresResult *r = ar ? bimi_authres_find_result(ar, method) : NULL;
  const char *v = r ? (name ? bimi_authres_result_get_property(r, ptype, name) : r->result) : NULL;

  if (v == NULL)
    return NULL;
  g_strlcpy(value, v, sizeof value);
  return value;
}

static char *
pki_logo_sha256(void)
{
  g_autofree char *svg = NULL;
  gsize len;

  g_assert_true(g_file_get_contents("fixtures/pki/logo.svg", &svg, &len, NULL));
  return g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *) svg, len);
}

static guint
count_access_log_lines(void)
{
  g_autofree char *path = g_build_filename(tmp, "access.log", NULL);
  g_autofree char *text = NULL;
  guint n = 0;

  if (!g_file_get_contents(path, &text, NULL, NULL))
    return 0;
  for (const char *p = text; *p; p++)
    n += *p == '\n';
  return n;
}

/* nginx writes the access log line after the response has gone out, so the
 * client may look before it is there: count once the file has stopped growing
 * for 300 ms (at most 5 s). */
static guint
access_log_lines(void)
{
  guint n = count_access_log_lines();
  guint stable_ms = 0;

  for (guint waited = 0; stable_ms < 300 && waited < 5000; waited += 50) {
    g_usleep(50 * 1000);
    guint m = count_access_log_lines();
    stable_ms = m == n ? stable_ms + 50 : 0;
    n = m;
  }
  return n;
}

/* ---- the decisions ------------------------------------------------------ */

static void
test_vmc(void)
{
  g_autoptr(BimiEvaluator) ev = evaluator_with(NULL);
  g_autoptr(BimiDecision) d = eval(ev, "vmc.eml", NULL);
  g_autofree char *sha = pki_logo_sha256();
  JsonObject *ind, *mark, *png;

  check(d, BIMI_DECISION_LOGO_CHECKMARK, "vmc", "pass");
  g_assert_false(d->temperror);
  g_assert_cmpstr(d->logo_sha256, ==, sha);
  g_assert_cmpuint(d->ttl, >, 0);
  g_assert_cmpuint(d->ttl, <=, 3600);
  ind = member(d, "indicator", NULL);
  g_assert_cmpstr(json_object_get_string_member(ind, "alt"), ==, "Test Brand");
  {
    g_autofree char *svg = g_strdup_printf("/bimi/v1/logo/%s.svg", sha);
    g_autofree char *p64 = g_strdup_printf("/bimi/v1/logo/%s/64.png", sha);
    g_assert_cmpstr(json_object_get_string_member(ind, "svg"), ==, svg);
    png = member(d, "indicator", "png", NULL);
    g_assert_cmpuint(json_object_get_size(png), ==, 2);
    g_assert_cmpstr(json_object_get_string_member(png, "64"), ==, p64);
  }
  mark = member(d, "mark", NULL);
  g_assert_cmpstr(json_object_get_string_member(mark, "certificate_type"), ==, "vmc");
  g_assert_cmpstr(json_object_get_string_member(mark, "mark_type"), ==, "Registered Mark");
  g_assert_cmpstr(json_object_get_string_member(mark, "organization"), ==, "Test Brand, Inc.");
  g_assert_cmpstr(json_object_get_string_member(mark, "not_after"), ==, "2026-12-31T23:59:59Z");
  g_assert_cmpstr(authres_property(d, "bimi", "header", "d"), ==, "brand.test");
  g_assert_cmpstr(authres_property(d, "bimi", "header", "selector"), ==, "default");
  g_assert_cmpstr(authres_property(d, "bimi", "policy", "authority"), ==, "pass");
  g_assert_cmpstr(authres_property(d, "dmarc", NULL, NULL), ==, "pass");
  g_assert_cmpstr(authres_property(d, "dkim", NULL, NULL), ==, "pass");
  g_assert_cmpstr(authres_property(d, "spf", NULL, NULL), ==, "none");
  g_assert_null(authres_property(d, "iprev", NULL, NULL));
  g_assert_true(json_object_get_null_member(member(d, "auth", NULL), "rdns"));
}

static void
test_vmc_government(void)
{
  g_autoptr(BimiEvaluator) ev = evaluator_with(NULL);
  g_autoptr(BimiDecision) d = eval(ev, "gov.eml", NULL);

  check(d, BIMI_DECISION_LOGO_CHECKMARK, "vmc", "pass");
  g_assert_cmpstr(json_object_get_string_member(member(d, "mark", NULL), "mark_type"), ==, "Government Mark");
  g_assert_cmpstr(authres_property(d, "bimi", "header", "selector"), ==, "gov");
}

static void
test_cmc(void)
{
  g_autoptr(BimiEvaluator) ev = evaluator_with(NULL);
  g_autoptr(BimiDecision) d = eval(ev, "cmc.eml", NULL);
  g_autoptr(BimiEvaluator) ev2 = evaluator_with("cmc = none");
  g_autoptr(BimiDecision) d2 = eval(ev2, "cmc.eml", NULL);

  check(d, BIMI_DECISION_LOGO, "cmc", "pass");
  g_assert_cmpstr(json_object_get_string_member(member(d, "mark", NULL), "certificate_type"), ==, "cmc");
  g_assert_cmpstr(json_object_get_string_member(member(d, "mark", NULL), "mark_type"), ==, "Prior Use Mark");
  g_assert_true(json_object_get_boolean_member(member(d, "mark", NULL), "pilot"));
  /* [policy] cmc = none: BIMI still passed, nothing is shown */
  check(d2, BIMI_DECISION_NONE, "cmc-not-shown", "pass");
  g_assert_cmpstr(authres_property(d2, "bimi", "policy", "authority"), ==, "pass");
}

static void
test_no_evidence(void)
{
  g_autoptr(BimiEvaluator) ev = evaluator_with(NULL);
  g_autoptr(BimiDecision) d = eval(ev, "noevidence.eml", NULL);
  g_autoptr(BimiEvaluator) ev2 = evaluator_with("logo_without_evidence = logo");
  g_autoptr(BimiDecision) d2 = eval(ev2, "noevidence.eml", NULL);
  g_autofree char *sha = pki_logo_sha256();

  check(d, BIMI_DECISION_NONE, "evidence-missing", "pass");
  g_assert_cmpstr(authres_property(d, "bimi", "policy", "authority"), ==, "none");
  check(d2, BIMI_DECISION_LOGO, "logo-without-evidence", "pass");
  g_assert_cmpstr(d2->logo_sha256, ==, sha);
  g_assert_true(json_object_get_null_member(json_node_get_object(d2->json), "mark"));
  g_assert_cmpstr(json_object_get_string_member(member(d2, "indicator", NULL), "alt"), ==, "Test Brand");
}

static void
test_dmarc(void)
{
  g_autoptr(BimiEvaluator) ev = evaluator_with(NULL);
  g_autoptr(BimiDecision) lax = eval(ev, "lax.eml", NULL);
  g_autoptr(BimiDecision) fail = eval(ev, "dmarc-fail.eml", NULL);

  check(lax, BIMI_DECISION_NONE, "dmarc-not-enforcing", "skipped");
  g_assert_cmpstr(authres_property(lax, "dmarc", NULL, NULL), ==, "pass");
  check(fail, BIMI_DECISION_NONE, "dmarc-fail", "skipped");
  g_assert_cmpstr(authres_property(fail, "dmarc", NULL, NULL), ==, "fail");
  g_assert_cmpstr(authres_property(fail, "dkim", NULL, NULL), ==, "fail");
}

static void
test_discovery(void)
{
  g_autoptr(BimiEvaluator) ev = evaluator_with(NULL);
  g_autoptr(BimiDecision) none = eval(ev, "norecord.eml", NULL);
  g_autoptr(BimiDecision) declined = eval(ev, "declined.eml", NULL);
  g_autoptr(BimiDecision) forged = eval(ev, "forged-location.eml", NULL);

  check(none, BIMI_DECISION_NONE, "no-record", "none");
  check(declined, BIMI_DECISION_NONE, "declined", "declined");
  g_assert_cmpstr(authres_property(declined, "bimi", "header", "d"), ==, "declined.test");
  /* sender-supplied BIMI-Location / BIMI-Indicator change nothing (spec §9.2) */
  check(forged, BIMI_DECISION_NONE, "no-record", "none");
  g_assert_cmpuint(forged->ttl, <=, 300);
}

static void
test_indicator_failures(void)
{
  g_autoptr(BimiEvaluator) ev = evaluator_with(NULL);
  static const struct {
    const char *file, *reason, *detail;
  } cases[] = {
    { "badsvg.eml", "svg-invalid", "version" },
    { "mismatch.eml", "logo-mismatch", "logo-mismatch" },
    { "expired.eml", "evidence-invalid", "expired" },
    { "missing-evidence.eml", "evidence-fetch-failed", "404" },
    { "missing-logo.eml", "logo-fetch-failed", "404" },
    { "revoked.eml", "evidence-invalid", "revoked" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(BimiDecision) d = eval(ev, cases[i].file, NULL);
    JsonObject *iv = member(d, "auth", "bimi", "indicator_validation", NULL);
    g_test_message("%s", cases[i].file);
    check(d, BIMI_DECISION_NONE, cases[i].reason, "fail");
    g_assert_false(d->temperror);
    g_assert_cmpstr(json_object_get_string_member(iv, "verdict"), ==, "fail");
    g_assert_nonnull(strstr(json_object_get_string_member(iv, "detail"), cases[i].detail));
    g_assert_nonnull(strstr(d->authentication_results, cases[i].detail));
    g_assert_cmpuint(d->ttl, <=, 300); /* [cache] negative_ttl */
  }
}

/* [trust] revocation = require: the CRLs of the chain are fetched (through
 * connect_to, from the CRL server) and verified; a good VMC still passes. */
static void
test_revocation_required(void)
{
  g_autoptr(BimiEvaluator) ev = evaluator_with("[trust]\nrevocation = require");
  g_autoptr(BimiDecision) good = eval(ev, "vmc.eml", NULL);
  g_autoptr(BimiDecision) revoked = eval(ev, "revoked.eml", NULL);
  g_autofree char *log = g_build_filename(tmp, "crl-access.log", NULL);
  g_autofree char *text = NULL;

  check(good, BIMI_DECISION_LOGO_CHECKMARK, "vmc", "pass");
  check(revoked, BIMI_DECISION_NONE, "evidence-invalid", "fail");
  g_assert_true(g_file_get_contents(log, &text, NULL, NULL));
  g_assert_nonnull(strstr(text, "GET /intermediate.crl"));
}

static void
test_fcrdns(void)
{
  g_autoptr(BimiEvaluator) ev = evaluator_with(NULL);
  g_autoptr(BimiEvaluator) lenient = evaluator_with("fcrdns = ignore");
  BimiEnvelope good = { "192.0.2.10", "mail.brand.test", "news@brand.test" };
  BimiEnvelope spoofed = { "192.0.2.66", "mail.brand.test", "news@brand.test" };
  BimiEnvelope no_ptr = { "192.0.2.99", NULL, "news@brand.test" };
  g_autoptr(BimiDecision) d1 = eval(ev, "vmc.eml", &good);
  g_autoptr(BimiDecision) d2 = eval(ev, "vmc.eml", &spoofed);
  g_autoptr(BimiDecision) d3 = eval(ev, "vmc.eml", &no_ptr);
  g_autoptr(BimiDecision) d4 = eval(lenient, "vmc.eml", &no_ptr);

  check(d1, BIMI_DECISION_LOGO_CHECKMARK, "vmc", "pass");
  g_assert_cmpstr(authres_property(d1, "iprev", NULL, NULL), ==, "pass");
  g_assert_cmpstr(authres_property(d1, "iprev", "policy", "iprev"), ==, "192.0.2.10");
  g_assert_cmpstr(authres_property(d1, "spf", NULL, NULL), ==, "pass");
  g_assert_cmpstr(authres_property(d1, "spf", "smtp", "mailfrom"), ==, "news@brand.test");
  g_assert_cmpstr(json_object_get_string_member(member(d1, "auth", "rdns", NULL), "confirmed_name"), ==,
                  "mail.brand.test");
  g_assert_cmpstr(json_object_get_string_member(member(d1, "auth", "spf_helo", NULL), "identity"), ==, "helo");
  /* a PTR that does not resolve back, and no PTR at all */
  check(d2, BIMI_DECISION_NONE, "no-fcrdns", "pass");
  g_assert_cmpstr(authres_property(d2, "iprev", NULL, NULL), ==, "fail");
  g_assert_cmpstr(authres_property(d2, "spf", NULL, NULL), ==, "fail");
  check(d3, BIMI_DECISION_NONE, "no-fcrdns", "pass");
  g_assert_cmpstr(authres_property(d3, "iprev", NULL, NULL), ==, "permerror");
  /* [policy] fcrdns = ignore */
  check(d4, BIMI_DECISION_LOGO_CHECKMARK, "vmc", "pass");
}

static void
test_temperror(void)
{
  g_autoptr(BimiEvaluator) ev = evaluator_with("[dns]\nfault_names = default._bimi.norecord.test");
  g_autoptr(BimiDecision) d = eval(ev, "norecord.eml", NULL);

  check(d, BIMI_DECISION_NONE, "temperror", "temperror");
  g_assert_true(d->temperror);
  g_assert_cmpuint(d->ttl, <=, 30);
  g_assert_cmpuint(d->ttl, >, 0);
}

static void
test_arc(void)
{
  g_autoptr(BimiEvaluator) accept = evaluator_with("trusted_arc_sealers = lists.trusted.test\n"
                                                    "bimi_accept_arc_override = true");
  g_autoptr(BimiEvaluator) refuse = evaluator_with("trusted_arc_sealers = lists.trusted.test");
  g_autoptr(BimiEvaluator) untrusted = evaluator_with("trusted_arc_sealers = lists.other.test\n"
                                                       "bimi_accept_arc_override = true");
  g_autoptr(BimiDecision) d1 = eval(accept, "arc-forwarded.eml", NULL);
  g_autoptr(BimiDecision) d2 = eval(refuse, "arc-forwarded.eml", NULL);
  g_autoptr(BimiDecision) d3 = eval(untrusted, "arc-forwarded.eml", NULL);

  check(d1, BIMI_DECISION_LOGO_CHECKMARK, "vmc", "pass");
  g_assert_cmpstr(authres_property(d1, "dmarc", NULL, NULL), ==, "fail");
  g_assert_cmpstr(authres_property(d1, "dmarc", "policy", "override"), ==, "arc");
  g_assert_cmpstr(authres_property(d1, "arc", NULL, NULL), ==, "pass");
  /* the override relaxes the disposition, but BIMI does not accept it */
  check(d2, BIMI_DECISION_NONE, "dmarc-fail", "skipped");
  g_assert_cmpstr(authres_property(d2, "dmarc", "policy", "override"), ==, "arc");
  check(d3, BIMI_DECISION_NONE, "dmarc-fail", "skipped");
  g_assert_null(authres_property(d3, "dmarc", "policy", "override"));
}

static void
test_cache(void)
{
  g_autoptr(BimiEvaluator) ev = evaluator_with(NULL);
  guint before = access_log_lines(), after_first, after_second;
  g_autoptr(BimiDecision) d1 = eval(ev, "vmc.eml", NULL);
  g_autoptr(BimiDecision) d2 = NULL, f1 = NULL, f2 = NULL;
  BimiRecordCacheStats stats;

  after_first = access_log_lines();
  g_assert_cmpuint(after_first - before, ==, 2); /* the PEM and the logo */
  g_assert_cmpint(g_atomic_int_get(&ev->n_validations), ==, 1);
  d2 = eval(ev, "vmc.eml", NULL);
  after_second = access_log_lines();
  g_assert_cmpuint(after_second, ==, after_first);
  check(d2, BIMI_DECISION_LOGO_CHECKMARK, "vmc", "pass");
  g_assert_cmpint(g_atomic_int_get(&ev->n_validations), ==, 1);
  g_assert_cmpstr(d2->logo_sha256, ==, d1->logo_sha256);
  /* the same question, the same bytes (the service's ETag) */
  {
    g_autofree char *a = json_to_string(d1->json, FALSE), *b = json_to_string(d2->json, FALSE);
    g_assert_cmpstr(a, ==, b);
  }
  g_assert_cmpstr(json_object_get_string_member(member(d2, "mark", NULL), "organization"), ==, "Test Brand, Inc.");
  /* failures are cached too (negative entries) */
  f1 = eval(ev, "badsvg.eml", NULL);
  g_assert_cmpuint(access_log_lines(), ==, after_second + 1);
  f2 = eval(ev, "badsvg.eml", NULL);
  g_assert_cmpuint(access_log_lines(), ==, after_second + 1);
  check(f2, BIMI_DECISION_NONE, "svg-invalid", "fail");
  bimi_record_cache_get_stats(ev->records, &stats);
  g_assert_cmpuint(stats.fetches, ==, 2);
  g_assert_cmpuint(stats.hits, ==, 1);
  g_assert_cmpuint(stats.negative_hits, ==, 1);
}

/* A fetch that may pass later (connection refused) is a temperror, cached
 * for BIMI_EVALUATE_TEMPERROR_TTL_S only. */
static void
test_fetch_temperror(void)
{
  g_autoptr(BimiEvaluator) ev = evaluator_with(NULL);
  g_autoptr(BimiDecision) d1 = eval(ev, "origin-down.eml", NULL);
  g_autoptr(BimiDecision) d2 = eval(ev, "origin-down.eml", NULL);
  JsonObject *iv;

  check(d1, BIMI_DECISION_NONE, "temperror", "temperror");
  g_assert_true(d1->temperror);
  g_assert_cmpuint(d1->ttl, <=, BIMI_EVALUATE_TEMPERROR_TTL_S);
  iv = member(d1, "auth", "bimi", "indicator_validation", NULL);
  g_assert_nonnull(strstr(json_object_get_string_member(iv, "detail"), "connect"));
  check(d2, BIMI_DECISION_NONE, "temperror", "temperror");
  g_assert_cmpint(g_atomic_int_get(&ev->n_fetches), ==, 1);
  g_assert_cmpint(g_atomic_int_get(&ev->n_validations), ==, 1);
}

/* Concurrent first evaluations of one brand share one validation. */
static gpointer
eval_thread(gpointer data)
{
  BimiDecision *d = eval(data, "vmc.eml", NULL);
  BimiDecisionKind k = d->kind;
  bimi_decision_free(d);
  return GINT_TO_POINTER(k);
}

static void
test_single_flight(void)
{
  g_autoptr(BimiEvaluator) ev = evaluator_with(NULL);
  guint before = access_log_lines();
  GThread *threads[8];

  for (guint i = 0; i < G_N_ELEMENTS(threads); i++)
    threads[i] = g_thread_new("eval", eval_thread, ev);
  for (guint i = 0; i < G_N_ELEMENTS(threads); i++)
    g_assert_cmpint(GPOINTER_TO_INT(g_thread_join(threads[i])), ==, BIMI_DECISION_LOGO_CHECKMARK);
  g_assert_cmpuint(access_log_lines() - before, ==, 2);
  g_assert_cmpint(g_atomic_int_get(&ev->n_validations), ==, 1);
}

static void
test_bad_input(void)
{
  g_autoptr(BimiEvaluator) ev = evaluator_with(NULL);
  g_autoptr(GBytes) junk = g_bytes_new_static("no colon on this line\r\n\r\nbody\r\n", 31);
  g_autofree char *vmc = NULL;
  g_autoptr(GBytes) good = NULL;
  gsize len;
  static const BimiEnvelope bad[] = {
    { "192.0.2.300", NULL, NULL },
    { "192.0.2.10", "two words", NULL },
    { "192.0.2.10", "mail.brand.test", "news@brand.test\r\nX: y" },
  };
  static const char *const field[] = { "ip", "helo", "mail_from" };
  GError *error = NULL;

  g_assert_null(bimi_evaluator_evaluate(ev, junk, NULL, NOW, &error));
  g_assert_error(error, BIMI_EVALUATE_ERROR, BIMI_EVALUATE_ERROR_MESSAGE);
  g_clear_error(&error);
  g_assert_true(g_file_get_contents("fixtures/evaluate/vmc.eml", &vmc, &len, NULL));
  good = g_bytes_new(vmc, len);
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_assert_null(bimi_evaluator_evaluate(ev, good, &bad[i], NOW, &error));
    g_assert_error(error, BIMI_EVALUATE_ERROR, BIMI_EVALUATE_ERROR_ENVELOPE);
    g_assert_true(g_str_has_prefix(error->message, field[i]));
    g_clear_error(&error);
  }
}

static void
test_domain_status(void)
{
  g_autoptr(BimiEvaluator) ev = evaluator_with(NULL);
  g_autoptr(BimiDecision) brand = bimi_evaluator_domain_status(ev, "Brand.Test.", NULL, NOW, NULL);
  g_autoptr(BimiDecision) cmc = bimi_evaluator_domain_status(ev, "brand.test", "cmc", NOW, NULL);
  g_autoptr(BimiDecision) lax = bimi_evaluator_domain_status(ev, "lax.test", NULL, NOW, NULL);
  g_autoptr(BimiDecision) none = bimi_evaluator_domain_status(ev, "norecord.test", NULL, NOW, NULL);
  g_autoptr(BimiDecision) nodmarc = bimi_evaluator_domain_status(ev, "nothing.test", NULL, NOW, NULL);
  GError *error = NULL;

  check(brand, BIMI_DECISION_LOGO_CHECKMARK, "vmc", NULL);
  g_assert_cmpstr(json_object_get_string_member(member(brand, "auth", "dmarc", NULL), "source"), ==, "assumed-pass");
  check(cmc, BIMI_DECISION_LOGO, "cmc", NULL);
  check(lax, BIMI_DECISION_NONE, "dmarc-not-enforcing", NULL);
  check(none, BIMI_DECISION_NONE, "no-record", NULL);
  check(nodmarc, BIMI_DECISION_NONE, "dmarc-not-enforcing", NULL);
  g_assert_null(bimi_evaluator_domain_status(ev, "not a domain", NULL, NOW, &error));
  g_assert_error(error, BIMI_EVALUATE_ERROR, BIMI_EVALUATE_ERROR_ARGUMENT);
  g_clear_error(&error);
  g_assert_null(bimi_evaluator_domain_status(ev, "192.0.2.1", NULL, NOW, &error));
  g_assert_error(error, BIMI_EVALUATE_ERROR, BIMI_EVALUATE_ERROR_ARGUMENT);
  g_clear_error(&error);
  g_assert_null(bimi_evaluator_domain_status(ev, "brand.test", "bad selector!", NOW, &error));
  g_assert_error(error, BIMI_EVALUATE_ERROR, BIMI_EVALUATE_ERROR_ARGUMENT);
  g_clear_error(&error);
}

static void
test_logos(void)
{
  g_autoptr(BimiEvaluator) ev = evaluator_with(NULL);
  g_autoptr(BimiDecision) d = eval(ev, "vmc.eml", NULL);
  g_autoptr(GBytes) svg = NULL, png = NULL, png2 = NULL;
  g_autofree char *want = NULL;
  g_autoptr(GString) metrics = g_string_new(NULL);
  GError *error = NULL;
  gsize len;

  svg = bimi_evaluator_logo_svg(ev, d->logo_sha256, &error);
  g_assert_no_error(error);
  g_assert_true(g_file_get_contents("fixtures/pki/logo.svg", &want, &len, NULL));
  g_assert_cmpmem(g_bytes_get_data(svg, NULL), g_bytes_get_size(svg), want, len);
  png = bimi_evaluator_logo_png(ev, d->logo_sha256, 64, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(g_bytes_get_size(png), >, 8);
  g_assert_cmpmem(g_bytes_get_data(png, NULL), 8, "\x89PNG\r\n\x1a\n", 8);
  png2 = bimi_evaluator_logo_png(ev, d->logo_sha256, 64, &error); /* from the store now */
  g_assert_no_error(error);
  g_assert_true(g_bytes_equal(png, png2));
  g_assert_null(bimi_evaluator_logo_png(ev, d->logo_sha256, 65, &error));
  g_assert_error(error, BIMI_EVALUATE_ERROR, BIMI_EVALUATE_ERROR_ARGUMENT);
  g_clear_error(&error);
  g_assert_null(bimi_evaluator_logo_svg(ev, "ABCDEF", &error));
  g_assert_error(error, BIMI_EVALUATE_ERROR, BIMI_EVALUATE_ERROR_ARGUMENT);
  g_clear_error(&error);
  g_assert_null(bimi_evaluator_logo_svg(ev, "0000000000000000000000000000000000000000000000000000000000000000", &error));
  g_assert_error(error, BIMI_EVALUATE_ERROR, BIMI_EVALUATE_ERROR_NOT_FOUND);
  g_clear_error(&error);
  g_assert_null(bimi_evaluator_logo_png(ev, "0000000000000000000000000000000000000000000000000000000000000000", 32,
                                        &error));
  g_assert_error(error, BIMI_EVALUATE_ERROR, BIMI_EVALUATE_ERROR_NOT_FOUND);
  g_clear_error(&error);
  bimi_evaluator_append_metrics(ev, metrics);
  g_assert_nonnull(strstr(metrics->str, "bimi_decisions_total{decision=\"logo+checkmark\"} 1\n"));
  g_assert_nonnull(strstr(metrics->str, "bimi_fetches_total 2\n"));
  g_assert_nonnull(strstr(metrics->str, "bimi_render_requests_total 1\n"));
}

static char *
file_sha256(const char *path)
{
  g_autofree char *data = NULL;
  gsize len = 0;

  g_assert_true(g_file_get_contents(path, &data, &len, NULL));
  return g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *) data, len);
}

static gboolean
metric_is(BimiEvaluator *ev, const char *name, guint64 value)
{
  g_autoptr(GString) m = g_string_new(NULL);
  g_autofree char *line = g_strdup_printf("\n%s %" G_GUINT64_FORMAT "\n", name, value);

  bimi_evaluator_append_metrics(ev, m);
  if (strstr(m->str, line) == NULL) {
    g_test_message("metrics: want%s", line);
    return FALSE;
  }
  return TRUE;
}

typedef struct {
  BimiEvaluator *ev;
  const char *selector;
  BimiDecision *d;
} StatusJob;

static gpointer
status_job(gpointer data)
{
  StatusJob *j = data;
  j->d = bimi_evaluator_domain_status(j->ev, "brand.test", j->selector, NOW, NULL);
  return NULL;
}

/* Issue 13: valid SVG Tiny PS that librsvg cannot render within the worker's
 * limits (<use> amplification, NaN and 1e308 viewBoxes, a CPU-heavy path) is
 * never promised: decision none, reason svg-unrenderable, nothing in the logo
 * store, the verdict cached, the PNG URL a 404 without a render; probes of one
 * hash are single-flight, failures included. */
static void
test_unrenderable(void)
{
  g_autoptr(BimiEvaluator) ev =
    evaluator_with("logo_without_evidence = logo\n[render]\nsizes = 32, 64, 512\ndeadline_ms = 1000");
  static const struct {
    const char *selector, *file;
  } cases[] = {
    { "nanbox", "fixtures/render/nan-viewbox.svg" },
    { "hugebox", "fixtures/render/huge-viewbox.svg" },
    { "heavy", "fixtures/render/heavy-path.svg" },
  };
  StatusJob jobs[2] = { { ev, "usebomb", NULL }, { ev, "usebomb2", NULL } };
  GThread *threads[2];
  g_autofree char *bomb = file_sha256("fixtures/render/use-bomb.svg");
  g_autofree char *good = pki_logo_sha256();
  g_autoptr(BimiDecision) fine = NULL;
  g_autoptr(GBytes) png = NULL;
  GError *error = NULL;

  /* two records, one <use> bomb, at once: one probe */
  for (int i = 0; i < 2; i++)
    threads[i] = g_thread_new("status", status_job, &jobs[i]);
  for (int i = 0; i < 2; i++) {
    g_thread_join(threads[i]);
    g_assert_nonnull(jobs[i].d);
    check(jobs[i].d, BIMI_DECISION_NONE, "svg-unrenderable", NULL);
    g_test_message("%s: %s", jobs[i].selector,
                   json_object_get_string_member(member(jobs[i].d, "auth", "bimi", NULL), "reason"));
    bimi_decision_free(jobs[i].d);
  }
  g_assert_true(metric_is(ev, "bimi_render_probes_total", 1));
  g_assert_true(metric_is(ev, "bimi_logos_unrenderable_total", 1));
  g_assert_null(bimi_evaluator_logo_svg(ev, bomb, &error));
  g_assert_error(error, BIMI_EVALUATE_ERROR, BIMI_EVALUATE_ERROR_NOT_FOUND);
  g_clear_error(&error);

  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(BimiDecision) d = bimi_evaluator_domain_status(ev, "brand.test", cases[i].selector, NOW, NULL);
    g_autoptr(BimiDecision) again = bimi_evaluator_domain_status(ev, "brand.test", cases[i].selector, NOW, NULL);
    g_autofree char *hash = file_sha256(cases[i].file);

    check(d, BIMI_DECISION_NONE, "svg-unrenderable", NULL);
    check(again, BIMI_DECISION_NONE, "svg-unrenderable", NULL);
    g_assert_cmpuint(again->ttl, <=, 300); /* the negative TTL */
    /* not in the public store; its PNG URL is a 404 from the cached verdict */
    g_assert_null(bimi_evaluator_logo_svg(ev, hash, &error));
    g_assert_error(error, BIMI_EVALUATE_ERROR, BIMI_EVALUATE_ERROR_NOT_FOUND);
    g_clear_error(&error);
    g_assert_null(bimi_evaluator_logo_png(ev, hash, 64, &error));
    g_assert_error(error, BIMI_EVALUATE_ERROR, BIMI_EVALUATE_ERROR_NOT_FOUND);
    g_assert_nonnull(strstr(error->message, "cannot be rendered"));
    g_clear_error(&error);
  }
  g_assert_true(metric_is(ev, "bimi_render_probes_total", 4));
  g_assert_true(metric_is(ev, "bimi_logos_unrenderable_total", 4));
  g_assert_true(metric_is(ev, "bimi_indicator_validations_total", 5));
  g_assert_true(metric_is(ev, "bimi_render_requests_total", 4)); /* the PNG requests rendered nothing */

  /* a logo that renders: shown, its SVG and the probe's PNG in the store */
  fine = bimi_evaluator_domain_status(ev, "brand.test", "noevidence", NOW, NULL);
  check(fine, BIMI_DECISION_LOGO, "logo-without-evidence", NULL);
  g_assert_cmpstr(fine->logo_sha256, ==, good);
  png = bimi_evaluator_logo_png(ev, good, 512, &error);
  g_assert_no_error(error);
  g_assert_true(metric_is(ev, "bimi_render_requests_total", 5)); /* the probe only */
}

/* An SVG in the store that cannot be rendered (stored before issue 13): the
 * first PNG request fails once, a 404 (not 503), and is cached. */
static void
test_unrenderable_in_store(void)
{
  g_autoptr(BimiEvaluator) ev = evaluator_with(NULL);
  g_autofree char *data = NULL;
  g_autoptr(GBytes) svg = NULL;
  char hash[BIMI_LOGO_HASH_HEX_LEN + 1];
  GError *error = NULL;
  gsize len;

  g_assert_true(g_file_get_contents("fixtures/render/nan-viewbox.svg", &data, &len, NULL));
  svg = g_bytes_new_take(g_steal_pointer(&data), len);
  g_assert_true(bimi_logo_store_put_svg(ev->store, svg, hash, NULL));
  for (int i = 0; i < 3; i++) {
    g_assert_null(bimi_evaluator_logo_png(ev, hash, 32, &error));
    g_assert_error(error, BIMI_EVALUATE_ERROR, BIMI_EVALUATE_ERROR_NOT_FOUND);
    g_clear_error(&error);
  }
  g_assert_true(metric_is(ev, "bimi_render_requests_total", 1));
  g_assert_true(metric_is(ev, "bimi_logos_unrenderable_total", 1));
  g_assert_true(metric_is(ev, "bimi_logos_unrenderable_cached_total", 2));
}

/* The default policy (logo_without_evidence = none) shows nothing for a
 * logo without evidence, so nothing enters the public store: an anonymous
 * domain-status request cannot make the service host an SVG at a URL whose
 * hash anyone can compute. Nothing is rendered either. */
static void
test_not_shown_not_stored(void)
{
  g_autoptr(BimiEvaluator) ev = evaluator_with(NULL);
  g_autoptr(BimiEvaluator) no_cmc = evaluator_with("cmc = none");
  g_autoptr(BimiDecision) d = bimi_evaluator_domain_status(ev, "brand.test", "noevidence", NOW, NULL);
  g_autoptr(BimiDecision) bomb = bimi_evaluator_domain_status(ev, "brand.test", "usebomb", NOW, NULL);
  g_autoptr(BimiDecision) cmc = bimi_evaluator_domain_status(no_cmc, "brand.test", "cmc", NOW, NULL);
  g_autofree char *good = pki_logo_sha256();
  GError *error = NULL;

  check(d, BIMI_DECISION_NONE, "evidence-missing", NULL);
  check(bomb, BIMI_DECISION_NONE, "evidence-missing", NULL);
  check(cmc, BIMI_DECISION_NONE, "cmc-not-shown", NULL);
  g_assert_null(bimi_evaluator_logo_svg(ev, good, &error));
  g_assert_error(error, BIMI_EVALUATE_ERROR, BIMI_EVALUATE_ERROR_NOT_FOUND);
  g_clear_error(&error);
  g_assert_null(bimi_evaluator_logo_svg(no_cmc, good, &error));
  g_assert_error(error, BIMI_EVALUATE_ERROR, BIMI_EVALUATE_ERROR_NOT_FOUND);
  g_clear_error(&error);
  g_assert_true(metric_is(ev, "bimi_render_probes_total", 0));
  g_assert_true(metric_is(ev, "bimi_logo_store_writes_total", 0));
  g_assert_true(metric_is(no_cmc, "bimi_logo_store_writes_total", 0));
}

/* BIMI_EVALUATE_MAX_UNRENDERABLE bounds the table: expired entries go first,
 * then the one closest to expiry. */
static void
test_unrenderable_limit(void)
{
  g_autoptr(BimiEvaluator) ev = evaluator_with(NULL);
  char hash[65];

  for (guint i = 0; i < BIMI_EVALUATE_MAX_UNRENDERABLE; i++) {
    g_snprintf(hash, sizeof hash, "%064x", i);
    bimi_evaluate__unrenderable_note(ev, hash, NOW + (i == 7 ? -1000 : (gint64) i), "test");
  }
  g_assert_cmpuint(bimi_evaluate__unrenderable_size(ev), ==, BIMI_EVALUATE_MAX_UNRENDERABLE);
  g_snprintf(hash, sizeof hash, "%064x", BIMI_EVALUATE_MAX_UNRENDERABLE);
  bimi_evaluate__unrenderable_note(ev, hash, NOW + 10, "test");
  g_assert_cmpuint(bimi_evaluate__unrenderable_size(ev), ==, BIMI_EVALUATE_MAX_UNRENDERABLE);
  /* entry 7 had expired (noted 1000 s in the past): it went, entry 0 stays */
  g_snprintf(hash, sizeof hash, "%064x", 7u);
  g_assert_false(bimi_evaluate__unrenderable_lookup(ev, hash, NOW + 10, NULL));
  g_snprintf(hash, sizeof hash, "%064x", 0u);
  g_assert_true(bimi_evaluate__unrenderable_lookup(ev, hash, NOW + 10, NULL));
  /* nothing expired now: the entry closest to expiry (0) goes */
  g_snprintf(hash, sizeof hash, "%064x", BIMI_EVALUATE_MAX_UNRENDERABLE + 1);
  bimi_evaluate__unrenderable_note(ev, hash, NOW + 10, "test");
  g_assert_cmpuint(bimi_evaluate__unrenderable_size(ev), ==, BIMI_EVALUATE_MAX_UNRENDERABLE);
  g_snprintf(hash, sizeof hash, "%064x", 0u);
  g_assert_false(bimi_evaluate__unrenderable_lookup(ev, hash, NOW + 10, NULL));
}

/* [auth] trusted_receivers: the envelope from our MX's Received field. */
static void
test_received_envelope(void)
{
  g_autoptr(BimiEvaluator) ev = evaluator_with("[auth]\ntrusted_receivers = MX.webmail.test");
  g_autoptr(BimiEvaluator) plain = evaluator_with(NULL);
  BimiEnvelope given = { "192.0.2.66", NULL, "news@brand.test" };
  g_autoptr(BimiDecision) d1 = eval(ev, "received.eml", NULL);
  g_autoptr(BimiDecision) d2 = eval(ev, "received-spoofed.eml", NULL);
  g_autoptr(BimiDecision) d3 = eval(plain, "received-spoofed.eml", NULL);
  g_autoptr(BimiDecision) d4 = eval(ev, "received.eml", &given);
  JsonObject *env;

  check(d1, BIMI_DECISION_LOGO_CHECKMARK, "vmc", "pass");
  env = member(d1, "auth", "envelope", NULL);
  g_assert_cmpstr(json_object_get_string_member(env, "source"), ==, "received");
  g_assert_cmpstr(json_object_get_string_member(env, "ip"), ==, "192.0.2.10");
  g_assert_cmpstr(json_object_get_string_member(env, "helo"), ==, "mail.brand.test");
  g_assert_cmpstr(json_object_get_string_member(env, "mail_from"), ==, "news@brand.test");
  g_assert_cmpstr(authres_property(d1, "iprev", NULL, NULL), ==, "pass");
  g_assert_cmpstr(authres_property(d1, "spf", NULL, NULL), ==, "pass");
  check(d2, BIMI_DECISION_NONE, "no-fcrdns", "pass");
  g_assert_cmpstr(authres_property(d2, "spf", NULL, NULL), ==, "fail");
  /* no trusted receiver configured: no envelope, rdns and spf none */
  check(d3, BIMI_DECISION_LOGO_CHECKMARK, "vmc", "pass");
  g_assert_true(json_object_get_null_member(member(d3, "auth", NULL), "rdns"));
  g_assert_null(json_object_get_string_member(member(d3, "auth", "envelope", NULL), "source"));
  /* an envelope in the request wins over the Received field */
  check(d4, BIMI_DECISION_NONE, "no-fcrdns", "pass");
  g_assert_cmpstr(json_object_get_string_member(member(d4, "auth", "envelope", NULL), "source"), ==, "request");
}

/* [auth] trust_own_authres: our MTA's dmarc=pass, signed by our own domain,
 * counts although brand.test's signature no longer verifies; the same A-R
 * without our signature is what a sender can write and is ignored. */
static void
test_own_authres(void)
{
  g_autoptr(BimiEvaluator) ev = evaluator_with("[auth]\ntrust_own_authres = true\nown_signing_domain = webmail.test");
  g_autoptr(BimiEvaluator) off = evaluator_with(NULL);
  g_autoptr(BimiDecision) own = eval(ev, "own-authres.eml", NULL);
  g_autoptr(BimiDecision) forged = eval(ev, "forged-authres.eml", NULL);
  g_autoptr(BimiDecision) untrusted = eval(off, "own-authres.eml", NULL);
  JsonObject *dmarc;

  check(own, BIMI_DECISION_LOGO_CHECKMARK, "vmc", "pass");
  dmarc = member(own, "auth", "dmarc", NULL);
  g_assert_cmpstr(json_object_get_string_member(dmarc, "source"), ==, "trusted-authres");
  g_assert_cmpstr(json_object_get_string_member(dmarc, "result"), ==, "pass");
  g_assert_cmpstr(json_object_get_string_member(dmarc, "reverified_result"), ==, "fail");
  g_assert_nonnull(json_object_get_string_member(dmarc, "trusted_authres"));
  /* the A-R written agrees with the decision: dmarc=pass (with why) beside bimi=pass */
  g_assert_cmpstr(authres_property(own, "dmarc", NULL, NULL), ==, "pass");
  g_assert_cmpstr(authres_property(own, "bimi", NULL, NULL), ==, "pass");
  check(forged, BIMI_DECISION_NONE, "dmarc-fail", "skipped");
  dmarc = member(forged, "auth", "dmarc", NULL);
  g_assert_cmpstr(json_object_get_string_member(dmarc, "source"), ==, "evaluated");
  g_test_message("forged: %s", json_object_get_string_member(dmarc, "trusted_authres"));
  check(untrusted, BIMI_DECISION_NONE, "dmarc-fail", "skipped");
}

/* mta_strips_authres: the topmost A-R is ours and its dmarc= verdict replaces the
 * re-verification both ways — a fail there hides a logo that re-verifying would show. */
static void
test_own_authres_stripped(void)
{
  g_autoptr(BimiEvaluator) ev = evaluator_with("[auth]\ntrust_own_authres = true\nmta_strips_authres = true");
  g_autofree char *path = g_build_filename("fixtures", "evaluate", "vmc.eml", NULL);
  g_autofree char *data = NULL;
  g_autoptr(GError) error = NULL;
  gsize len;

  g_assert_true(g_file_get_contents(path, &data, &len, NULL));
  {
    g_autofree char *msg = g_strconcat("Authentication-Results: mx.webmail.test; dmarc=fail header.from=brand.test\r\n",
                                       data, NULL);
    g_autoptr(GBytes) raw = g_bytes_new(msg, strlen(msg));
    g_autoptr(BimiDecision) d = bimi_evaluator_evaluate(ev, raw, NULL, NOW, &error);
    g_assert_no_error(error);
    check(d, BIMI_DECISION_NONE, "dmarc-fail", "skipped");
    JsonObject *dmarc = member(d, "auth", "dmarc", NULL);
    g_assert_cmpstr(json_object_get_string_member(dmarc, "result"), ==, "fail");
    g_assert_cmpstr(json_object_get_string_member(dmarc, "reverified_result"), ==, "pass");
    g_assert_cmpstr(json_object_get_string_member(dmarc, "disposition"), ==, "reject");
    g_assert_cmpstr(authres_property(d, "dmarc", NULL, NULL), ==, "fail");
    g_assert_cmpstr(authres_property(d, "dmarc", "policy", "dmarc"), ==, "reject");
  }
  {
    g_autofree char *msg = g_strconcat("Authentication-Results: mx.webmail.test; dmarc=pass header.from=brand.test\r\n",
                                       data, NULL);
    g_autoptr(GBytes) raw = g_bytes_new(msg, strlen(msg));
    g_autoptr(BimiDecision) d = bimi_evaluator_evaluate(ev, raw, NULL, NOW, &error);
    g_assert_no_error(error);
    check(d, BIMI_DECISION_LOGO_CHECKMARK, "vmc", "pass");
    g_assert_cmpstr(authres_property(d, "dmarc", NULL, NULL), ==, "pass");
    g_assert_cmpstr(authres_property(d, "dmarc", "policy", "dmarc"), ==, "none");
  }
}

/* ---- the cached verdict codec ------------------------------------------- */

static void
test_codec(void)
{
  g_autoptr(BimiEvaluateVerdict) v = g_new0(BimiEvaluateVerdict, 1);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(BimiEvaluateVerdict) back = NULL;
  GError *error = NULL;
  static const char *const corrupt[] = {
    "",
    "not a key file",
    "[verdict]\nformat=2\n",
    "[verdict]\nformat=1\nkind=vmc\nreason=vmc\ndetail=x\nauthority=pass\nevidence=https://a.test/a.pem\n"
    "cert_type=vmc\nsvg_from_evidence=true\npilot=false\nnot_after=1\nsha256=XYZ\n",
    "[verdict]\nformat=1\nkind=fail\nreason=vmc\ndetail=x\nauthority=fail\nlocation=https://a.test/l.svg\n"
    "svg_from_evidence=false\npilot=false\nnot_after=0\n",
    "[verdict]\nformat=1\nkind=fail\nreason=whatever\ndetail=x\nauthority=fail\nlocation=https://a.test/l.svg\n"
    "svg_from_evidence=false\npilot=false\nnot_after=0\n",
  };

  v->kind = BIMI_EVALUATE_VERDICT_VMC;
  v->reason = g_strdup("vmc");
  v->detail = g_strdup("valid VMC; with = and \n newline");
  v->location = g_strdup("https://origin.test/logo.svg");
  v->evidence = g_strdup("https://origin.test/vmc.pem");
  v->sha256 = g_strdup("5e1858ea6463b1c80cf2dfdefcb445c218afd5304dc366dd860de088ef85ef62");
  v->title = g_strdup("Brand \u2713");
  v->svg_from_evidence = TRUE;
  v->authority = BIMI_BIMI_AUTHORITY_PASS;
  v->cert_type = g_strdup("vmc");
  v->mark_type = g_strdup("Registered Mark");
  v->organization = g_strdup("Test Brand, Inc.");
  v->not_after = 1798761599;
  bytes = bimi_evaluate__verdict_encode(v);
  back = bimi_evaluate__verdict_decode(bytes, &error);
  g_assert_no_error(error);
  g_assert_cmpint(back->kind, ==, v->kind);
  g_assert_cmpstr(back->detail, ==, v->detail);
  g_assert_cmpstr(back->title, ==, v->title);
  g_assert_cmpstr(back->sha256, ==, v->sha256);
  g_assert_cmpstr(back->mark_type, ==, v->mark_type);
  g_assert_null(back->issuer);
  g_assert_cmpint(back->not_after, ==, v->not_after);
  g_assert_true(back->svg_from_evidence);
  for (gsize i = 0; i < G_N_ELEMENTS(corrupt); i++) {
    g_autoptr(GBytes) b = g_bytes_new_static(corrupt[i], strlen(corrupt[i]));
    g_assert_null(bimi_evaluate__verdict_decode(b, &error));
    g_assert_error(error, BIMI_EVALUATE_ERROR, BIMI_EVALUATE_ERROR_INTERNAL);
    g_assert_true(g_str_has_prefix(error->message, "cache value: "));
    g_clear_error(&error);
  }
  {
    gsize n = BIMI_EVALUATE_MAX_CACHE_VALUE_BYTES + 1;
    g_autofree char *big = g_malloc(n);
    g_autoptr(GBytes) b = NULL;
    memset(big, '#', n);
    b = g_bytes_new(big, n);
    g_assert_null(bimi_evaluate__verdict_decode(b, &error));
    g_assert_nonnull(strstr(error->message, "BIMI_EVALUATE_MAX_CACHE_VALUE_BYTES"));
    g_clear_error(&error);
  }
}

static void
test_skipped(void)
{
  g_test_skip(NGINX " is not installed");
}

int
main(int argc, char **argv)
{
  int rc;

  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/evaluate/codec", test_codec);
  if (!g_file_test(NGINX, G_FILE_TEST_IS_EXECUTABLE)) {
    g_test_add_func("/evaluate/skipped", test_skipped);
    return g_test_run();
  }
  setup();
  g_test_add_func("/evaluate/vmc", test_vmc);
  g_test_add_func("/evaluate/vmc-government", test_vmc_government);
  g_test_add_func("/evaluate/cmc", test_cmc);
  g_test_add_func("/evaluate/no-evidence", test_no_evidence);
  g_test_add_func("/evaluate/dmarc", test_dmarc);
  g_test_add_func("/evaluate/discovery", test_discovery);
  g_test_add_func("/evaluate/indicator-failures", test_indicator_failures);
  g_test_add_func("/evaluate/revocation-required", test_revocation_required);
  g_test_add_func("/evaluate/fcrdns", test_fcrdns);
  g_test_add_func("/evaluate/temperror", test_temperror);
  g_test_add_func("/evaluate/arc", test_arc);
  g_test_add_func("/evaluate/received-envelope", test_received_envelope);
  g_test_add_func("/evaluate/own-authres", test_own_authres);
  g_test_add_func("/evaluate/own-authres-stripped", test_own_authres_stripped);
  g_test_add_func("/evaluate/cache", test_cache);
  g_test_add_func("/evaluate/fetch-temperror", test_fetch_temperror);
  g_test_add_func("/evaluate/single-flight", test_single_flight);
  g_test_add_func("/evaluate/bad-input", test_bad_input);
  g_test_add_func("/evaluate/domain-status", test_domain_status);
  g_test_add_func("/evaluate/logos", test_logos);
  g_test_add_func("/evaluate/unrenderable", test_unrenderable);
  g_test_add_func("/evaluate/unrenderable-in-store", test_unrenderable_in_store);
  g_test_add_func("/evaluate/not-shown-not-stored", test_not_shown_not_stored);
  g_test_add_func("/evaluate/limit/unrenderable", test_unrenderable_limit);
  rc = g_test_run();
  teardown();
  return rc;
}
