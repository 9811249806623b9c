/* evaluate/evaluate.c — the pipeline and the decision (DESIGN.md §1, §3
 * "decision", §4; spec/bimi-receiver.md §1).
 *
 * One message: RFC 5322 parse → FCrDNS of the client (RFC 8601 §2.7.3
 * iprev) → SPF of the MAIL FROM and HELO identities (RFC 7208 §2.3, §2.4) →
 * DKIM (RFC 6376) → ARC (RFC 8617) → DMARC (RFC 9989 / 7489, with the
 * trusted-sealer override of RFC 8617 §7.2.1) → BIMI discovery and the DMARC
 * gate (spec §3, §4) → logo and Evidence Document through the record cache
 * (evaluate-evidence.c) → the decision of [policy] → one RFC 8601
 * Authentication-Results value and the JSON of DESIGN.md §4
 * (evaluate-json.c). This file: the evaluator, the decision, domain status,
 * logos and metrics; evaluate-message.c runs one message through the pipeline.
 *
 * Every DNS question goes through the one resolver (libunbound caches
 * answers, so the DMARC records the gate reads again are not asked twice on
 * the wire); every fetch goes through the record cache, so a second
 * evaluation of the same brand fetches nothing.
 *
 * Inbound BIMI-Location, BIMI-Indicator and BIMI-Logo-Preference fields
 * (spec §9.2) are counted and ignored: nothing here reads them, and the
 * decision is this evaluation's own.
 *
 * Decision (DESIGN.md §3), first match wins:
 *   no usable RFC5322.From                          → none "no-from"
 *   DMARC temperror (no override)                   → none "temperror"
 *   DMARC none (no policy) / gate not enforcing     → none "dmarc-not-enforcing"
 *   DMARC fail or permerror (no override)           → none "dmarc-fail"
 *   client IP known, [policy] fcrdns = require,
 *     FCrDNS none or fail                           → none "no-fcrdns" (temperror → "temperror")
 *   discovery none / declined / fail / temperror    → "no-record" / "declined" / "invalid-record" / "temperror"
 *   valid VMC                                       → logo+checkmark "vmc"
 *   valid CMC                                       → logo "cmc" ([policy] cmc = none: none "cmc-not-shown")
 *   no a=, valid logo                               → none "evidence-missing"
 *                                                     ([policy] logo_without_evidence = logo: logo "logo-without-evidence")
 *   logo or evidence failure                        → none with the verdict's code
 */
#include "evaluate/evaluate-private.h"
#include "engine/base/base-mem.h"
#include "engine/base/base-names.h"
#include "engine/authres.h"
#include "engine/limits.h"
#include "engine/svg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

/* The GError carries the request field it is about (fcgi/ maps it to the error JSON's "field"). */
typedef struct {
  BimiEvaluateField field;
} BimiEvaluateErrorPrivate;

static void
bimi_evaluate_error_private_init(BimiEvaluateErrorPrivate *priv)
{
  priv->field = BIMI_EVALUATE_FIELD_NONE;
}

static void
bimi_evaluate_error_private_copy(const BimiEvaluateErrorPrivate *src, BimiEvaluateErrorPrivate *dest)
{
  dest->field = src->field;
}

static void
bimi_evaluate_error_private_clear(BimiEvaluateErrorPrivate *priv)
{
  (void) priv;
}

/* GLib's macro casts the const GError * it is given to guint8 *; clang's
 * -Wcast-qual (the fuzz build) refuses that inside the macro, not in our code. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wcast-qual"
G_DEFINE_EXTENDED_ERROR(BimiEvaluateError, bimi_evaluate_error)
#pragma GCC diagnostic pop

static const char *const field_names[] = {
  [BIMI_EVALUATE_FIELD_NONE] = NULL,          [BIMI_EVALUATE_FIELD_MESSAGE] = "message",
  [BIMI_EVALUATE_FIELD_IP] = "ip",            [BIMI_EVALUATE_FIELD_HELO] = "helo",
  [BIMI_EVALUATE_FIELD_MAIL_FROM] = "mail_from", [BIMI_EVALUATE_FIELD_DOMAIN] = "domain",
  [BIMI_EVALUATE_FIELD_SELECTOR] = "selector", [BIMI_EVALUATE_FIELD_HASH] = "hash",
  [BIMI_EVALUATE_FIELD_SIZE] = "size",
};

BIMI_DEFINE_NAME_TO_STRING(BimiEvaluateField, bimi_evaluate_field_to_string, field_names, NULL)

BimiEvaluateField
bimi_evaluate_error_get_field(const GError *error)
{
  const BimiEvaluateErrorPrivate *priv = error != NULL ? bimi_evaluate_error_get_private(error) : NULL;

  return priv != NULL ? priv->field : BIMI_EVALUATE_FIELD_NONE;
}

void
bimi_evaluate__set_field_error(GError **error, BimiEvaluateError code, BimiEvaluateField field, const char *format,
                               ...)
{
  va_list ap;
  g_autofree char *text = NULL;

  if (error == NULL)
    return;
  va_start(ap, format);
  text = g_strdup_vprintf(format, ap);
  va_end(ap);
  g_set_error(error, BIMI_EVALUATE_ERROR, code, "%s: %s", bimi_evaluate_field_to_string(field), text);
  bimi_evaluate_error_get_private(*error)->field = field;
}

const char *
bimi_decision_kind_to_string(BimiDecisionKind kind)
{
  switch (kind) {
  case BIMI_DECISION_LOGO:
    return "logo";
  case BIMI_DECISION_LOGO_CHECKMARK:
    return "logo+checkmark";
  case BIMI_DECISION_NONE:
    break;
  }
  return "none";
}

BIMI_DEFINE_FREE_FUNC(BimiDecision, bimi_decision_free, d)
{
  BIMI_FREE_ALL(d->reason, d->logo_sha256, d->authentication_results, d->json_text);
  if (d->json != NULL)
    json_node_unref(d->json);
  g_free(d->logo_alt);
  if (d->mark != NULL) {
    g_free(d->mark->certificate_type);
    g_free(d->mark->mark_type);
    g_free(d->mark->organization);
    g_free(d->mark->issuer);
    g_free(d->mark->not_after);
    g_free(d->mark);
  }
  BIMI_FREE_ALL(d->bimi_reason, d->indicator_detail, d->author_domain, d->selector, d->bimi_location,
                d->bimi_indicator);
  bimi_filter_outcome_free(d->filter);
  bimi_caution_match_free(d->caution);
}

void
bimi_evaluate__run_clear(BimiEvaluateRun *run)
{
  g_free(run->client_ip);
  g_free(run->helo);
  g_free(run->mail_from);
  g_free(run->envelope_source);
  g_clear_pointer(&run->rdns, bimi_rdns_result_free);
  g_clear_pointer(&run->spf, bimi_spf_result_free);
  g_clear_pointer(&run->spf_helo, bimi_spf_result_free);
  g_clear_pointer(&run->dkim, g_ptr_array_unref);
  g_clear_pointer(&run->arc, bimi_arc_chain_free);
  g_clear_pointer(&run->dmarc, bimi_dmarc_evaluation_free);
  g_free(run->own_authres_note);
  g_clear_pointer(&run->bimi, bimi_bimi_result_free);
  g_clear_pointer(&run->verdict, bimi_evaluate__verdict_free);
  g_free(run->authres);
  bimi_filter_outcome_free(run->filter);
  g_clear_pointer(&run->caution, bimi_caution_match_free);
  memset(run, 0, sizeof *run);
}

/* ---- the evaluator ----------------------------------------------------- */

/* The caches' clock: [testing] now when set (tests, the demo replaying old
 * certificates), else the wall clock. */
static gint64
evaluator_clock(gpointer user_data)
{
  const BimiEvaluator *ev = user_data;

  if (ev->config->testing_now != 0)
    return ev->config->testing_now * G_USEC_PER_SEC;
  return g_get_real_time();
}

gint64
bimi_evaluator_now(BimiEvaluator *ev)
{
  g_return_val_if_fail(ev != NULL, 0);
  return evaluator_clock(ev) / G_USEC_PER_SEC;
}

/* [render] worker_path, else `bimi` next to the running program (build/, or
 * PREFIX/bin for both programs), else in ../bin beside it: `make install` puts
 * bimi-fcgi in PREFIX/sbin and bimi in PREFIX/bin. */
static char *
worker_path(const BimiConfig *config)
{
  g_autofree char *exe = NULL, *dir = NULL, *beside = NULL, *bin = NULL;

  if (config->render_worker_path != NULL)
    return g_canonicalize_filename(config->render_worker_path, NULL);
  exe = g_file_read_link("/proc/self/exe", NULL);
  if (exe == NULL)
    return g_strdup("/usr/bin/bimi");
  dir = g_path_get_dirname(exe);
  beside = g_build_filename(dir, "bimi", NULL);
  if (g_file_test(beside, G_FILE_TEST_IS_EXECUTABLE))
    return g_steal_pointer(&beside);
  bin = g_build_filename(dir, "..", "bin", "bimi", NULL);
  if (g_file_test(bin, G_FILE_TEST_IS_EXECUTABLE))
    return g_canonicalize_filename(bin, NULL);
  return g_steal_pointer(&beside); /* the render pool reports that it cannot start it */
}

static BimiEvaluator *
setup_failed(BimiEvaluator *ev, GError **error, const char *component, GError *cause)
{
  g_set_error(error, BIMI_EVALUATE_ERROR, BIMI_EVALUATE_ERROR_SETUP, "%s: %s", component, cause->message);
  g_error_free(cause);
  bimi_evaluator_unref(ev);
  return NULL;
}

BimiEvaluator *
bimi_evaluator_new(BimiConfig *config, const char *host_name, GError **error)
{
  BimiEvaluator *ev;
  BimiDnsConfig dns = { 0 };
  BimiFetchConfig fetch = { 0 };
  BimiRecordCacheConfig cache = { 0 };
  BimiRenderPoolConfig render = { 0 };
  GError *local = NULL;
  g_autofree char *worker = NULL;
  const char *argv[3];

  g_return_val_if_fail(config != NULL, NULL);
  ev = g_atomic_rc_box_new0(BimiEvaluator);
  ev->config = bimi_config_ref(config);
  ev->authserv_id = g_strdup(config->auth_authserv_id != NULL ? config->auth_authserv_id : host_name);
  g_mutex_init(&ev->counters_lock);
  ev->counters = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  g_mutex_init(&ev->brands_lock);
  ev->brand_states = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  bimi_evaluate__logo_init(ev);
  bimi_evaluate__verdict_memo_init(ev);
  (void) bimi_evaluate_error_quark();
  if (ev->authserv_id == NULL || ev->authserv_id[0] == '\0') {
    g_set_error(error, BIMI_EVALUATE_ERROR, BIMI_EVALUATE_ERROR_SETUP,
                "[auth] authserv_id: empty, and the caller gave no host name to use instead");
    bimi_evaluator_unref(ev);
    return NULL;
  }

  if (!bimi_svg_init(&local))
    return setup_failed(ev, error, "[svg]", local);
  bimi_config_get_dns_config(config, &dns);
  ev->resolver = bimi_dns_resolver_new(&dns, &local);
  if (ev->resolver == NULL)
    return setup_failed(ev, error, "[dns]", local);
  ev->dkim_keys = bimi_dkim_key_cache_new(0);
  bimi_dkim_key_cache_set_verify_memo(ev->dkim_keys, config->auth_verify_memo_entries);
  ev->dmarc_records = bimi_dmarc_record_cache_new();
  bimi_config_get_fetch_config(config, &fetch);
  fetch.resolver = ev->resolver;  /* fetch hosts resolve through [dns] too (zone files, forwarders) */
  ev->fetcher = bimi_fetch_fetcher_new(&fetch, &local);
  if (ev->fetcher == NULL)
    return setup_failed(ev, error, "[fetch]", local);
  ev->trust = bimi_vmc_trust_new_from_files(config->trust_bimi_roots, config->trust_ct_logs, &local);
  if (ev->trust == NULL)
    return setup_failed(ev, error, "[trust]", local);
  bimi_config_get_record_cache_config(config, &cache, &ev->ttl_bounds);
  ev->records_backend = bimi_record_cache_backend_new_memory(config->cache_max_entries);
  if (config->cache_backend == BIMI_CONFIG_CACHE_REDIS) {
    BimiRedisConfig redis;
    bimi_config_get_redis_config(config, &redis);
    ev->redis = bimi_redis_new(&redis, &local);
    if (ev->redis == NULL) {
      bimi_record_cache_backend_free(ev->records_backend);
      return setup_failed(ev, error, "[cache] redis", local);
    }
    ev->records_backend = bimi_record_cache_backend_new_redis(ev->redis, ev->records_backend,
                                                              config->cache_redis_lock_ms);
  }
  ev->records = bimi_record_cache_new(ev->records_backend, &cache, evaluator_clock, ev);
  ev->store = bimi_logo_store_open(config->cache_dir, config->cache_max_bytes, evaluator_clock, ev, &local);
  if (ev->store == NULL)
    return setup_failed(ev, error, "[cache]", local);
  worker = worker_path(config);
  argv[0] = worker;
  argv[1] = "__render-worker";
  argv[2] = NULL;
  render.worker_argv = argv;
  render.n_workers = config->render_workers;
  render.deadline_ms = config->render_deadline_ms;
  render.sizes = config->render_sizes;
  render.n_sizes = config->render_n_sizes;
  ev->pool = bimi_render_pool_new(&render, &local);
  if (ev->pool == NULL)
    return setup_failed(ev, error, "[render]", local);
  ev->envelope_pool = g_thread_pool_new(bimi_evaluate__envelope_task_run, NULL, (gint) config->server_threads, FALSE, &local);
  if (ev->envelope_pool == NULL)
    return setup_failed(ev, error, "[server] threads", local);
  ev->render_options.sizes = config->render_sizes;
  ev->render_options.n_sizes = config->render_n_sizes;
  ev->render_options.deadline_ms = config->render_deadline_ms;
  if (config->report_db != NULL) {
    ev->recorder = bimi_report_recorder_new(config->report_db, config->report_queue_size, &local);
    if (ev->recorder == NULL)
      return setup_failed(ev, error, "[report] db", local);
  }
  if (!bimi_evaluate__caution_init(ev, &local))
    return setup_failed(ev, error, "[caution]", local);
  return ev;
}

/* ---- health (GET /bimi/v1/health) ---- */

static gboolean
cache_dir_writable(const char *dir, char **detail)
{
  g_autofree char *path = g_build_filename(dir, ".health-XXXXXX", NULL);
  int fd = g_mkstemp_full(path, O_RDWR | O_CLOEXEC, 0600);

  if (fd < 0) {
    *detail = g_strdup_printf("%s is not writable: %s", dir, g_strerror(errno));
    return FALSE;
  }
  close(fd);
  if (g_unlink(path) != 0) {
    *detail = g_strdup_printf("%s: cannot remove %s: %s", dir, path, g_strerror(errno));
    return FALSE;
  }
  *detail = g_strdup_printf("%s writable", dir);
  return TRUE;
}

gboolean
bimi_evaluator_check_health(BimiEvaluator *ev, BimiHealthResult out[BIMI_HEALTH_N_CHECKS])
{
  g_autoptr(GError) error = NULL;
  BimiHealthResult *r;
  guint n_roots, n_valid;
  gboolean all = TRUE;

  g_return_val_if_fail(ev != NULL && out != NULL, FALSE);

  r = &out[BIMI_HEALTH_RENDER_WORKER];
  r->name = "render_worker";
  r->ok = bimi_render_pool_check(ev->pool, &error);
  r->detail = r->ok ? g_strdup("a render worker runs") : g_strdup(error->message);
  g_clear_error(&error);

  r = &out[BIMI_HEALTH_TRUST_STORE];
  r->name = "trust_store";
  n_roots = bimi_vmc_trust_n_roots(ev->trust);
  n_valid = bimi_vmc_trust_n_roots_valid_at(ev->trust, bimi_evaluator_now(ev));
  r->ok = n_valid > 0;
  r->detail = g_strdup_printf("%u of %u trust anchors (%s) valid now", n_valid, n_roots, ev->config->trust_bimi_roots);

  r = &out[BIMI_HEALTH_CACHE_DIR];
  r->name = "cache_dir";
  r->ok = cache_dir_writable(ev->config->cache_dir, &r->detail);

  for (guint i = 0; i < BIMI_HEALTH_N_CHECKS; i++)
    all = all && out[i].ok;
  return all;
}

void
bimi_health_results_clear(BimiHealthResult *results, guint n)
{
  for (guint i = 0; i < n; i++)
    g_clear_pointer(&results[i].detail, g_free);
}

/* ---- --check-config ----------------------------------------------------- */

/* One problem of a component: "SOURCE: [group] message". */
static void
component_problem(GPtrArray *problems, const char *source, const char *group, GError *cause)
{
  g_ptr_array_add(problems, g_strdup_printf("%s: [%s] %s", source, group, cause->message));
}

/* TRUE when @path is a file this process can open for reading (else
 * bimi_config_check_paths() has reported it, and building on it would say the same twice). */
static gboolean
readable(const char *path)
{
  return path == NULL || (g_file_test(path, G_FILE_TEST_IS_REGULAR) && g_access(path, R_OK) == 0);
}

/* Builds a resolver from @dns; on failure adds the problem (when @report) and returns FALSE. */
static gboolean
try_resolver(const BimiDnsConfig *dns, const char *source, GPtrArray *problems, gboolean report)
{
  g_autoptr(GError) e = NULL;
  g_autoptr(BimiDnsResolver) r = bimi_dns_resolver_new(dns, &e);

  if (r == NULL && report)
    component_problem(problems, source, "dns", e);
  return r != NULL;
}

/* [dns]: the resolver as the start builds it; when that fails, each forwarder,
 * zone file and the trust anchor alone, so that every bad one is named. */
static void
check_dns(const BimiConfig *config, const char *source, GPtrArray *problems)
{
  BimiDnsConfig all, one;
  guint before = problems->len;
  gboolean files_ok = readable(config->dns_trust_anchor);

  bimi_config_get_dns_config(config, &all);
  for (gsize i = 0; all.zone_files != NULL && all.zone_files[i] != NULL; i++)
    files_ok = files_ok && readable(all.zone_files[i]);
  if (files_ok && try_resolver(&all, source, problems, FALSE))
    return;
  for (gsize i = 0; all.forwarders != NULL && all.forwarders[i] != NULL; i++) {
    const char *only[] = { all.forwarders[i], NULL };
    one = (BimiDnsConfig){ .forwarders = only, .timeout_ms = all.timeout_ms };
    try_resolver(&one, source, problems, TRUE);
  }
  for (gsize i = 0; all.zone_files != NULL && all.zone_files[i] != NULL; i++) {
    const char *only[] = { all.zone_files[i], NULL };
    one = (BimiDnsConfig){ .zone_files = only, .timeout_ms = all.timeout_ms };
    if (readable(all.zone_files[i]))
      try_resolver(&one, source, problems, TRUE);
  }
  if (all.trust_anchor_file != NULL && readable(all.trust_anchor_file)) {
    one = (BimiDnsConfig){ .trust_anchor_file = all.trust_anchor_file, .timeout_ms = all.timeout_ms };
    try_resolver(&one, source, problems, TRUE);
  }
  if (files_ok && problems->len == before) /* each alone is fine: the combination is the problem */
    try_resolver(&all, source, problems, TRUE);
}

static gboolean
try_fetcher(const BimiFetchConfig *fetch, const char *source, GPtrArray *problems, gboolean report)
{
  g_autoptr(GError) e = NULL;
  BimiFetcher *f = bimi_fetch_fetcher_new(fetch, &e);
  gboolean ok = f != NULL;

  if (!ok && report)
    component_problem(problems, source, "fetch", e);
  g_clear_pointer(&f, bimi_fetch_fetcher_free);
  return ok;
}

/* [fetch]: the fetcher as the start builds it; when that fails, each resolve
 * pin and connect_to entry alone. */
static void
check_fetch(const BimiConfig *config, const char *source, GPtrArray *problems)
{
  BimiFetchConfig all, one;
  guint before = problems->len;
  gboolean files_ok = readable(config->fetch_ca_file);

  bimi_config_get_fetch_config(config, &all);
  if (!files_ok)
    all.ca_file = NULL; /* reported by bimi_config_check_paths() */
  if (try_fetcher(&all, source, problems, FALSE))
    return;
  for (gsize i = 0; all.resolve != NULL && all.resolve[i] != NULL; i++) {
    const char *only[] = { all.resolve[i], NULL };
    one = all;
    one.resolve = only;
    one.connect_to = NULL;
    try_fetcher(&one, source, problems, TRUE);
  }
  for (gsize i = 0; all.connect_to != NULL && all.connect_to[i] != NULL; i++) {
    const char *only[] = { all.connect_to[i], NULL };
    one = all;
    one.resolve = NULL;
    one.connect_to = only;
    try_fetcher(&one, source, problems, TRUE);
  }
  if (problems->len == before)
    try_fetcher(&all, source, problems, TRUE);
}

gboolean
bimi_evaluator_check_config(const BimiConfig *config, const char *source, GPtrArray *problems)
{
  g_autoptr(GError) e = NULL;
  guint before;

  g_return_val_if_fail(config != NULL && source != NULL && problems != NULL, FALSE);
  before = problems->len;
  bimi_config_check_paths(config, source, problems);
  if (!bimi_svg_init(&e))
    component_problem(problems, source, "svg", e);
  g_clear_error(&e);
  check_dns(config, source, problems);
  check_fetch(config, source, problems);
  if (readable(config->trust_bimi_roots) && readable(config->trust_ct_logs)) {
    g_autoptr(BimiVmcTrust) trust = bimi_vmc_trust_new_from_files(config->trust_bimi_roots, config->trust_ct_logs, &e);
    if (trust == NULL)
      component_problem(problems, source, "trust", e);
    g_clear_error(&e);
  }
  if (readable(config->caution_brands_file) && readable(config->caution_stop_words_file))
    bimi_evaluate__caution_check_config(config, source, problems);
  if (config->render_worker_path == NULL) {
    /* The default worker, `bimi` next to this program (bimi_config_check_paths() checks a configured one). */
    g_autofree char *worker = worker_path(config);
    if (!g_file_test(worker, G_FILE_TEST_IS_EXECUTABLE))
      g_ptr_array_add(problems, g_strdup_printf("%s: [render] worker_path is empty and %s (the render worker) is "
                                                "not an executable file: set worker_path", source, worker));
  }
  return problems->len == before;
}

/* What the last reference releases; g_atomic_rc_box_release_full() frees the box. */
BIMI_DEFINE_ATOMIC_RC_FUNCS(BimiEvaluator, bimi_evaluator, ev)
{
  g_clear_pointer(&ev->recorder, bimi_report_recorder_free); /* writes what is queued */
  if (ev->envelope_pool != NULL)
    g_thread_pool_free(g_steal_pointer(&ev->envelope_pool), FALSE, TRUE);
  g_clear_pointer(&ev->pool, bimi_render_pool_free);
  g_clear_pointer(&ev->store, bimi_logo_store_free);
  bimi_evaluate__logo_clear(ev);
  bimi_evaluate__verdict_memo_clear(ev);
  g_clear_pointer(&ev->brands, bimi_brand_registry_free); /* before the records: it uses their backend */
  g_clear_pointer(&ev->records, bimi_record_cache_free);
  g_clear_pointer(&ev->redis, bimi_redis_unref);
  g_clear_pointer(&ev->trust, bimi_vmc_trust_unref);
  g_clear_pointer(&ev->fetcher, bimi_fetch_fetcher_free);
  g_clear_pointer(&ev->resolver, bimi_dns_resolver_unref);
  g_clear_pointer(&ev->dkim_keys, bimi_dkim_key_cache_free);
  g_clear_pointer(&ev->dmarc_records, bimi_dmarc_record_cache_free);
  bimi_config_unref(ev->config);
  g_free(ev->authserv_id);
  g_clear_pointer(&ev->counters, g_hash_table_destroy);
  g_mutex_clear(&ev->counters_lock);
  g_clear_pointer(&ev->brand_states, g_hash_table_destroy);
  g_mutex_clear(&ev->brands_lock);
}

BimiConfig *
bimi_evaluator_get_config(BimiEvaluator *ev)
{
  g_return_val_if_fail(ev != NULL, NULL);
  return ev->config;
}

/* ---- the decision ------------------------------------------------------ */

/* The stable codes, in BimiDecisionReason order (the JSON and the API spell them so). */
static const char *const reason_names[] = {
  [BIMI_DECISION_REASON_VMC] = "vmc",
  [BIMI_DECISION_REASON_CMC] = "cmc",
  [BIMI_DECISION_REASON_LOGO_WITHOUT_EVIDENCE] = "logo-without-evidence",
  [BIMI_DECISION_REASON_NO_FROM] = "no-from",
  [BIMI_DECISION_REASON_DMARC_FAIL] = "dmarc-fail",
  [BIMI_DECISION_REASON_DMARC_NOT_ENFORCING] = "dmarc-not-enforcing",
  [BIMI_DECISION_REASON_NO_FCRDNS] = "no-fcrdns",
  [BIMI_DECISION_REASON_NO_RECORD] = "no-record",
  [BIMI_DECISION_REASON_DECLINED] = "declined",
  [BIMI_DECISION_REASON_INVALID_RECORD] = "invalid-record",
  [BIMI_DECISION_REASON_SVG_INVALID] = "svg-invalid",
  [BIMI_DECISION_REASON_SVG_UNRENDERABLE] = "svg-unrenderable",
  [BIMI_DECISION_REASON_LOGO_FETCH_FAILED] = "logo-fetch-failed",
  [BIMI_DECISION_REASON_EVIDENCE_FETCH_FAILED] = "evidence-fetch-failed",
  [BIMI_DECISION_REASON_EVIDENCE_INVALID] = "evidence-invalid",
  [BIMI_DECISION_REASON_EVIDENCE_MISSING] = "evidence-missing",
  [BIMI_DECISION_REASON_LOGO_MISMATCH] = "logo-mismatch",
  [BIMI_DECISION_REASON_CMC_NOT_SHOWN] = "cmc-not-shown",
  [BIMI_DECISION_REASON_TEMPERROR] = "temperror",
};
G_STATIC_ASSERT(G_N_ELEMENTS(reason_names) == BIMI_DECISION_REASON_TEMPERROR + 1);

const char *
bimi_decision_reason_to_string(BimiDecisionReason reason)
{
  g_return_val_if_fail((guint) reason < G_N_ELEMENTS(reason_names), "temperror");
  return reason_names[reason];
}

BIMI_DEFINE_NAME_FROM_STRING(BimiDecisionReason, bimi_decision_reason_from_string, reason_names, BIMI_NAMES_EXACT)

static void
set_decision(BimiEvaluateRun *run, BimiDecisionKind kind, BimiDecisionReason reason)
{
  run->kind = kind;
  run->reason = reason;
  run->temperror = reason == BIMI_DECISION_REASON_TEMPERROR;
}

/* The verdict's detail as an A-R reason: '"' and '\\' become "'" and '/', so
 * the quoted-string needs no quoted-pair (RFC 5322 §3.2.4), which some
 * readers (python3-authres) keep escaped instead of unquoting. (transfer full) */
static char *
authres_reason(const char *detail)
{
  char *r = g_strdup(detail);

  for (char *p = r; *p != '\0'; p++) {
    if (*p == '"')
      *p = '\'';
    else if (*p == '\\')
      *p = '/';
  }
  return r;
}

/* The verdict into the decision, and into the bimi= result of the A-R
 * (spec §9.1: pass only when the indicator validated; policy.authority). */
static void
decide_verdict(BimiEvaluator *ev, BimiEvaluateRun *run)
{
  const BimiConfig *c = ev->config;
  BimiEvaluateVerdict *v = run->verdict;
  BimiBimiResult *r = run->bimi;
  BimiDecisionReason reason;
  g_autofree char *comment = NULL;

  r->authority = v->authority;
  switch (v->kind) {
  case BIMI_EVALUATE_VERDICT_VMC:
    set_decision(run, BIMI_DECISION_LOGO_CHECKMARK, BIMI_DECISION_REASON_VMC);
    return;
  case BIMI_EVALUATE_VERDICT_CMC:
    if (c->policy_show_cmc)
      set_decision(run, BIMI_DECISION_LOGO, BIMI_DECISION_REASON_CMC);
    else
      set_decision(run, BIMI_DECISION_NONE, BIMI_DECISION_REASON_CMC_NOT_SHOWN);
    return;
  case BIMI_EVALUATE_VERDICT_NO_EVIDENCE:
    if (c->policy_logo_without_evidence)
      set_decision(run, BIMI_DECISION_LOGO, BIMI_DECISION_REASON_LOGO_WITHOUT_EVIDENCE);
    else
      set_decision(run, BIMI_DECISION_NONE, BIMI_DECISION_REASON_EVIDENCE_MISSING);
    return;
  case BIMI_EVALUATE_VERDICT_FAIL:
    break;
  }
  reason = v->reason;
  set_decision(run, BIMI_DECISION_NONE, reason);
  comment = authres_reason(v->detail);
  if (v->temperror) {
    bimi_bimi_result_set(r, BIMI_BIMI_RESULT_TEMPERROR, BIMI_BIMI_REASON_FETCH_TEMPERROR, comment);
  } else {
    gboolean indicator = reason == BIMI_DECISION_REASON_SVG_INVALID || reason == BIMI_DECISION_REASON_LOGO_FETCH_FAILED ||
                         reason == BIMI_DECISION_REASON_SVG_UNRENDERABLE;
    bimi_bimi_result_set(r, BIMI_BIMI_RESULT_FAIL, indicator ? BIMI_BIMI_REASON_INDICATOR : BIMI_BIMI_REASON_EVIDENCE,
                         comment);
  }
}

void
bimi_evaluate__decide(BimiEvaluator *ev, BimiEvaluateRun *run, gboolean dmarc_overridden, gint64 now)
{
  const BimiConfig *c = ev->config;
  const BimiDmarcEvaluation *d = run->dmarc;
  const BimiBimiResult *r = run->bimi;
  guint ttl = c->cache_max_ttl;

  if (d->author_domain == NULL || bimi_bimi_reason_is_from(r->reason_id)) {
    set_decision(run, BIMI_DECISION_NONE, BIMI_DECISION_REASON_NO_FROM);
  } else if (d->result == BIMI_DMARC_RESULT_TEMPERROR && !dmarc_overridden) {
    set_decision(run, BIMI_DECISION_NONE, BIMI_DECISION_REASON_TEMPERROR);
  } else if (d->result == BIMI_DMARC_RESULT_NONE && !dmarc_overridden) {
    set_decision(run, BIMI_DECISION_NONE, BIMI_DECISION_REASON_DMARC_NOT_ENFORCING);
  } else if (d->result != BIMI_DMARC_RESULT_PASS && !dmarc_overridden) {
    set_decision(run, BIMI_DECISION_NONE, BIMI_DECISION_REASON_DMARC_FAIL);
  } else if (r->code == BIMI_BIMI_RESULT_TEMPERROR) {
    set_decision(run, BIMI_DECISION_NONE, BIMI_DECISION_REASON_TEMPERROR);
  } else if (r->code == BIMI_BIMI_RESULT_SKIPPED) {
    /* what is left of skipped: the enforcement gate (spec §4 steps 7–9) */
    set_decision(run, BIMI_DECISION_NONE,
                 r->reason_id == BIMI_BIMI_REASON_DMARC_TEMPERROR ? BIMI_DECISION_REASON_TEMPERROR
                                                                 : BIMI_DECISION_REASON_DMARC_NOT_ENFORCING);
  } else if (run->rdns != NULL && c->policy_require_fcrdns && run->rdns->result != BIMI_RDNS_RESULT_PASS) {
    set_decision(run, BIMI_DECISION_NONE,
                 run->rdns->result == BIMI_RDNS_RESULT_TEMPERROR ? BIMI_DECISION_REASON_TEMPERROR
                                                                 : BIMI_DECISION_REASON_NO_FCRDNS);
  } else if (r->code == BIMI_BIMI_RESULT_NONE) {
    set_decision(run, BIMI_DECISION_NONE, BIMI_DECISION_REASON_NO_RECORD);
  } else if (r->code == BIMI_BIMI_RESULT_DECLINED) {
    set_decision(run, BIMI_DECISION_NONE, BIMI_DECISION_REASON_DECLINED);
  } else if (r->code == BIMI_BIMI_RESULT_FAIL || run->verdict == NULL) {
    set_decision(run, BIMI_DECISION_NONE, BIMI_DECISION_REASON_INVALID_RECORD);
  } else {
    decide_verdict(ev, run);
  }

  /* ttl: the smallest life of what the answer rests on */
  if (run->temperror) {
    ttl = MIN(ttl, BIMI_EVALUATE_TEMPERROR_TTL_S);
  } else {
    if (r->ttl > 0)
      ttl = MIN(ttl, r->ttl);
    if (run->verdict != NULL && run->verdict->expires_at > 0)
      ttl = (guint) MIN((gint64) ttl, MAX(run->verdict->expires_at - now, 0));
    else if (run->kind == BIMI_DECISION_NONE)
      ttl = MIN(ttl, c->cache_negative_ttl);
  }
  run->ttl = ttl;
}

/* The header form of a decision that shows a logo (BIMI draft §7.7, spec/bimi-receiver.md §9.2): the
 * BIMI-Location value naming the validated l= and a= URIs, and BIMI-Indicator, the base64 of the
 * validated (uncompressed) SVG as the logo store holds it. Both NULL for none, or when the store no
 * longer has the SVG. */
static void
header_form(BimiEvaluator *ev, const BimiEvaluateRun *run, gint64 now, char **location, char **indicator)
{
  const BimiEvaluateVerdict *v = run->verdict;
  GString *loc;

  *location = *indicator = NULL;
  if (run->domain_status || run->kind == BIMI_DECISION_NONE || v == NULL || v->sha256 == NULL)
    return;
  *indicator = bimi_evaluate__indicator_base64(ev, v->sha256, now);
  if (*indicator == NULL)
    return;
  loc = g_string_new("v=BIMI1");
  if (v->location != NULL)
    g_string_append_printf(loc, "; l=%s", v->location);
  if (v->evidence != NULL)
    g_string_append_printf(loc, "; a=%s", v->evidence);
  *location = g_string_free(loc, FALSE);
}

/* The metrics of one evaluation: its decision, and the authentication results it rests on. */
static void
count_run(BimiEvaluator *ev, const BimiEvaluateRun *run)
{
  bimi_evaluate__count(ev, BIMI_EVALUATE_METRIC_DECISIONS, bimi_decision_kind_to_string(run->kind),
                       bimi_decision_reason_to_string(run->reason));
  if (run->temperror)
    bimi_evaluate__count(ev, BIMI_EVALUATE_METRIC_TEMPERRORS, NULL, NULL);
  if (run->domain_status)
    return;
  /* No client IP: FCrDNS was not run, which is "none" for the no-PTR share too. */
  bimi_evaluate__count(ev, BIMI_EVALUATE_METRIC_AUTH_RESULTS, "fcrdns",
                       run->rdns != NULL ? bimi_rdns_result_to_string(run->rdns->result) : "none");
  if (run->spf != NULL)
    bimi_evaluate__count(ev, BIMI_EVALUATE_METRIC_AUTH_RESULTS, "spf", bimi_spf_result_to_string(run->spf->result));
  for (guint i = 0; run->dkim != NULL && i < run->dkim->len; i++) {
    const BimiDkimSignature *sig = g_ptr_array_index(run->dkim, i);
    bimi_evaluate__count(ev, BIMI_EVALUATE_METRIC_AUTH_RESULTS, "dkim", bimi_dkim_result_to_string(sig->result));
  }
  if (run->dkim != NULL && run->dkim->len == 0)
    bimi_evaluate__count(ev, BIMI_EVALUATE_METRIC_AUTH_RESULTS, "dkim", "none");
  if (run->dmarc != NULL)
    bimi_evaluate__count(ev, BIMI_EVALUATE_METRIC_AUTH_RESULTS, "dmarc", bimi_dmarc_result_to_string(run->dmarc->result));
  if (run->filter != NULL) {
    bimi_evaluate__count(ev, BIMI_EVALUATE_METRIC_FILTER_ACTIONS, "recommended",
                         bimi_filter_action_to_string(run->filter->recommended));
    bimi_evaluate__count(ev, BIMI_EVALUATE_METRIC_FILTER_ACTIONS, "applied",
                         bimi_filter_action_to_string(run->filter->applied));
  }
}

JsonNode *
bimi_decision_get_json(BimiDecision *d)
{
  g_return_val_if_fail(d != NULL && d->json_text != NULL, NULL);
  if (d->json == NULL)
    d->json = json_from_string(d->json_text, NULL);
  return d->json;
}

BimiDecision *
bimi_evaluate__finish(BimiEvaluator *ev, BimiEvaluateRun *run, gint64 now)
{
  BimiDecision *d = g_new0(BimiDecision, 1);

  d->kind = run->kind;
  d->reason = g_strdup(bimi_decision_reason_to_string(run->reason));
  d->reason_id = run->reason;
  d->ttl = run->ttl;
  d->temperror = run->temperror;
  if (run->kind != BIMI_DECISION_NONE && run->verdict != NULL)
    d->logo_sha256 = g_strdup(run->verdict->sha256);
  d->authentication_results = g_strdup(run->authres);
  if (run->verdict != NULL) {
    const BimiEvaluateVerdict *v = run->verdict;
    if (d->logo_sha256 != NULL)
      d->logo_alt = g_strdup(v->title);
    d->indicator_detail = g_strdup(v->detail);
    if (v->cert_type != NULL) {
      d->mark = g_new0(BimiDecisionMark, 1);
      d->mark->certificate_type = g_strdup(v->cert_type);
      d->mark->mark_type = g_strdup(v->mark_type);
      d->mark->organization = g_strdup(v->organization);
      d->mark->issuer = g_strdup(v->issuer);
      d->mark->not_after = v->not_after_text[0] != '\0' ? g_strdup(v->not_after_text) : NULL;
    }
  }
  if (run->bimi != NULL) {
    d->has_bimi = TRUE;
    d->bimi_result = run->bimi->code;
    d->bimi_reason = g_strdup(run->bimi->reason);
    d->author_domain = g_strdup(run->bimi->author_domain);
    d->selector = g_strdup(run->bimi->record_selector != NULL ? run->bimi->record_selector : run->bimi->selector);
  }
  if (d->author_domain == NULL && run->dmarc != NULL)
    d->author_domain = g_strdup(run->dmarc->author_domain);
  header_form(ev, run, now, &d->bimi_location, &d->bimi_indicator);
  if (run->started_us > 0) {
    gint64 total = g_get_monotonic_time() - run->started_us;
    d->fetch_ms = (double) run->evidence_us / 1000.0;
    d->dns_ms = (double) MAX(total - run->evidence_us, 0) / 1000.0;
  }
  d->json_text = bimi_evaluate__build_json(ev, run, d->bimi_location, d->bimi_indicator);
  /* the survey's facts, as bimi_evaluate__build_json() wrote them */
  if (!run->domain_status && run->rdns != NULL) {
    d->auth.has_rdns = TRUE;
    d->auth.rdns = run->rdns->result;
  }
  if (!run->domain_status && run->dmarc != NULL) {
    d->auth.has_dmarc = TRUE;
    d->auth.dmarc = run->dmarc->result;
    d->auth.has_requested_policy = run->dmarc->has_policy;
    d->auth.requested_policy = run->dmarc->requested_policy;
    d->auth.has_dmarc_record = run->dmarc->record != NULL;
    d->auth.disposition = run->dmarc->disposition;
    d->auth.arc_override = run->dmarc->arc_override;
  }
  d->auth.has_bimi_record = run->bimi != NULL && (run->bimi->record_text != NULL || run->bimi->record != NULL);
  d->caution = g_steal_pointer(&run->caution);
  count_run(ev, run);
  d->filter = g_steal_pointer(&run->filter);
  bimi_evaluate__run_clear(run);
  return d;
}

BimiDecision *
bimi_evaluate__internal_error(BimiEvaluateRun *run, GError **error, const char *what, const GError *cause)
{
  g_set_error(error, BIMI_EVALUATE_ERROR, BIMI_EVALUATE_ERROR_INTERNAL, "%s: %s", what, cause->message);
  bimi_evaluate__run_clear(run);
  return NULL;
}

/* The logo flow when discovery found a usable record. */
void
bimi_evaluate__run_evidence(BimiEvaluator *ev, BimiEvaluateRun *run, gint64 now)
{
  const BimiBimiResult *r = run->bimi;

  if (r->code != BIMI_BIMI_RESULT_PASS || r->record == NULL || r->record_domain == NULL)
    return;
  if (r->record->location == NULL && r->record->evidence == NULL)
    return;
  gint64 t0 = g_get_monotonic_time();
  run->verdict = bimi_evaluate__evidence(ev, r->record_domain, r->record_selector ? r->record_selector : r->selector,
                                         r->record->location, r->record->evidence, r->ttl, now);
  run->evidence_us += g_get_monotonic_time() - t0;
}

/* ---- a domain without a message ---------------------------------------- */

static char *
normalise_domain(const char *domain)
{
  g_autofree char *ascii = NULL;
  char *lower;
  gsize n;

  if (domain == NULL || *domain == '\0' || strlen(domain) > 253 * 4)
    return NULL;
  ascii = g_hostname_to_ascii(domain);
  if (ascii == NULL || *ascii == '\0' || g_hostname_is_ip_address(ascii))
    return NULL;
  lower = g_ascii_strdown(ascii, -1);
  n = strlen(lower);
  if (n > 1 && lower[n - 1] == '.')
    lower[--n] = '\0';
  if (n == 0 || n > 253 || strchr(lower, '.') == NULL || lower[0] == '.') {
    g_free(lower);
    return NULL;
  }
  return lower;
}

BimiDecision *
bimi_evaluator_domain_status(BimiEvaluator *ev, const char *domain_in, const char *selector_in, gint64 now,
                             GError **error)
{
  BimiEvaluateRun run = { 0 };
  g_autofree char *domain = normalise_domain(domain_in);
  g_autofree char *selector = NULL;
  g_autoptr(GError) local = NULL;
  BimiDmarcOptions opts = { ev->config->policy_dmarc, ev->dmarc_records };
  BimiDmarcMessageInput input;
  BimiBimiResult *r;
  const BimiDmarcEvaluation *d;

  g_return_val_if_fail(ev != NULL, NULL);
  if (domain == NULL) {
    bimi_evaluate__set_field_error(error, BIMI_EVALUATE_ERROR_ARGUMENT, BIMI_EVALUATE_FIELD_DOMAIN, "not a domain name");
    return NULL;
  }
  selector = g_ascii_strdown(selector_in ? selector_in : "default", -1);
  if (!bimi_bimi_selector_is_valid(selector, strlen(selector))) {
    bimi_evaluate__set_field_error(error, BIMI_EVALUATE_ERROR_ARGUMENT, BIMI_EVALUATE_FIELD_SELECTOR,
                                   "not a selector (dot-separated LDH labels)");
    return NULL;
  }
  bimi_evaluate__count(ev, BIMI_EVALUATE_METRIC_EVALUATIONS, "domain", NULL);
  run.domain_status = TRUE;
  run.started_us = g_get_monotonic_time();

  /* a message From: @domain whose DMARC passed through an aligned DKIM d=@domain */
  bimi_dmarc_message_input_init_domain(&input, domain);
  run.dmarc = bimi_dmarc_evaluate_message(ev->resolver, &opts, &input, &local);
  bimi_dmarc_message_input_clear(&input);
  if (run.dmarc == NULL)
    return bimi_evaluate__internal_error(&run, error, "dmarc", local);
  d = run.dmarc;
  r = run.bimi = bimi_bimi_result_new_for_domain(domain, selector, d);
  if (d->result == BIMI_DMARC_RESULT_PASS) {
    r->gate = bimi_bimi_dmarc_gate(NULL, d);
    if (bimi_bimi_result_apply_gate(r)) {
      /* the gate refused: r holds its outcome */
    } else if (!bimi_bimi_discover(ev->resolver, selector, domain, r->org_domain, NULL, r, &local)) {
      r->code = BIMI_BIMI_RESULT_FAIL;
      g_free(r->reason);
      r->reason = g_strdup(local->message);
    }
  }
  bimi_evaluate__run_evidence(ev, &run, now);
  bimi_evaluate__decide(ev, &run, FALSE, now);
  return bimi_evaluate__finish(ev, &run, now);
}

/* ---- logos ------------------------------------------------------------- */

GBytes *
bimi_evaluator_logo_svg(BimiEvaluator *ev, const char *hash, GError **error)
{
  g_autoptr(GError) local = NULL;
  GBytes *svg;

  g_return_val_if_fail(ev != NULL, NULL);
  if (!bimi_logo_store_hash_is_valid(hash)) {
    bimi_evaluate__set_field_error(error, BIMI_EVALUATE_ERROR_ARGUMENT, BIMI_EVALUATE_FIELD_HASH,
                                   "not 64 lowercase hex digits");
    return NULL;
  }
  svg = bimi_logo_store_get_svg(ev->store, hash, &local);
  if (svg == NULL && local == NULL && bimi_evaluate__logo_from_fleet(ev, hash))
    svg = bimi_logo_store_get_svg(ev->store, hash, &local);
  if (svg == NULL) {
    if (local != NULL)
      g_set_error(error, BIMI_EVALUATE_ERROR, BIMI_EVALUATE_ERROR_INTERNAL, "logo store: %s", local->message);
    else
      g_set_error(error, BIMI_EVALUATE_ERROR, BIMI_EVALUATE_ERROR_NOT_FOUND, "no logo %s", hash);
  }
  return svg;
}

static GBytes *
render_in_pool(GBytes *svg, guint px, gpointer user_data, GError **error)
{
  BimiEvaluator *ev = user_data;
  return bimi_render_pool_render(ev->pool, svg, px, error);
}

GBytes *
bimi_evaluator_logo_png(BimiEvaluator *ev, const char *hash, guint px, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autofree char *why = NULL;
  gint64 now;
  GBytes *png;

  g_return_val_if_fail(ev != NULL, NULL);
  if (!bimi_logo_store_hash_is_valid(hash)) {
    bimi_evaluate__set_field_error(error, BIMI_EVALUATE_ERROR_ARGUMENT, BIMI_EVALUATE_FIELD_HASH,
                                   "not 64 lowercase hex digits");
    return NULL;
  }
  if (!bimi_render_size_allowed(&ev->render_options, px)) {
    bimi_evaluate__set_field_error(error, BIMI_EVALUATE_ERROR_ARGUMENT, BIMI_EVALUATE_FIELD_SIZE,
                                   "%u is not one of [render] sizes", px);
    return NULL;
  }
  /* A logo that failed to render is a cached verdict: not rendered again
   * (each attempt costs a worker up to its deadline) until it expires. */
  now = bimi_evaluator_now(ev);
  if (bimi_evaluate__unrenderable_lookup(ev, hash, now, &why)) {
    g_set_error(error, BIMI_EVALUATE_ERROR, BIMI_EVALUATE_ERROR_NOT_FOUND, "logo %s %s", hash, why);
    return NULL;
  }
  png = bimi_logo_store_get_or_render_png(ev->store, hash, px, render_in_pool, ev,
                                          2 * ev->config->render_deadline_ms, &local);
  if (png == NULL && local == NULL && bimi_evaluate__logo_from_fleet(ev, hash))
    png = bimi_logo_store_get_or_render_png(ev->store, hash, px, render_in_pool, ev,
                                            2 * ev->config->render_deadline_ms, &local);
  if (png == NULL) {
    if (bimi_render_error_is_input(local)) {
      why = g_strdup_printf("cannot be rendered at %u px: %s", px, local->message);
      bimi_evaluate__unrenderable_note(ev, hash, now, why);
      g_set_error(error, BIMI_EVALUATE_ERROR, BIMI_EVALUATE_ERROR_NOT_FOUND, "logo %s %s", hash, why);
    } else if (local != NULL && bimi_evaluate__unrenderable_lookup(ev, hash, now, &why)) {
      /* we waited for another request's render of it, which failed */
      g_set_error(error, BIMI_EVALUATE_ERROR, BIMI_EVALUATE_ERROR_NOT_FOUND, "logo %s %s", hash, why);
    } else if (local != NULL) {
      g_set_error(error, BIMI_EVALUATE_ERROR, BIMI_EVALUATE_ERROR_INTERNAL, "render: %s", local->message);
    } else {
      g_set_error(error, BIMI_EVALUATE_ERROR, BIMI_EVALUATE_ERROR_NOT_FOUND, "no logo %s", hash);
    }
  }
  return png;
}

/* ---- metrics (Prometheus text exposition format 0.0.4) -----------------
 *
 * One family per thing, each a row of metric_families: name, type, help and
 * label names. Labelled counters are counted with bimi_evaluate__count() into
 * one table (family, label values) → count; the stats of the caches, the
 * render pool and the resolver are turned into series of the same families
 * when scraped. A family is printed (HELP and TYPE) even before its first
 * sample, so dashboards and alerts can name it from the start. */

typedef struct {
  const char *name;
  const char *type;
  const char *help;
  const char *labels[2];  /* label names, NULL when fewer */
} MetricFamily;

static const MetricFamily metric_families[BIMI_EVALUATE_N_METRICS] = {
  [BIMI_EVALUATE_METRIC_EVALUATIONS] = { "bimi_evaluations_total", "counter",
    "Evaluations run: kind message (POST /evaluate, bimi evaluate) or domain (domain status).", { "kind", NULL } },
  [BIMI_EVALUATE_METRIC_DECISIONS] = { "bimi_decisions_total", "counter",
    "Decisions by kind (none, logo, logo+checkmark) and stable reason code.", { "decision", "reason" } },
  [BIMI_EVALUATE_METRIC_TEMPERRORS] = { "bimi_decision_temperrors_total", "counter",
    "Decisions some input of which could not be evaluated now (retry later).", { NULL, NULL } },
  [BIMI_EVALUATE_METRIC_AUTH_RESULTS] = { "bimi_auth_results_total", "counter",
    "Authentication results of evaluated messages: method fcrdns, spf, dkim (one per signature), dmarc.",
    { "method", "result" } },
  [BIMI_EVALUATE_METRIC_FILTER_ACTIONS] = { "bimi_filter_actions_total", "counter",
    "Consent-aware filtering of evaluated messages: the action recommended (DMARC disposition, no-PTR) and the "
    "action applied under the user's consent, by stage (recommended, applied) and action (deliver, quarantine, reject).",
    { "stage", "action" } },
  [BIMI_EVALUATE_METRIC_DNS_ANSWERS] = { "bimi_dns_answers_total", "counter",
    "DNS answers by result (noerror, nodata, nxdomain, temperror).", { "result", NULL } },
  [BIMI_EVALUATE_METRIC_DNS_TIMEOUTS] = { "bimi_dns_timeouts_total", "counter",
    "DNS questions that timed out (a temperror answer).", { NULL, NULL } },
  [BIMI_EVALUATE_METRIC_DNS_QUESTIONS] = { "bimi_dns_questions_total", "counter",
    "Questions handed to libunbound (answers not in the in-process cache).", { NULL, NULL } },
  [BIMI_EVALUATE_METRIC_ENVELOPE_INLINE] = { "bimi_envelope_inline_total", "counter",
    "Envelope checks (FCrDNS, SPF) run inline because their DNS answers were cached.", { NULL, NULL } },
  [BIMI_EVALUATE_METRIC_VALIDATIONS] = { "bimi_indicator_validations_total", "counter",
    "Logo and evidence validations run (record-cache misses).", { NULL, NULL } },
  [BIMI_EVALUATE_METRIC_FETCHES] = { "bimi_fetches_total", "counter",
    "HTTPS fetches by kind (logo, evidence) and outcome (ok, not-modified, or the failure reason).",
    { "kind", "outcome" } },
  [BIMI_EVALUATE_METRIC_CERT_VERDICTS] = { "bimi_certificate_verdicts_total", "counter",
    "Evidence Document verdicts by certificate type and verdict (valid, or the first failed check).",
    { "type", "verdict" } },
  [BIMI_EVALUATE_METRIC_CACHE_LOOKUPS] = { "bimi_cache_lookups_total", "counter",
    "Cache lookups by cache (record, logo_store, unrenderable, dns) and result (hit, negative_hit, stale, miss, wait).",
    { "cache", "result" } },
  [BIMI_EVALUATE_METRIC_CACHE_ENTRIES] = { "bimi_cache_entries", "gauge", "Entries (files) in a cache now.",
    { "cache", NULL } },
  [BIMI_EVALUATE_METRIC_CACHE_BYTES] = { "bimi_cache_bytes", "gauge", "Bytes in a cache now.", { "cache", NULL } },
  [BIMI_EVALUATE_METRIC_CACHE_EVICTIONS] = { "bimi_cache_evictions_total", "counter",
    "Entries evicted by a cache's size bound.", { "cache", NULL } },
  [BIMI_EVALUATE_METRIC_CACHE_WRITES] = { "bimi_cache_writes_total", "counter", "Files written to a cache.",
    { "cache", NULL } },
  [BIMI_EVALUATE_METRIC_RENDERS] = { "bimi_renders_total", "counter",
    "PNG renders in the worker pool by outcome (ok, failed).", { "outcome", NULL } },
  [BIMI_EVALUATE_METRIC_RENDER_PROBES] = { "bimi_render_probes_total", "counter",
    "First renders of a logo before a decision shows it.", { NULL, NULL } },
  [BIMI_EVALUATE_METRIC_RENDER_WORKERS] = { "bimi_render_worker_events_total", "counter",
    "Render worker processes: spawned, died (replaced), died_idle, deadline_killed, retried (requests resent).",
    { "event", NULL } },
  [BIMI_EVALUATE_METRIC_UNRENDERABLE] = { "bimi_logos_unrenderable_total", "counter",
    "Logos judged unrenderable (deadline, memory, librsvg error): decision none, svg-unrenderable.", { NULL, NULL } },
  /* issue 19: brand-impersonation caution */
  [BIMI_EVALUATE_METRIC_CAUTIONS] = { "bimi_cautions_total", "counter",
    "Decisions with a caution (a claimed, unauthenticated brand) by signal: display-name, lookalike-domain, both.",
    { "signal", NULL } },
  [BIMI_EVALUATE_METRIC_CAUTION_BRANDS] = { "bimi_caution_brands", "gauge",
    "Brands a message is checked against, by source: operator ([caution] brands_file) or learned (VMC/CMC).",
    { "source", NULL } },
  [BIMI_EVALUATE_METRIC_CAUTION_REGISTRY] = { "bimi_caution_registry_events_total", "counter",
    "Brand registry events: learned, expired (notAfter), evicted (max_learned_brands), shared_read, "
    "shared_write, shared_invalid (the shared value did not parse).", { "event", NULL } },
  /* [cache] backend = redis (issue 18): samples only with that backend */
  [BIMI_EVALUATE_METRIC_REDIS_UP] = { "bimi_cache_redis_up", "gauge",
    "1 while the shared Redis answers, 0 while this node serves from memory.", { NULL, NULL } },
  [BIMI_EVALUATE_METRIC_REDIS_DOWNS] = { "bimi_cache_redis_down_total", "counter",
    "Times Redis became unavailable (fallback to node memory).", { NULL, NULL } },
  [BIMI_EVALUATE_METRIC_REDIS_RECOVERIES] = { "bimi_cache_redis_recoveries_total", "counter",
    "Times Redis became reachable again.", { NULL, NULL } },
  [BIMI_EVALUATE_METRIC_REDIS_FALLBACKS] = { "bimi_cache_redis_fallbacks_total", "counter",
    "Cache operations served from node memory because Redis was unavailable.", { NULL, NULL } },
  [BIMI_EVALUATE_METRIC_REDIS_ERRORS] = { "bimi_cache_redis_errors_total", "counter",
    "Redis connects or commands that failed.", { NULL, NULL } },
  [BIMI_EVALUATE_METRIC_REDIS_COMMANDS] = { "bimi_cache_redis_commands_total", "counter", "Redis commands sent.",
    { NULL, NULL } },
  [BIMI_EVALUATE_METRIC_REDIS_INVALID_VALUES] = { "bimi_cache_redis_invalid_values_total", "counter",
    "Values in Redis that were truncated or not ours, treated as misses.", { NULL, NULL } },
  [BIMI_EVALUATE_METRIC_REDIS_REMOTE_HITS] = { "bimi_cache_redis_remote_hits_total", "counter",
    "Record-cache entries read from Redis (stored by another node or fresher there).", { NULL, NULL } },
  [BIMI_EVALUATE_METRIC_REDIS_LOCK_WAITS] = { "bimi_cache_redis_lock_waits_total", "counter",
    "Cold lookups that waited for another node's single-flight lock.", { NULL, NULL } },
  [BIMI_EVALUATE_METRIC_REDIS_WAIT_TIMEOUTS] = { "bimi_cache_redis_wait_timeouts_total", "counter",
    "Waits for another node that ran past [cache] wait_ms (this node fetched itself).", { NULL, NULL } },
  [BIMI_EVALUATE_METRIC_REDIS_LOGOS] = { "bimi_cache_redis_logos_total", "counter",
    "Logo SVGs taken from Redis into this node's store.", { NULL, NULL } },
};

/* The key of one series in ev->counters: family index, then the label values, 0x1f-separated. */
static char *
series_key(BimiEvaluateMetric m, const char *l1, const char *l2)
{
  return g_strdup_printf("%02d\x1f%s\x1f%s", (int) m, l1 != NULL ? l1 : "", l2 != NULL ? l2 : "");
}

static void
count_add(BimiEvaluator *ev, BimiEvaluateMetric metric, const char *label1, const char *label2, guint64 add)
{
  /* the series key as series_key() writes it, on the stack when it fits: a counter is bumped
   * several times per request, a key is allocated only for a new series (issue 21) */
  char buf[256];
  gsize l1 = label1 != NULL ? strlen(label1) : 0, l2 = label2 != NULL ? strlen(label2) : 0;
  g_autofree char *heap = NULL;
  const char *key = buf;
  guint64 *n;

  g_return_if_fail(ev != NULL && (guint) metric < BIMI_EVALUATE_N_METRICS);
  if (l1 + l2 + 5 <= sizeof buf) {
    buf[0] = (char) ('0' + (int) metric / 10);
    buf[1] = (char) ('0' + (int) metric % 10);
    buf[2] = '\x1f';
    memcpy(buf + 3, label1 != NULL ? label1 : "", l1);
    buf[3 + l1] = '\x1f';
    memcpy(buf + 4 + l1, label2 != NULL ? label2 : "", l2);
    buf[4 + l1 + l2] = '\0';
  } else {
    key = heap = series_key(metric, label1, label2);
  }
  g_mutex_lock(&ev->counters_lock);
  n = g_hash_table_lookup(ev->counters, key);
  if (n == NULL) {
    n = g_new0(guint64, 1);
    g_hash_table_insert(ev->counters, g_strdup(key), n);
  }
  *n += add;
  g_mutex_unlock(&ev->counters_lock);
}

void
bimi_evaluate__count(BimiEvaluator *ev, BimiEvaluateMetric metric, const char *label1, const char *label2)
{
  count_add(ev, metric, label1, label2, 1);
}

void
bimi_evaluate__count_declare(BimiEvaluator *ev, BimiEvaluateMetric metric, const char *label1, const char *label2)
{
  count_add(ev, metric, label1, label2, 0);
}

/* One sample line of family @m. */
static void
append_series(GString *out, BimiEvaluateMetric m, const char *l1, const char *l2, guint64 value)
{
  const MetricFamily *f = &metric_families[m];

  g_string_append(out, f->name);
  if (f->labels[0] != NULL) {
    g_autofree char *v1 = g_strescape(l1 != NULL ? l1 : "", NULL);
    g_string_append_printf(out, "{%s=\"%s\"", f->labels[0], v1);
    if (f->labels[1] != NULL) {
      g_autofree char *v2 = g_strescape(l2 != NULL ? l2 : "", NULL);
      g_string_append_printf(out, ",%s=\"%s\"", f->labels[1], v2);
    }
    g_string_append_c(out, '}');
  }
  g_string_append_printf(out, " %" G_GUINT64_FORMAT "\n", value);
}

typedef struct {
  char *key;      /* series_key() */
  guint64 value;
} Series;

static gint
series_cmp(gconstpointer a, gconstpointer b)
{
  return strcmp(((const Series *) a)->key, ((const Series *) b)->key);
}

static void
series_clear(gpointer p)
{
  g_free(((Series *) p)->key);
}

/* A series computed at scrape time (from stats), beside the counted ones. */
static void
add_series(GArray *all, BimiEvaluateMetric m, const char *l1, const char *l2, guint64 value)
{
  Series s = { series_key(m, l1, l2), value };
  g_array_append_val(all, s);
}

/* [cache] backend = redis (issue 18): the fleet cache's state and fallbacks. */
static void
add_redis_series(BimiEvaluator *ev, GArray *all)
{
  BimiRedisStats rs;
  BimiRedisBackendStats bs;

  bimi_redis_get_stats(ev->redis, &rs);
  bimi_record_cache_backend_redis_stats(ev->records_backend, &bs);
  add_series(all, BIMI_EVALUATE_METRIC_REDIS_UP, NULL, NULL, rs.up ? 1 : 0);
  add_series(all, BIMI_EVALUATE_METRIC_REDIS_DOWNS, NULL, NULL, rs.downs);
  add_series(all, BIMI_EVALUATE_METRIC_REDIS_RECOVERIES, NULL, NULL, rs.recoveries);
  add_series(all, BIMI_EVALUATE_METRIC_REDIS_FALLBACKS, NULL, NULL, rs.fallbacks);
  add_series(all, BIMI_EVALUATE_METRIC_REDIS_ERRORS, NULL, NULL, rs.errors);
  add_series(all, BIMI_EVALUATE_METRIC_REDIS_COMMANDS, NULL, NULL, rs.commands);
  add_series(all, BIMI_EVALUATE_METRIC_REDIS_INVALID_VALUES, NULL, NULL, rs.invalid_values);
  add_series(all, BIMI_EVALUATE_METRIC_REDIS_REMOTE_HITS, NULL, NULL, bs.remote_hits);
  add_series(all, BIMI_EVALUATE_METRIC_REDIS_LOCK_WAITS, NULL, NULL, bs.lock_waits);
  add_series(all, BIMI_EVALUATE_METRIC_REDIS_WAIT_TIMEOUTS, NULL, NULL, bs.wait_timeouts);
  add_series(all, BIMI_EVALUATE_METRIC_REDIS_LOGOS, NULL, NULL, (guint64) g_atomic_int_get(&ev->n_fleet_logos));
}

void
bimi_evaluator_append_metrics(BimiEvaluator *ev, GString *out)
{
  BimiRecordCacheStats rc;
  BimiLogoStoreStats ls;
  BimiRenderPoolStats rp;
  BimiDnsStats dns;
  g_autoptr(GArray) all = g_array_new(FALSE, FALSE, sizeof(Series));
  GHashTableIter it;
  gpointer key, value;
  guint i = 0;

  g_return_if_fail(ev != NULL && out != NULL);
  g_array_set_clear_func(all, series_clear);
  g_mutex_lock(&ev->counters_lock);
  g_hash_table_iter_init(&it, ev->counters);
  while (g_hash_table_iter_next(&it, &key, &value)) {
    Series s = { g_strdup(key), *(guint64 *) value };
    g_array_append_val(all, s);
  }
  g_mutex_unlock(&ev->counters_lock);

  bimi_dns_resolver_get_stats(ev->resolver, &dns);
  for (BimiDnsStatus st = BIMI_DNS_NOERROR; st <= BIMI_DNS_TEMPERROR; st++) {
    g_autofree char *lower = g_ascii_strdown(bimi_dns_status_to_string(st), -1);
    add_series(all, BIMI_EVALUATE_METRIC_DNS_ANSWERS, lower, NULL, dns.answers[st]);
  }
  add_series(all, BIMI_EVALUATE_METRIC_DNS_TIMEOUTS, NULL, NULL, dns.timeouts);
  {
    BimiDnsCacheStats dc;
    bimi_dns_resolver_get_cache_stats(ev->resolver, &dc);
    add_series(all, BIMI_EVALUATE_METRIC_CACHE_LOOKUPS, "dns", "hit", dc.hits);
    add_series(all, BIMI_EVALUATE_METRIC_CACHE_LOOKUPS, "dns", "miss", dc.misses);
    add_series(all, BIMI_EVALUATE_METRIC_CACHE_ENTRIES, "dns", NULL, dc.entries);
    add_series(all, BIMI_EVALUATE_METRIC_DNS_QUESTIONS, NULL, NULL, dc.questions);
  }
  add_series(all, BIMI_EVALUATE_METRIC_ENVELOPE_INLINE, NULL, NULL, (guint64) g_atomic_int_get(&ev->n_envelope_inline));
  add_series(all, BIMI_EVALUATE_METRIC_VALIDATIONS, NULL, NULL, (guint64) g_atomic_int_get(&ev->n_validations));

  bimi_record_cache_get_stats(ev->records, &rc);
  add_series(all, BIMI_EVALUATE_METRIC_CACHE_LOOKUPS, "record", "hit", rc.hits);
  add_series(all, BIMI_EVALUATE_METRIC_CACHE_LOOKUPS, "record", "negative_hit", rc.negative_hits);
  add_series(all, BIMI_EVALUATE_METRIC_CACHE_LOOKUPS, "record", "stale", rc.stale_hits);
  add_series(all, BIMI_EVALUATE_METRIC_CACHE_LOOKUPS, "record", "miss", rc.misses);
  add_series(all, BIMI_EVALUATE_METRIC_CACHE_LOOKUPS, "record", "wait", rc.waits);
  add_series(all, BIMI_EVALUATE_METRIC_CACHE_ENTRIES, "record", NULL, rc.entries);
  add_series(all, BIMI_EVALUATE_METRIC_CACHE_EVICTIONS, "record", NULL, rc.evictions);
  if (ev->redis != NULL)
    add_redis_series(ev, all);
  bimi_logo_store_get_stats(ev->store, &ls);
  add_series(all, BIMI_EVALUATE_METRIC_CACHE_LOOKUPS, "logo_store", "hit", ls.hits);
  add_series(all, BIMI_EVALUATE_METRIC_CACHE_LOOKUPS, "logo_store", "miss", ls.misses);
  add_series(all, BIMI_EVALUATE_METRIC_CACHE_ENTRIES, "logo_store", NULL, ls.files);
  add_series(all, BIMI_EVALUATE_METRIC_CACHE_BYTES, "logo_store", NULL, ls.bytes);
  add_series(all, BIMI_EVALUATE_METRIC_CACHE_EVICTIONS, "logo_store", NULL, ls.evictions);
  add_series(all, BIMI_EVALUATE_METRIC_CACHE_WRITES, "logo_store", NULL, ls.writes);
  add_series(all, BIMI_EVALUATE_METRIC_CACHE_LOOKUPS, "unrenderable", "hit",
             (guint64) g_atomic_int_get(&ev->n_unrenderable_hits));
  bimi_render_pool_get_stats(ev->pool, &rp);
  add_series(all, BIMI_EVALUATE_METRIC_RENDERS, "ok", NULL, rp.requests - MIN(rp.failures, rp.requests));
  add_series(all, BIMI_EVALUATE_METRIC_RENDERS, "failed", NULL, rp.failures);
  add_series(all, BIMI_EVALUATE_METRIC_RENDER_PROBES, NULL, NULL, (guint64) g_atomic_int_get(&ev->n_probes));
  add_series(all, BIMI_EVALUATE_METRIC_RENDER_WORKERS, "spawned", NULL, rp.spawned);
  add_series(all, BIMI_EVALUATE_METRIC_RENDER_WORKERS, "died", NULL, rp.deaths);
  add_series(all, BIMI_EVALUATE_METRIC_RENDER_WORKERS, "died_idle", NULL, rp.idle_deaths);
  add_series(all, BIMI_EVALUATE_METRIC_RENDER_WORKERS, "deadline_killed", NULL, rp.deadline_kills);
  add_series(all, BIMI_EVALUATE_METRIC_RENDER_WORKERS, "retried", NULL, rp.retries);
  add_series(all, BIMI_EVALUATE_METRIC_UNRENDERABLE, NULL, NULL, (guint64) g_atomic_int_get(&ev->n_unrenderable));
  bimi_evaluate__caution_metrics(ev, add_series, all);

  /* Family by family (the key starts with the family index), label values sorted within. */
  g_array_sort(all, series_cmp);
  for (int m = 0; m < BIMI_EVALUATE_N_METRICS; m++) {
    const MetricFamily *f = &metric_families[m];
    g_string_append_printf(out, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name, f->type);
    for (; i < all->len; i++) {
      const Series *s = &g_array_index(all, Series, i);
      g_auto(GStrv) parts = g_strsplit(s->key, "\x1f", 3);
      if ((int) g_ascii_strtoull(parts[0], NULL, 10) != m)
        break;
      append_series(out, (BimiEvaluateMetric) m, parts[1], parts[2], s->value);
    }
  }
  /* report/: the DMARC report records (bimi_report_records_total, bimi_report_queue_length) */
  bimi_report_recorder_append_metrics(ev->recorder, out);
}
