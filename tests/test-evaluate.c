/* tests/test-evaluate.c — evaluate/ beyond the single message: the record
 * cache (fetches counted in the origin's access log, negative entries, the
 * same bytes for the same question), fetch temperrors, single-flight under
 * threads, CRLs fetched when [trust] revocation = require, bad input, the
 * domain status, the logo store and renderer, metrics, and the cached verdict
 * codec. The decisions of single messages are data: tests/cases/ (run by
 * tests/test-cases.c through the library and the CLI).
 *
 * The offline world is tests/lib/origin.h: DNS from
 * fixtures/evaluate/evaluate.zone.in, a real nginx TLS origin serving the test
 * PKI of fixtures/pki, evaluated at 2026-06-01T00:00:00Z. Each test builds its
 * evaluator from INI text (the real config parser) with its own cache directory.
 */
#include "evaluate/evaluate.h"
#include "evaluate/evaluate-private.h"
#include "engine/authres.h"
#include "engine/limits.h"
#include "tests/lib/origin.h"
#include "tests/lib/net.h"
#include "tests/lib/expect.h"

#include <string.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#define NOW BIMI_TEST_ORIGIN_NOW

static BimiTestOrigin *origin;

/* An evaluator from the base configuration plus @extra: INI lines added to
 * [policy], or to any group they name again (GKeyFile merges a repeated group).
 * Each evaluator gets its own cache directory. */
static BimiEvaluator *
evaluator_with(const char *extra)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiConfig) config = NULL;
  g_autofree char *text = bimi_test_origin_config(origin, NULL, extra);
  BimiEvaluator *ev;

  config = bimi_config_new_from_data(text, strlen(text), "test", &error);
  g_assert_no_error(error);
  ev = bimi_evaluator_new(config, "host.unused.test", &error);
  g_assert_no_error(error);
  return ev;
}

/* The sum of every series of the metric family @name in @ev's metrics. */
static guint64
metric_sum(BimiEvaluator *ev, const char *name)
{
  g_autoptr(GString) out = g_string_new(NULL);
  g_auto(GStrv) lines = NULL;
  gsize n = strlen(name);
  guint64 sum = 0;

  bimi_evaluator_append_metrics(ev, out);
  lines = g_strsplit(out->str, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (strncmp(lines[i], name, n) == 0 && (lines[i][n] == '{' || lines[i][n] == ' '))
      sum += g_ascii_strtoull(strrchr(lines[i], ' ') + 1, NULL, 10);
  return sum;
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
  g_assert_nonnull(bimi_decision_get_json(d));
  return d;
}

static JsonObject *
member(BimiDecision *d, const char *first, ...)
{
  JsonObject *o = json_node_get_object(bimi_decision_get_json(d));
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
check(BimiDecision *d, BimiDecisionKind kind, const char *reason, const char *bimi_result)
{
  JsonObject *o = json_node_get_object(bimi_decision_get_json(d));
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

static guint
access_log_lines(void)
{
  return bimi_test_origin_log_lines(origin, "access.log");
}

/* ---- the evaluator beyond one message ----------------------------------- */

/* [trust] revocation = require: the CRLs of the chain are fetched (through
 * connect_to, from the CRL server) and verified; a good VMC still passes. */
static void
test_revocation_required(void)
{
  g_autoptr(BimiEvaluator) ev = evaluator_with("[trust]\nrevocation = require");
  g_autoptr(BimiDecision) good = eval(ev, "vmc.eml", NULL);
  g_autoptr(BimiDecision) revoked = eval(ev, "revoked.eml", NULL);
  g_autofree char *log = g_build_filename(origin->tmp, "crl-access.log", NULL);
  g_autofree char *text = NULL;

  check(good, BIMI_DECISION_LOGO_CHECKMARK, "vmc", "pass");
  check(revoked, BIMI_DECISION_NONE, "evidence-invalid", "fail");
  g_assert_true(g_file_get_contents(log, &text, NULL, NULL));
  g_assert_nonnull(strstr(text, "GET /intermediate.crl"));
}

/* revocation = require with the CRL server out of reach: a temperror (retry), not evidence-invalid. */
/* [auth] authserv_id empty: the A-R is written (and our own A-R trusted) under the host name the
 * caller gave; without one the evaluator is refused, naming [auth]. The library reads no host name. */
static void
test_authserv_from_caller(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiConfig) config = NULL;
  g_autofree char *text = bimi_test_origin_config(origin, NULL, "[auth]\nauthserv_id =");
  g_autoptr(BimiEvaluator) ev = NULL;
  g_autoptr(BimiDecision) d = NULL;
  g_autoptr(BimiAuthres) ar = NULL;

  config = bimi_config_new_from_data(text, strlen(text), "test", &error);
  g_assert_no_error(error);
  g_assert_null(config->auth_authserv_id);
  g_assert_null(bimi_evaluator_new(config, NULL, &error));
  g_assert_error(error, BIMI_EVALUATE_ERROR, BIMI_EVALUATE_ERROR_SETUP);
  g_assert_nonnull(strstr(error->message, "[auth] authserv_id"));
  g_clear_error(&error);
  g_assert_null(bimi_evaluator_new(config, "", &error));
  g_assert_error(error, BIMI_EVALUATE_ERROR, BIMI_EVALUATE_ERROR_SETUP);
  g_clear_error(&error);

  ev = bimi_evaluator_new(config, "mx.caller.test", &error);
  g_assert_no_error(error);
  d = eval(ev, "vmc.eml", NULL);
  ar = bimi_authres_parse(d->authentication_results, strlen(d->authentication_results), &error);
  g_assert_no_error(error);
  g_assert_cmpstr(ar->authserv_id, ==, "mx.caller.test");
}

static void
test_revocation_unreachable(void)
{
  g_autoptr(BimiEvaluator) ev = evaluator_with("[trust]\nrevocation = require\n[fetch]\nconnect_to = crl.pki.test:80::1");
  g_autoptr(BimiDecision) d = eval(ev, "vmc.eml", NULL);

  check(d, BIMI_DECISION_NONE, "temperror", "temperror");
  g_assert_true(d->temperror);
  g_assert_cmpuint(d->ttl, <=, BIMI_EVALUATE_TEMPERROR_TTL_S);
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
    g_autofree char *a = json_to_string(bimi_decision_get_json(d1), FALSE), *b = json_to_string(bimi_decision_get_json(d2), FALSE);
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
  g_assert_cmpuint(metric_sum(ev, "bimi_fetches_total"), ==, 1);
  g_assert_cmpint(g_atomic_int_get(&ev->n_validations), ==, 1);
}

/* Brand-side failures: one call (bimi-fcgi: a warning) per brand per change of state (issue 22). */
static void
collect_brand(const char *domain, const char *selector, const char *failure, gpointer user_data)
{
  g_ptr_array_add(user_data, g_strdup_printf("%s %s %s", domain, selector, failure ? failure : "(ok)"));
}

static void
test_brand_warnings(void)
{
  g_autoptr(BimiEvaluator) ev = evaluator_with(NULL);
  g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(BimiDecision) d = NULL;

  bimi_evaluator_set_brand_func(ev, collect_brand, seen);
  bimi_evaluate__note_brand(ev, "vmc.example.com", "default", "VMC expired 2026-11-30T00:00:00Z");
  bimi_evaluate__note_brand(ev, "vmc.example.com", "default", "VMC expired 2026-11-30T00:00:00Z"); /* same */
  bimi_evaluate__note_brand(ev, "vmc.example.com", "default", NULL);
  bimi_evaluate__note_brand(ev, "vmc.example.com", "default", NULL);
  bimi_evaluate__note_brand(ev, "fine.example", "default", NULL); /* fine from the start */
  bimi_evaluate__note_brand(ev, "evil.example", "default", "logo-fetch-failed: \x1b[31m");
  g_assert_cmpuint(seen->len, ==, 3);
  g_assert_cmpstr(seen->pdata[0], ==, "vmc.example.com default VMC expired 2026-11-30T00:00:00Z");
  g_assert_cmpstr(seen->pdata[1], ==, "vmc.example.com default (ok)");
  g_assert_cmpstr(seen->pdata[2], ==, "evil.example default logo-fetch-failed: \\x1b[31m");
  /* through an evaluation: the expired VMC of the test PKI, named with its notAfter */
  d = eval(ev, "expired.eml", NULL);
  g_assert_cmpuint(seen->len, ==, 4);
  g_assert_true(g_regex_match_simple("^brand\\.test [a-z0-9.]+ VMC expired [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$",
                                     seen->pdata[3], 0, 0));
}

/* BIMI_EVALUATE_MAX_BRAND_STATES: the table of brand states stays bounded. */
static void
test_brand_states_limit(void)
{
  g_autoptr(BimiEvaluator) ev = evaluator_with(NULL);

  for (guint i = 0; i < BIMI_EVALUATE_MAX_BRAND_STATES; i++) {
    g_autofree char *domain = g_strdup_printf("b%u.example", i);
    bimi_evaluate__note_brand(ev, domain, "default", "logo-fetch-failed: connect");
  }
  g_assert_cmpuint(bimi_evaluate__brand_states_size(ev), ==, BIMI_EVALUATE_MAX_BRAND_STATES);
  bimi_evaluate__note_brand(ev, "one-more.example", "default", "logo-fetch-failed: connect");
  g_assert_cmpuint(bimi_evaluate__brand_states_size(ev), ==, 1);
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

/* FCrDNS and SPF run inline, with no hand-off to the envelope pool, once the
 * resolver's answer cache holds their first answers; the results are the same. */
static void
test_envelope_inline(void)
{
  static const BimiEnvelope env = { "192.0.2.10", "brand.test", "bounce@brand.test" };
  g_autoptr(BimiEvaluator) ev = evaluator_with(NULL);
  g_autoptr(BimiDecision) d1 = eval(ev, "vmc.eml", &env);
  g_autoptr(BimiDecision) d2 = NULL;
  JsonObject *rdns1, *rdns2, *spf1, *spf2;

  g_assert_cmpint(g_atomic_int_get(&ev->n_envelope_inline), ==, 0); /* nothing cached yet: the pool */
  d2 = eval(ev, "vmc.eml", &env);
  g_assert_cmpint(g_atomic_int_get(&ev->n_envelope_inline), ==, 1);
  rdns1 = member(d1, "auth", "rdns", NULL);
  rdns2 = member(d2, "auth", "rdns", NULL);
  spf1 = member(d1, "auth", "spf", NULL);
  spf2 = member(d2, "auth", "spf", NULL);
  g_assert_true(rdns1 != NULL && rdns2 != NULL && spf1 != NULL && spf2 != NULL);
  g_assert_cmpstr(json_object_get_string_member(rdns1, "result"), ==, "pass");
  g_assert_cmpstr(json_object_get_string_member(rdns2, "result"), ==, "pass");
  g_assert_cmpstr(json_object_get_string_member(spf1, "result"), ==, "pass");
  g_assert_cmpstr(json_object_get_string_member(spf2, "result"), ==, "pass");
  g_assert_cmpstr(json_object_get_string_member(rdns2, "confirmed_name"), ==,
                  json_object_get_string_member(rdns1, "confirmed_name"));
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
  g_assert_cmpint(bimi_evaluate_error_get_field(error), ==, BIMI_EVALUATE_FIELD_MESSAGE);
  g_clear_error(&error);
  g_assert_true(g_file_get_contents("fixtures/evaluate/vmc.eml", &vmc, &len, NULL));
  good = g_bytes_new(vmc, len);
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_assert_null(bimi_evaluator_evaluate(ev, good, &bad[i], NOW, &error));
    g_assert_error(error, BIMI_EVALUATE_ERROR, BIMI_EVALUATE_ERROR_ENVELOPE);
    g_assert_true(g_str_has_prefix(error->message, field[i]));
    /* the field travels in the error, not only in its text (fcgi/ reads it so) */
    g_assert_cmpstr(bimi_evaluate_field_to_string(bimi_evaluate_error_get_field(error)), ==, field[i]);
    g_clear_error(&error);
  }
}

/* The reason codes: one name per enum value, each parsing back; the JSON spells them so. */
static void
test_reason_names(void)
{
  BimiDecisionReason back;

  for (guint r = BIMI_DECISION_REASON_VMC; r <= BIMI_DECISION_REASON_TEMPERROR; r++) {
    const char *name = bimi_decision_reason_to_string((BimiDecisionReason) r);
    g_assert_nonnull(name);
    g_assert_true(bimi_decision_reason_from_string(name, &back));
    g_assert_cmpint(back, ==, r);
  }
  g_assert_cmpstr(bimi_decision_reason_to_string(BIMI_DECISION_REASON_LOGO_WITHOUT_EVIDENCE), ==,
                  "logo-without-evidence");
  g_assert_false(bimi_decision_reason_from_string("VMC", &back));
  g_assert_false(bimi_decision_reason_from_string(NULL, &back));
  g_assert_null(bimi_evaluate_field_to_string(BIMI_EVALUATE_FIELD_NONE));
  g_assert_cmpstr(bimi_evaluate_field_to_string(BIMI_EVALUATE_FIELD_MAIL_FROM), ==, "mail_from");
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
  /* the typed decision: the reason as the enum, the mark and the bimi= result (what `bimi evaluate` prints) */
  g_assert_cmpint(brand->reason_id, ==, BIMI_DECISION_REASON_VMC);
  g_assert_nonnull(brand->mark);
  g_assert_cmpstr(brand->mark->certificate_type, ==, "vmc");
  g_assert_true(brand->has_bimi);
  g_assert_cmpint(brand->bimi_result, ==, BIMI_BIMI_RESULT_PASS);
  g_assert_nonnull(brand->indicator_detail);
  g_assert_cmpint(none->reason_id, ==, BIMI_DECISION_REASON_NO_RECORD);
  g_assert_null(none->mark);
  g_assert_null(none->indicator_detail);
  /* no message was evaluated: the DMARC member says what was checked (the policy), never an invented result */
  {
    JsonObject *dm = member(brand, "auth", "dmarc", NULL);
    JsonObject *dn = member(nodmarc, "auth", "dmarc", NULL);
    g_assert_cmpstr(json_object_get_string_member(dm, "checked"), ==, "policy");
    g_assert_false(json_object_has_member(dm, "result"));
    g_assert_true(json_object_get_boolean_member(dm, "record_found"));
    g_assert_true(json_object_get_boolean_member(dm, "enforcing"));
    g_assert_cmpstr(json_object_get_string_member(dm, "policy"), ==, "reject");
    g_assert_false(json_object_has_member(dn, "result"));
    g_assert_false(json_object_get_boolean_member(dn, "record_found"));
    g_assert_false(json_object_get_boolean_member(dn, "enforcing"));
    g_assert_true(g_str_has_prefix(json_object_get_string_member(dn, "reason"), "no DMARC policy record for nothing.test"));
  }
  check(cmc, BIMI_DECISION_LOGO, "cmc", NULL);
  check(lax, BIMI_DECISION_NONE, "dmarc-not-enforcing", NULL);
  check(none, BIMI_DECISION_NONE, "no-record", NULL);
  check(nodmarc, BIMI_DECISION_NONE, "dmarc-not-enforcing", NULL);
  g_assert_null(bimi_evaluator_domain_status(ev, "not a domain", NULL, NOW, &error));
  g_assert_error(error, BIMI_EVALUATE_ERROR, BIMI_EVALUATE_ERROR_ARGUMENT);
  g_assert_cmpint(bimi_evaluate_error_get_field(error), ==, BIMI_EVALUATE_FIELD_DOMAIN);
  g_clear_error(&error);
  g_assert_null(bimi_evaluator_domain_status(ev, "192.0.2.1", NULL, NOW, &error));
  g_assert_error(error, BIMI_EVALUATE_ERROR, BIMI_EVALUATE_ERROR_ARGUMENT);
  g_clear_error(&error);
  g_assert_null(bimi_evaluator_domain_status(ev, "brand.test", "bad selector!", NOW, &error));
  g_assert_error(error, BIMI_EVALUATE_ERROR, BIMI_EVALUATE_ERROR_ARGUMENT);
  g_assert_cmpint(bimi_evaluate_error_get_field(error), ==, BIMI_EVALUATE_FIELD_SELECTOR);
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
  {
    const char *samples[] = { "bimi_decisions_total{decision=\"logo+checkmark\",reason=\"vmc\"} 1",
                              "bimi_fetches_total{kind=\"evidence\",outcome=\"ok\"} 1",
                              "bimi_fetches_total{kind=\"logo\",outcome=\"ok\"} 1",
                              "bimi_certificate_verdicts_total{type=\"vmc\",verdict=\"valid\"} 1",
                              "bimi_renders_total{outcome=\"ok\"} 1",
                              "bimi_evaluations_total{kind=\"message\"} 1",
                              "bimi_auth_results_total{method=\"dmarc\",result=\"pass\"} 1",
                              "bimi_cache_lookups_total{cache=\"record\",result=\"miss\"} 1",
                              NULL };
    bimi_test_assert_samples(metrics->str, samples);
  }
  g_assert_true(g_regex_match_simple("\nbimi_dns_answers_total\\{result=\"noerror\"\\} [1-9][0-9]*\n", metrics->str, 0, 0));
  /* one family per thing: each # TYPE line once */
  {
    g_auto(GStrv) lines = g_strsplit(metrics->str, "\n", -1);
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; lines[i] != NULL; i++)
      if (g_str_has_prefix(lines[i], "# TYPE "))
        g_assert_true(g_hash_table_add(seen, lines[i]));
    g_assert_cmpuint(g_hash_table_size(seen), >=, 18);
  }
  /* the header form of a decision showing a logo (docs/api.md "The header form") */
  {
    g_autofree char *svg_b64 = NULL;
    g_autoptr(GBytes) stored = bimi_evaluator_logo_svg(ev, d->logo_sha256, &error);
    g_assert_no_error(error);
    svg_b64 = g_base64_encode(g_bytes_get_data(stored, NULL), g_bytes_get_size(stored));
    g_assert_nonnull(d->bimi_location);
    g_assert_true(g_str_has_prefix(d->bimi_location, "v=BIMI1; l=https://"));
    g_assert_nonnull(strstr(d->bimi_location, "; a=https://"));
    g_assert_cmpstr(d->bimi_indicator, ==, svg_b64);
    g_assert_cmpstr(json_object_get_string_member(json_node_get_object(bimi_decision_get_json(d)), "bimi_indicator"), ==, svg_b64);
    g_assert_cmpstr(d->author_domain, !=, NULL);
    g_assert_cmpstr(d->selector, ==, "default");
    g_assert_cmpfloat(d->dns_ms, >, 0.0);
  }
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
  g_autofree char *good = file_sha256("fixtures/pki/logo.svg");
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
  g_assert_true(metric_sum(ev, "bimi_renders_total") == 4); /* the PNG requests rendered nothing */

  /* a logo that renders: shown, its SVG and the probe's PNG in the store */
  fine = bimi_evaluator_domain_status(ev, "brand.test", "noevidence", NOW, NULL);
  check(fine, BIMI_DECISION_LOGO, "logo-without-evidence", NULL);
  g_assert_cmpstr(fine->logo_sha256, ==, good);
  png = bimi_evaluator_logo_png(ev, good, 512, &error);
  g_assert_no_error(error);
  g_assert_true(metric_sum(ev, "bimi_renders_total") == 5); /* the probe only */
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
  g_assert_true(metric_sum(ev, "bimi_renders_total") == 1);
  g_assert_true(metric_is(ev, "bimi_logos_unrenderable_total", 1));
  g_assert_true(metric_is(ev, "bimi_cache_lookups_total{cache=\"unrenderable\",result=\"hit\"}", 2));
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
  g_autofree char *good = file_sha256("fixtures/pki/logo.svg");
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
  g_assert_true(metric_is(ev, "bimi_cache_writes_total{cache=\"logo_store\"}", 0));
  g_assert_true(metric_is(no_cmc, "bimi_cache_writes_total{cache=\"logo_store\"}", 0));
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

/* The indicator memo (issue 21): the header form's SVG comes from memory for
 * BIMI_EVALUATE_INDICATOR_MEMO_TTL_S, then from the store again, which notices
 * that the file is gone. */
static void
test_indicator_memo(void)
{
  g_autoptr(BimiEvaluator) ev = evaluator_with(NULL);
  g_autoptr(GBytes) svg = g_bytes_new_static("<svg id=\"memo\"/>", 17);
  g_autoptr(GBytes) first = NULL, hit = NULL, stale = NULL;
  g_autofree char *path = NULL;
  char hash[BIMI_LOGO_HASH_HEX_LEN + 1];

  g_assert_true(bimi_logo_store_put_svg(ev->store, svg, hash, NULL));
  first = bimi_evaluate__indicator_svg(ev, hash, NOW);
  g_assert_nonnull(first);
  g_assert_true(g_bytes_equal(first, svg));
  g_assert_cmpuint(bimi_evaluate__indicator_memo_size(ev), ==, 1);
  path = g_strdup_printf("%s/svg/%.2s/%s.svg", ev->config->cache_dir, hash, hash);
  g_assert_cmpint(g_unlink(path), ==, 0);
  /* within the TTL the memo answers without the store */
  hit = bimi_evaluate__indicator_svg(ev, hash, NOW + BIMI_EVALUATE_INDICATOR_MEMO_TTL_S - 1);
  g_assert_nonnull(hit);
  g_assert_true(g_bytes_equal(hit, svg));
  /* and its base64 form, the header form's BIMI-Indicator value, twice the same */
  for (guint i = 0; i < 2; i++) {
    g_autofree char *b64 = bimi_evaluate__indicator_base64(ev, hash, NOW + BIMI_EVALUATE_INDICATOR_MEMO_TTL_S - 1);
    g_assert_cmpstr(b64, ==, "PHN2ZyBpZD0ibWVtbyIvPgA="); /* the 17 bytes stored, NUL included */
  }
  /* at the TTL the store is asked again: the file is gone, and so is the entry */
  stale = bimi_evaluate__indicator_svg(ev, hash, NOW + BIMI_EVALUATE_INDICATOR_MEMO_TTL_S);
  g_assert_null(stale);
  g_assert_cmpuint(bimi_evaluate__indicator_memo_size(ev), ==, 0);
  g_assert_null(bimi_evaluate__indicator_base64(ev, hash, NOW + BIMI_EVALUATE_INDICATOR_MEMO_TTL_S));
}

/* BIMI_EVALUATE_MAX_INDICATOR_MEMO bounds the memo: one SVG more makes room
 * (nothing expired, so an entry closest to expiry goes), and what expired goes first. */
static void
test_indicator_memo_limit(void)
{
  g_autoptr(BimiEvaluator) ev = evaluator_with(NULL);
  char hash[BIMI_LOGO_HASH_HEX_LEN + 1];

  for (guint i = 0; i <= BIMI_EVALUATE_MAX_INDICATOR_MEMO + 1; i++) {
    g_autofree char *text = g_strdup_printf("<svg id=\"m%u\"/>", i);
    g_autoptr(GBytes) svg = g_bytes_new(text, strlen(text));
    g_autoptr(GBytes) got = NULL;
    g_assert_true(bimi_logo_store_put_svg(ev->store, svg, hash, NULL));
    /* the last one a TTL later: every other entry has expired by then */
    got = bimi_evaluate__indicator_svg(ev, hash, i <= BIMI_EVALUATE_MAX_INDICATOR_MEMO ? NOW
                                                  : NOW + BIMI_EVALUATE_INDICATOR_MEMO_TTL_S);
    g_assert_nonnull(got);
    g_assert_true(g_bytes_equal(got, svg));
    g_assert_cmpuint(bimi_evaluate__indicator_memo_size(ev), ==,
                     i < BIMI_EVALUATE_MAX_INDICATOR_MEMO ? i + 1
                     : i == BIMI_EVALUATE_MAX_INDICATOR_MEMO ? BIMI_EVALUATE_MAX_INDICATOR_MEMO : 1);
  }
}

/* ---- the cached verdict codec ------------------------------------------- */

/* A no-evidence verdict whose detail is @detail, encoded as the record cache holds it. */
static GBytes *
encoded_verdict(const char *detail)
{
  g_autoptr(BimiEvaluateVerdict) v = g_new0(BimiEvaluateVerdict, 1);

  v->kind = BIMI_EVALUATE_VERDICT_NO_EVIDENCE;
  v->reason = BIMI_DECISION_REASON_EVIDENCE_MISSING;
  v->authority = BIMI_BIMI_AUTHORITY_NONE;
  v->detail = g_strdup(detail);
  v->location = g_strdup("https://origin.test/logo.svg");
  v->sha256 = g_strdup("5e1858ea6463b1c80cf2dfdefcb445c218afd5304dc366dd860de088ef85ef62");
  v->title = g_strdup("Brand");
  return bimi_evaluate__verdict_encode(v);
}

/* The decoded-verdict memo (issue 21): the same bytes decode once, every caller gets its own
 * copy (freeing or changing it leaves the memo's alone), bytes that do not decode are never
 * remembered. */
static void
test_verdict_memo(void)
{
  g_autoptr(BimiEvaluator) ev = evaluator_with(NULL);
  g_autoptr(GBytes) value = encoded_verdict("logo without evidence");
  g_autoptr(GBytes) same = g_bytes_new(g_bytes_get_data(value, NULL), g_bytes_get_size(value));
  g_autoptr(GBytes) bad = g_bytes_new_static("[verdict]\nformat=1\n", 20);
  g_autoptr(GError) error = NULL;

  BimiEvaluateVerdict *first = bimi_evaluate__verdict_decode_memo(ev, value, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(bimi_evaluate__verdict_memo_size(ev), ==, 1);
  g_assert_cmpstr(first->detail, ==, "logo without evidence");
  first->cached = TRUE;
  g_free(first->detail);
  first->detail = g_strdup("changed by the caller");
  bimi_evaluate__verdict_free(first);
  /* equal bytes in another GBytes (as Redis hands them) hit the same entry */
  g_autoptr(BimiEvaluateVerdict) second = bimi_evaluate__verdict_decode_memo(ev, same, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(bimi_evaluate__verdict_memo_size(ev), ==, 1);
  g_assert_cmpstr(second->detail, ==, "logo without evidence");
  g_assert_cmpstr(second->sha256, ==, "5e1858ea6463b1c80cf2dfdefcb445c218afd5304dc366dd860de088ef85ef62");
  g_assert_cmpint(second->kind, ==, BIMI_EVALUATE_VERDICT_NO_EVIDENCE);
  g_assert_false(second->cached);
  g_assert_true(second->detail != NULL && second->location != NULL);
  /* twice a value that does not decode: an error each time, no entry */
  for (guint i = 0; i < 2; i++) {
    g_assert_null(bimi_evaluate__verdict_decode_memo(ev, bad, &error));
    g_assert_error(error, BIMI_EVALUATE_ERROR, BIMI_EVALUATE_ERROR_INTERNAL);
    g_clear_error(&error);
  }
  g_assert_cmpuint(bimi_evaluate__verdict_memo_size(ev), ==, 1);
}

/* BIMI_EVALUATE_MAX_VERDICT_MEMO bounds the memo: one value more and it starts empty again. */
static void
test_verdict_memo_limit(void)
{
  g_autoptr(BimiEvaluator) ev = evaluator_with(NULL);

  for (guint i = 0; i <= BIMI_EVALUATE_MAX_VERDICT_MEMO; i++) {
    g_autofree char *detail = g_strdup_printf("verdict %u", i);
    g_autoptr(GBytes) value = encoded_verdict(detail);
    g_autoptr(GError) error = NULL;
    g_autoptr(BimiEvaluateVerdict) v = bimi_evaluate__verdict_decode_memo(ev, value, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(v->detail, ==, detail);
    g_assert_cmpuint(bimi_evaluate__verdict_memo_size(ev), ==, i < BIMI_EVALUATE_MAX_VERDICT_MEMO ? i + 1 : 1);
  }
}

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
  v->reason = BIMI_DECISION_REASON_VMC;
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
  /* the date's spelling is made once, by the decoder (issue 21), and copied with the verdict */
  g_assert_cmpstr(back->not_after_text, ==, "2026-12-31T23:59:59Z");
  {
    g_autoptr(BimiEvaluateVerdict) copy = bimi_evaluate__verdict_copy(back);
    g_assert_cmpstr(copy->not_after_text, ==, "2026-12-31T23:59:59Z");
    bimi_evaluate__verdict_set_not_after(copy, 253402300800); /* 10000-01-01: GDateTime has no spelling */
    g_assert_cmpint(copy->not_after, ==, 253402300800);
    g_assert_cmpstr(copy->not_after_text, ==, "");
    bimi_evaluate__verdict_set_not_after(copy, 0);
    g_assert_cmpstr(copy->not_after_text, ==, "1970-01-01T00:00:00Z");
  }
  g_assert_true(back->svg_from_evidence);
  {
    /* the issue 13 reason round-trips as a failure */
    g_autofree char *path = g_build_filename("fuzz", "corpus", "fuzz-evaluate-cache", "svg-unrenderable", NULL);
    g_autofree char *text = NULL;
    gsize len = 0;
    g_autoptr(GBytes) b = NULL;
    g_autoptr(BimiEvaluateVerdict) u = NULL;
    g_assert_true(g_file_get_contents(path, &text, &len, NULL));
    b = g_bytes_new(text, len);
    u = bimi_evaluate__verdict_decode(b, &error);
    g_assert_no_error(error);
    g_assert_cmpint(u->kind, ==, BIMI_EVALUATE_VERDICT_FAIL);
    g_assert_cmpint(u->reason, ==, BIMI_DECISION_REASON_SVG_UNRENDERABLE);
    g_assert_false(u->temperror);
    g_assert_null(u->sha256);
  }
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

/* ---- issue 19: brand-impersonation caution ---------------------------------- */

/* A message from outside the test PKI's brands, unsigned (DMARC none for other.test). */
#define CAUTION_SPOOF "From: Test Brand Support <help@other.test>\r\nTo: you@webmail.test\r\n" \
                      "Subject: your account\r\nMessage-ID: <1@other.test>\r\n\r\nHello.\r\n"
#define CAUTION_LOOKALIKE "From: Newsletter <news@brands.test>\r\nTo: you@webmail.test\r\n" \
                          "Subject: news\r\nMessage-ID: <2@brands.test>\r\n\r\nHello.\r\n"

static BimiDecision *
eval_text(BimiEvaluator *ev, const char *text, gint64 now)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) raw = g_bytes_new_static(text, strlen(text));
  BimiDecision *d = bimi_evaluator_evaluate(ev, raw, NULL, now, &error);

  g_assert_no_error(error);
  return d;
}

/* The decision's "caution" member: present always; NULL when it is null. */
static JsonObject *
caution_of(BimiDecision *d)
{
  JsonObject *o = json_node_get_object(bimi_decision_get_json(d));
  JsonNode *n = json_object_get_member(o, "caution");

  g_assert_nonnull(n);
  if (JSON_NODE_HOLDS_NULL(n)) {
    g_assert_null(d->caution);
    return NULL;
  }
  g_assert_nonnull(d->caution);
  return json_node_get_object(n);
}

/* The registry learns "Test Brand" (O = "Test Brand, Inc.") from the validated VMC of vmc.eml, with
 * its SAN domains; a message claiming it from elsewhere gets a caution, the decision and the A-R
 * stay what they are without the feature; at the certificate's notAfter the brand is forgotten. */
static void
test_caution_learned(void)
{
  g_autoptr(BimiEvaluator) ev = evaluator_with(NULL);
  g_autoptr(BimiEvaluator) off = evaluator_with("[caution]\nenabled = false");
  g_autoptr(BimiDecision) before = eval_text(ev, CAUTION_SPOOF, NOW);
  g_autoptr(BimiDecision) good = NULL, spoof = NULL, spoof_off = NULL, lookalike = NULL, after = NULL;
  g_autoptr(GDateTime) not_after = NULL;
  JsonObject *c;
  JsonArray *domains;

  g_assert_null(caution_of(before)); /* nothing registered yet */
  good = eval(ev, "vmc.eml", NULL);
  check(good, BIMI_DECISION_LOGO_CHECKMARK, "vmc", "pass");
  g_assert_null(caution_of(good)); /* the brand's own mail */
  g_assert_cmpuint(metric_sum(ev, "bimi_caution_brands"), ==, 1);

  spoof = eval_text(ev, CAUTION_SPOOF, NOW);
  check(spoof, BIMI_DECISION_NONE, "dmarc-not-enforcing", "skipped");
  c = caution_of(spoof);
  g_assert_nonnull(c);
  g_assert_cmpstr(json_object_get_string_member(c, "brand"), ==, "Test Brand");
  g_assert_cmpstr(json_object_get_string_member(c, "signal"), ==, "display-name");
  g_assert_cmpstr(json_object_get_string_member(c, "matched"), ==, "Test Brand Support");
  g_assert_cmpstr(json_object_get_string_member(c, "text"), ==, "Claims to be Test Brand \xe2\x80\x94 not verified");
  domains = json_object_get_array_member(c, "domains");
  g_assert_cmpuint(json_array_get_length(domains), ==, 2);
  g_assert_cmpstr(json_array_get_string_element(domains, 0), ==, "brand.test");
  g_assert_cmpstr(json_array_get_string_element(domains, 1), ==, "brand.example");
  /* the decision and the Authentication-Results are those of an evaluator without the feature */
  spoof_off = eval_text(off, CAUTION_SPOOF, NOW);
  g_assert_null(caution_of(spoof_off));
  g_assert_cmpstr(spoof->reason, ==, spoof_off->reason);
  g_assert_cmpstr(spoof->authentication_results, ==, spoof_off->authentication_results);
  g_assert_null(strstr(spoof->authentication_results, "caution"));

  lookalike = eval_text(ev, CAUTION_LOOKALIKE, NOW); /* brands.test: one letter from brand.test */
  c = caution_of(lookalike);
  g_assert_nonnull(c);
  g_assert_cmpstr(json_object_get_string_member(c, "signal"), ==, "lookalike-domain");
  g_assert_cmpstr(json_object_get_string_member(c, "matched"), ==, "brands.test");
  g_assert_cmpuint(metric_sum(ev, "bimi_cautions_total"), ==, 2);
  g_assert_cmpuint(metric_sum(off, "bimi_cautions_total"), ==, 0);
  { /* each signal is a series from the start: "both" has not happened here and shows at 0 */
    g_autoptr(GString) text = g_string_new(NULL);
    bimi_evaluator_append_metrics(ev, text);
    g_assert_nonnull(strstr(text->str, "bimi_cautions_total{signal=\"both\"} 0\n"));
    g_assert_nonnull(strstr(text->str, "bimi_cautions_total{signal=\"lookalike-domain\"} 1\n"));
  }

  /* forgotten when the certificate expires (the evaluation's clock) */
  not_after = g_date_time_new_from_iso8601(good->mark->not_after, NULL);
  g_assert_nonnull(not_after);
  {
    g_autoptr(BimiDecision) last = eval_text(ev, CAUTION_SPOOF, g_date_time_to_unix(not_after) - 1);
    g_assert_nonnull(caution_of(last));
  }
  after = eval_text(ev, CAUTION_SPOOF, g_date_time_to_unix(not_after));
  g_assert_null(caution_of(after));
  g_assert_cmpuint(metric_sum(ev, "bimi_caution_brands"), ==, 0);
}

/* [caution] brands_file: the operator's brands, refused at start and by --check-config with the file,
 * group and key named; domain status has "caution": null. */
static void
test_caution_brands_file(void)
{
  g_autofree char *dir = g_dir_make_tmp("caution-XXXXXX", NULL);
  g_autofree char *path = g_build_filename(dir, "brands.conf", NULL);
  g_autofree char *extra = g_strdup_printf("[caution]\nbrands_file = %s\nlearn = false", path);
  g_autoptr(BimiConfig) config = NULL;
  g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  g_assert_true(g_file_set_contents(path, "[Brand News]\ndomains = brand.test\n[Bad]\ndomains = a.example\ncolour = red\n",
                                    -1, NULL));
  text = bimi_test_origin_config(origin, NULL, extra);
  config = bimi_config_new_from_data(text, strlen(text), "test.conf", &error);
  g_assert_no_error(error);
  g_assert_null(bimi_evaluator_new(config, "host.unused.test", &error));
  g_assert_error(error, BIMI_EVALUATE_ERROR, BIMI_EVALUATE_ERROR_SETUP);
  g_assert_nonnull(strstr(error->message, "[caution]"));
  g_assert_nonnull(strstr(error->message, path));
  g_assert_nonnull(strstr(error->message, "[Bad] colour: unknown key"));
  g_clear_error(&error);
  g_assert_false(bimi_evaluator_check_config(config, "test.conf", problems));
  g_assert_cmpuint(problems->len, ==, 1);
  g_assert_nonnull(strstr(g_ptr_array_index(problems, 0), "test.conf: [caution] "));
  g_assert_nonnull(strstr(g_ptr_array_index(problems, 0), "[Bad] colour"));

  g_assert_true(g_file_set_contents(path, "[Brand News]\ndomains = brand.test\n", -1, NULL));
  {
    g_autoptr(BimiEvaluator) ev = evaluator_with(extra);
    g_autoptr(BimiDecision) fail = eval(ev, "dmarc-fail.eml", NULL);
    g_autoptr(BimiDecision) good = eval(ev, "vmc.eml", NULL);
    g_autoptr(BimiDecision) status = bimi_evaluator_domain_status(ev, "brand.test", NULL, NOW, NULL);
    g_autoptr(BimiDecision) status_fail = bimi_evaluator_domain_status(ev, "norecord.test", NULL, NOW, NULL);
    JsonObject *c = caution_of(fail);

    check(fail, BIMI_DECISION_NONE, "dmarc-fail", "skipped");
    g_assert_nonnull(c); /* "Brand News" <news@brand.test>, DMARC fail: the brand's own domain, not authenticated */
    g_assert_cmpstr(json_object_get_string_member(c, "brand"), ==, "Brand News");
    g_assert_cmpstr(json_object_get_string_member(c, "signal"), ==, "display-name");
    g_assert_null(caution_of(good));
    g_assert_null(caution_of(status));
    g_assert_null(caution_of(status_fail));
    g_assert_cmpuint(metric_sum(ev, "bimi_caution_brands"), ==, 1); /* operator 1, learned 0 (learn = false) */
  }
  g_unlink(path);
  g_rmdir(dir);
}

int
main(int argc, char **argv)
{
  int rc;

  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/evaluate/codec", test_codec);
  g_test_add_func("/evaluate/verdict-memo", test_verdict_memo);
  g_test_add_func("/evaluate/limit/verdict-memo", test_verdict_memo_limit);
  if (!bimi_test_require_program(BIMI_TEST_NGINX, "/evaluate/skipped"))
    return g_test_run();
  origin = bimi_test_origin_start();
  g_test_add_func("/evaluate/revocation-required", test_revocation_required);
  g_test_add_func("/evaluate/revocation-unreachable", test_revocation_unreachable);
  g_test_add_func("/evaluate/authserv-from-caller", test_authserv_from_caller);
  g_test_add_func("/evaluate/cache", test_cache);
  g_test_add_func("/evaluate/fetch-temperror", test_fetch_temperror);
  g_test_add_func("/evaluate/single-flight", test_single_flight);
  g_test_add_func("/evaluate/envelope-inline", test_envelope_inline);
  g_test_add_func("/evaluate/bad-input", test_bad_input);
  g_test_add_func("/evaluate/domain-status", test_domain_status);
  g_test_add_func("/evaluate/reason-names", test_reason_names);
  g_test_add_func("/evaluate/logos", test_logos);
  g_test_add_func("/evaluate/unrenderable", test_unrenderable);
  g_test_add_func("/evaluate/unrenderable-in-store", test_unrenderable_in_store);
  g_test_add_func("/evaluate/not-shown-not-stored", test_not_shown_not_stored);
  g_test_add_func("/evaluate/limit/unrenderable", test_unrenderable_limit);
  g_test_add_func("/evaluate/indicator-memo", test_indicator_memo);
  g_test_add_func("/evaluate/limit/indicator-memo", test_indicator_memo_limit);
  g_test_add_func("/evaluate/brand-warnings", test_brand_warnings);
  g_test_add_func("/evaluate/limit/brand-states", test_brand_states_limit);
  g_test_add_func("/evaluate/caution/learned", test_caution_learned);
  g_test_add_func("/evaluate/caution/brands-file", test_caution_brands_file);
  rc = g_test_run();
  bimi_test_origin_stop(origin);
  return rc;
}
