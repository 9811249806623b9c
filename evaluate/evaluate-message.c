/* evaluate/evaluate-message.c — one message through the pipeline (DESIGN.md §1;
 * the decision rules are in evaluate.c's header comment).
 *
 * RFC 5322 parse (engine/message) and the envelope checks → FCrDNS of the
 * client (RFC 8601 §2.7.3 iprev) and SPF of the MAIL FROM and HELO
 * identities (RFC 7208 §2.3, §2.4), on the evaluator's envelope pool while
 * this thread verifies DKIM (RFC 6376) and ARC (RFC 8617) → DMARC (RFC 9989 /
 * RFC 7489) with the trusted-sealer override (RFC 8617 §7.2.1) → BIMI
 * discovery (spec §3, §4; the override counts as a pass only with [policy]
 * bimi_accept_arc_override) → logo and evidence (evaluate-evidence.c) → the
 * decision → one Authentication-Results value (RFC 8601 §2.2, §2.7; bimi= per
 * spec §9.1) → the consent-aware filter (evaluate/filter.h, issue 17: written
 * after the A-R, which never depends on the consent) → the report record of
 * the applied disposition ([report] db).
 *
 * Envelope: the request's; when it has none and [auth] trusted_receivers is
 * set, the topmost Received field written by one of them (engine/received).
 *
 * [auth] trust_own_authres: when engine/authres-trust finds our own A-R that
 * the sender cannot have forged and it says dmarc=pass for the Author Domain,
 * that verdict counts as a DMARC pass for BIMI (the message may have been
 * verified at delivery, before a DKIM key rotated); DMARC is still evaluated
 * (the enforcement gate needs the records) and reported, with
 * auth.dmarc.source = "trusted-authres".
 *
 * Inbound BIMI-Location, BIMI-Indicator and BIMI-Logo-Preference fields (spec
 * §9.2) are counted and otherwise ignored: nothing reads them.
 */
#include "evaluate/evaluate-private.h"
#include "engine/authres.h"
#include "engine/authres-trust.h"
#include "engine/limits.h"
#include "engine/received.h"

#include <string.h>

/* ---- the Authentication-Results value (RFC 8601 §2.7) ------------------ */

static char *
build_authres(BimiEvaluator *ev, const BimiEvaluateRun *run)
{
  const char *id = ev->authserv_id;
  g_autoptr(BimiAuthres) ar = bimi_authres_new(id);
  const BimiDmarcEvaluation *d = run->dmarc;
  BimiAuthresResult *r;

  if (run->rdns != NULL) {
    /* RFC 8601 §2.7.3: no PTR is permerror; no forward match is fail */
    const char *res = run->rdns->result == BIMI_RDNS_RESULT_PASS        ? "pass"
                      : run->rdns->result == BIMI_RDNS_RESULT_TEMPERROR ? "temperror"
                      : run->rdns->result == BIMI_RDNS_RESULT_NONE      ? "permerror"
                                                                        : "fail";
    r = bimi_authres_add_result(ar, "iprev", res);
    bimi_authres_result_add_property(r, "policy", "iprev", run->rdns->ip);
  }
  if (run->spf != NULL)
    bimi_spf_result_add_authres(run->spf, ar);
  else
    bimi_authres_add_result(ar, "spf", "none");
  if (run->spf_helo != NULL)
    bimi_spf_result_add_authres(run->spf_helo, ar);
  bimi_dkim_signatures_add_authres(run->dkim, ar);
  bimi_arc_chain_add_authres(run->arc, ar, run->client_ip);
  bimi_dmarc_evaluation_add_authres(d, ar);
  bimi_bimi_result_add_authres(run->bimi, ar);
  return bimi_authres_to_string(ar);
}


/* ---- one message ------------------------------------------------------- */

static gboolean
envelope_text_ok(const char *s, gsize max)
{
  gsize n = strlen(s);

  if (n > max || !g_utf8_validate(s, (gssize) n, NULL))
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if ((guchar) s[i] <= 0x20 || s[i] == 0x7f)
      return FALSE;
  return TRUE;
}

static gboolean
check_envelope(BimiEvaluateRun *run, const BimiEnvelope *env, GInetAddress **out_ip, GError **error)
{
  if (env == NULL)
    return TRUE;
  if (env->client_ip != NULL) {
    *out_ip = g_inet_address_new_from_string(env->client_ip);
    if (*out_ip == NULL) {
      bimi_evaluate__set_field_error(error, BIMI_EVALUATE_ERROR_ENVELOPE, BIMI_EVALUATE_FIELD_IP,
                                     "not an IPv4 or IPv6 address");
      return FALSE;
    }
    run->client_ip = g_inet_address_to_string(*out_ip);
  }
  if (env->helo != NULL && *env->helo != '\0') {
    if (!envelope_text_ok(env->helo, BIMI_EVALUATE_MAX_HELO_BYTES)) {
      bimi_evaluate__set_field_error(error, BIMI_EVALUATE_ERROR_ENVELOPE, BIMI_EVALUATE_FIELD_HELO,
                                     "not a host name or address literal of at most %u bytes",
                                     BIMI_EVALUATE_MAX_HELO_BYTES);
      return FALSE;
    }
    run->helo = g_strdup(env->helo);
  }
  if (env->mail_from != NULL) {
    if (!envelope_text_ok(env->mail_from, BIMI_SPF_MAX_SENDER_BYTES)) {
      bimi_evaluate__set_field_error(error, BIMI_EVALUATE_ERROR_ENVELOPE, BIMI_EVALUATE_FIELD_MAIL_FROM,
                                     "not an address of at most %u bytes without spaces or controls",
                  BIMI_SPF_MAX_SENDER_BYTES);
      return FALSE;
    }
    run->mail_from = g_strdup(env->mail_from);
  }
  if (run->client_ip != NULL || run->helo != NULL || run->mail_from != NULL)
    run->envelope_source = g_strdup("request");
  return TRUE;
}

/* SPF (RFC 7208 §2.3, §2.4): the MAIL FROM identity (HELO's postmaster for a
 * null path) for DMARC, and the HELO identity on its own when both are known. */
static gboolean
run_spf(BimiEvaluator *ev, BimiEvaluateRun *run, GInetAddress *ip, gint64 now, GError **error)
{
  BimiSpfOptions opts = { 0 };
  g_autoptr(GError) local = NULL;

  opts.now = now;
  opts.receiver = ev->config->auth_authserv_id;
  if (run->helo == NULL && (run->mail_from == NULL || *run->mail_from == '\0'))
    return TRUE; /* nothing to check: spf=none */
  run->spf = bimi_spf_check(ev->resolver, ip, run->helo, run->mail_from, &opts, &local);
  if (run->spf == NULL) {
    bimi_evaluate__set_field_error(error, BIMI_EVALUATE_ERROR_ENVELOPE,
                                   run->mail_from && *run->mail_from ? BIMI_EVALUATE_FIELD_MAIL_FROM
                                                                     : BIMI_EVALUATE_FIELD_HELO,
                                   "%s", local->message);
    return FALSE;
  }
  run->spf_helo = bimi_spf_check_helo(ev->resolver, ip, run->helo, run->spf, &opts);
  return TRUE;
}

static BimiDmarcEvaluation *
run_dmarc(BimiEvaluator *ev, BimiEvaluateRun *run, const BimiMessage *msg, GError **error)
{
  BimiDmarcOptions opts = { ev->config->policy_dmarc, ev->dmarc_records };
  BimiDmarcMessageInput input;
  BimiDmarcEvaluation *d;

  bimi_dmarc_message_input_init(&input, msg, run->spf, run->spf_helo, run->helo, run->dkim);
  d = bimi_dmarc_evaluate_message(ev->resolver, &opts, &input, error);
  bimi_dmarc_message_input_clear(&input);
  return d;
}

/* FCrDNS and SPF need only the envelope and the resolver: they run on the
 * evaluator's envelope pool while this thread verifies DKIM and ARC, so the
 * two sets of DNS questions overlap. The task writes run->rdns, ->spf and
 * ->spf_helo; the caller reads them only after envelope_task_wait(). */
typedef struct {
  BimiEvaluator *ev;
  BimiEvaluateRun *run;
  GInetAddress *ip;
  gint64 now;
  GError *error;
  gboolean done;
  GMutex lock;
  GCond cond;
} EnvelopeTask;

void
bimi_evaluate__envelope_task_run(gpointer data, gpointer pool_data)
{
  EnvelopeTask *t = data;
  BimiRdnsPolicy policy = BIMI_RDNS_POLICY_DEFAULT;
  GError *error = NULL;

  policy.no_ptr_action = t->ev->config->policy_no_ptr_action;
  t->run->rdns = bimi_rdns_check(t->ev->resolver, t->ip, &policy, &error);
  if (t->run->rdns == NULL) {
    GError *wrapped = g_error_new(BIMI_EVALUATE_ERROR, BIMI_EVALUATE_ERROR_INTERNAL, "rdns: %s", error->message);
    g_error_free(error);
    error = wrapped;
  } else {
    (void) run_spf(t->ev, t->run, t->ip, t->now, &error);
  }
  g_mutex_lock(&t->lock);
  t->error = error;
  t->done = TRUE;
  g_cond_signal(&t->cond);
  g_mutex_unlock(&t->lock);
}

static gboolean
envelope_task_wait(EnvelopeTask *t, GError **error)
{
  g_mutex_lock(&t->lock);
  while (!t->done)
    g_cond_wait(&t->cond, &t->lock);
  g_mutex_unlock(&t->lock);
  g_mutex_clear(&t->lock);
  g_cond_clear(&t->cond);
  if (t->error != NULL) {
    g_propagate_error(error, t->error);
    t->error = NULL;
    return FALSE;
  }
  return TRUE;
}

/* Whether the envelope task would find its first DNS answers in the
 * resolver's answer cache: the PTR of the client (FCrDNS), the TXT of the
 * MAIL FROM domain (or the HELO name for a null path) and of the HELO name
 * (SPF). Then it costs microseconds and runs inline: a hand-off to the pool
 * would cost more in wake-ups than it overlaps. The later questions (the
 * PTR names' addresses, SPF mechanisms) were asked by the evaluation that
 * filled the cache and live as long; a miss among them only waits inline. */
static gboolean
envelope_cached(BimiEvaluator *ev, const BimiEvaluateRun *run, GInetAddress *ip)
{
  g_autofree char *reverse = bimi_dns_reverse_name(ip);
  const char *at;

  if (!bimi_dns_resolver_is_cached(ev->resolver, reverse, BIMI_DNS_TYPE_PTR))
    return FALSE;
  if (run->mail_from != NULL && (at = strrchr(run->mail_from, '@')) != NULL && at[1] != '\0' &&
      !bimi_dns_resolver_is_cached(ev->resolver, at + 1, BIMI_DNS_TYPE_TXT))
    return FALSE;
  return run->helo == NULL || bimi_dns_resolver_is_cached(ev->resolver, run->helo, BIMI_DNS_TYPE_TXT) ||
         g_hostname_is_ip_address(run->helo) || run->helo[0] == '[';
}

/* The envelope of the topmost hop of one of our own receivers, when the
 * request brought none (DESIGN.md §4 "Envelope"). */
static gboolean
envelope_from_received(BimiEvaluator *ev, BimiEvaluateRun *run, const BimiMessage *msg, GInetAddress **ip,
                       GError **error)
{
  g_autofree char *rip = NULL, *rhelo = NULL, *rfrom = NULL;
  g_autoptr(GError) local = NULL;
  BimiEnvelope env;

  if (ev->config->auth_trusted_receivers == NULL || ev->config->auth_trusted_receivers[0] == NULL)
    return TRUE;
  if (!bimi_received_envelope(msg, (const char *const *) ev->config->auth_trusted_receivers, &rip, &rhelo, &rfrom,
                              &local)) {
    if (local == NULL)
      return TRUE; /* no trusted hop: rdns and spf stay none */
    bimi_evaluate__set_field_error(error, BIMI_EVALUATE_ERROR_MESSAGE, BIMI_EVALUATE_FIELD_MESSAGE, "%s", local->message);
    return FALSE;
  }
  env.client_ip = rip;
  env.helo = rhelo;
  env.mail_from = rfrom;
  if (!check_envelope(run, &env, ip, &local)) {
    bimi_evaluate__set_field_error(error, BIMI_EVALUATE_ERROR_MESSAGE, BIMI_EVALUATE_FIELD_MESSAGE, "Received envelope: %s",
                local->message);
    return FALSE;
  }
  g_free(run->envelope_source);
  run->envelope_source = g_strdup("received");
  return TRUE;
}

/* Our own A-R (one the sender cannot forge) says dmarc=pass for @author. */
/* [auth] trust_own_authres: our own A-R's dmarc= verdict for the Author Domain, when
 * engine/authres-trust finds one the sender cannot have forged. Returns FALSE when
 * there is none (then the fresh evaluation stands); with several, a non-pass wins. */
static gboolean
own_authres_dmarc(BimiEvaluator *ev, BimiEvaluateRun *run, const BimiMessage *msg, const char *author,
                  BimiDmarcResult *out)
{
  static const struct { const char *name; BimiDmarcResult result; } names[] = {
    { "pass", BIMI_DMARC_RESULT_PASS }, { "fail", BIMI_DMARC_RESULT_FAIL }, { "none", BIMI_DMARC_RESULT_NONE },
    { "temperror", BIMI_DMARC_RESULT_TEMPERROR }, { "permerror", BIMI_DMARC_RESULT_PERMERROR },
  };
  const BimiConfig *c = ev->config;
  const char *id = ev->authserv_id;
  g_autoptr(BimiAuthres) own = NULL;
  gboolean found = FALSE;

  if (!c->auth_trust_own_authres || author == NULL)
    return FALSE;
  own = bimi_authres_trusted_own(msg, id, c->auth_own_signing_domain, c->auth_mta_strips_authres, run->dkim,
                                 &run->own_authres_note);
  for (guint i = 0; own != NULL && i < own->results->len; i++) {
    const BimiAuthresResult *r = g_ptr_array_index(own->results, i);
    const char *from = bimi_authres_result_get_property(r, "header", "from");
    if (g_ascii_strcasecmp(r->method, "dmarc") != 0 || from == NULL || g_ascii_strcasecmp(from, author) != 0)
      continue;
    for (gsize k = 0; k < G_N_ELEMENTS(names); k++) {
      if (g_ascii_strcasecmp(r->result, names[k].name) == 0 && (!found || *out == BIMI_DMARC_RESULT_PASS)) {
        *out = names[k].result;
        found = TRUE;
      }
    }
  }
  return found;
}

/* Consent-aware filtering (issue 17, evaluate/filter.h): what the DMARC result (overrides applied) and the
 * FCrDNS result recommend, and what @consent lets the service apply. */
static void
run_filter(BimiEvaluator *ev, BimiEvaluateRun *run, guint consent)
{
  BimiFilterInput in = { 0 };

  in.dmarc = run->dmarc;
  in.rdns = run->rdns;
  in.no_ptr_action = ev->config->filter_no_ptr;
  in.consent_from_request = consent != BIMI_FILTER_CONSENT_DEFAULT;
  in.consent = in.consent_from_request ? consent : ev->config->filter_default_consent;
  run->filter = bimi_filter_evaluate(&in);
}

/* [report] db: the DMARC outcome of this message, queued for the aggregate reports (issue 15). The
 * disposition recorded is the one applied under the user's consent (filter.applied; RFC 9990
 * ActionDispositionType); a recommended action left unapplied for lack of consent is said in the
 * local_policy comment. */
static void
record_for_report(BimiEvaluator *ev, const BimiEvaluateRun *run, const BimiMessage *msg, gint64 now)
{
  BimiReportEvaluationInput in = { 0 };
  g_autofree char *comment = NULL;
  const BimiFilterOutcome *f = run->filter;

  if (ev->recorder == NULL || run->dmarc == NULL)
    return;
  in.message = bimi_message_get_canonical(msg);
  in.body_offset = bimi_message_get_body_offset(msg);
  in.client_ip = run->client_ip;
  in.helo = run->helo;
  in.mail_from = run->mail_from;
  in.dmarc = run->dmarc;
  in.spf = run->spf;
  in.dkim = run->dkim;
  in.applied = f->applied == BIMI_FILTER_ACTION_REJECT       ? BIMI_DMARC_POLICY_REJECT
               : f->applied == BIMI_FILTER_ACTION_QUARANTINE ? BIMI_DMARC_POLICY_QUARANTINE
                                                              : BIMI_DMARC_POLICY_NONE;
  if (f->recommended != f->applied) {
    g_autofree char *consent = bimi_filter_consent_to_string(f->consent);
    comment = g_strdup_printf("%s recommended, not applied without the user's consent (consent: %s)",
                              bimi_filter_action_to_string(f->recommended), consent);
  } else if (f->applied != BIMI_FILTER_ACTION_DELIVER) {
    g_autofree char *consent = bimi_filter_consent_to_string(f->consent);
    comment = g_strdup_printf("%s applied with the user's consent (consent: %s)",
                              bimi_filter_action_to_string(f->applied), consent);
  }
  in.applied_comment = comment;
  in.now = now;
  bimi_report_recorder_submit_evaluation(ev->recorder, &in);
}

BimiDecision *
bimi_evaluator_evaluate(BimiEvaluator *ev, GBytes *message, const BimiEnvelope *envelope, gint64 now,
                        GError **error)
{
  return bimi_evaluator_evaluate_with_consent(ev, message, envelope, BIMI_FILTER_CONSENT_DEFAULT, now, error);
}

BimiDecision *
bimi_evaluator_evaluate_with_consent(BimiEvaluator *ev, GBytes *message, const BimiEnvelope *envelope, guint consent,
                                     gint64 now, GError **error)
{
  BimiEvaluateRun run = { 0 };
  g_autoptr(BimiMessage) msg = NULL;
  g_autoptr(GInetAddress) ip = NULL;
  g_autoptr(GError) local = NULL;
  gboolean arc_trusted = FALSE, own_pass, overridden, task_pending = FALSE;
  BimiBimiInput bimi_input = { 0 };
  EnvelopeTask task = { 0 };

  g_return_val_if_fail(ev != NULL && message != NULL, NULL);
  bimi_evaluate__count(ev, BIMI_EVALUATE_METRIC_EVALUATIONS, "message", NULL);
  run.started_us = g_get_monotonic_time();

  msg = bimi_message_parse(message, &local);
  if (msg == NULL) {
    bimi_evaluate__set_field_error(error, BIMI_EVALUATE_ERROR_MESSAGE, BIMI_EVALUATE_FIELD_MESSAGE, "%s", local->message);
    return NULL;
  }
  if (!check_envelope(&run, envelope, &ip, error) ||
      (run.envelope_source == NULL && !envelope_from_received(ev, &run, msg, &ip, error))) {
    bimi_evaluate__run_clear(&run);
    return NULL;
  }
  for (guint i = 0; i < bimi_message_get_n_fields(msg); i++) {
    const BimiHeaderField *f = bimi_message_get_field(msg, i);
    if (bimi_bimi_is_receiver_header(f->name, f->name_length))
      run.ignored_receiver_headers++;
  }

  /* FCrDNS and SPF need the client address; they overlap with DKIM and ARC */
  if (ip != NULL) {
    task.ev = ev;
    task.run = &run;
    task.ip = ip;
    task.now = now;
    g_mutex_init(&task.lock);
    g_cond_init(&task.cond);
    if (envelope_cached(ev, &run, ip)) {
      bimi_evaluate__envelope_task_run(&task, NULL); /* cheap: no hand-off */
      g_atomic_int_inc(&ev->n_envelope_inline);
    } else if (!g_thread_pool_push(ev->envelope_pool, &task, &local)) {
      bimi_evaluate__envelope_task_run(&task, NULL); /* no thread: run it here */
      g_clear_error(&local);
    }
    task_pending = TRUE;
  }
  {
    BimiDkimOptions opts = { 0 };
    opts.now = now;
    opts.max_signatures = ev->config->auth_max_signatures;
    opts.key_fetch = bimi_dkim_key_fetch_dns;
    opts.key_fetch_data = ev->resolver;
    opts.key_cache = ev->dkim_keys;
    run.dkim = bimi_dkim_verify(msg, &opts, &local);
  }
  if (run.dkim != NULL) {
    BimiArcOptions opts = {
      .now = now, .key_fetch = bimi_dkim_key_fetch_dns, .key_fetch_data = ev->resolver, .key_cache = ev->dkim_keys
    };
    run.arc = bimi_arc_validate(msg, &opts, &local);
  }
  /* join the envelope task before anything can leave (it writes into run) */
  if (task_pending) {
    GError *envelope_error = NULL;
    if (!envelope_task_wait(&task, &envelope_error)) {
      if (local == NULL) {
        g_propagate_error(error, envelope_error);
        bimi_evaluate__run_clear(&run);
        return NULL;
      }
      g_error_free(envelope_error);
    }
  }
  if (run.dkim == NULL)
    return bimi_evaluate__internal_error(&run, error, "dkim", local);
  if (run.arc == NULL)
    return bimi_evaluate__internal_error(&run, error, "arc", local);
  run.dmarc = run_dmarc(ev, &run, msg, &local);
  if (run.dmarc == NULL)
    return bimi_evaluate__internal_error(&run, error, "dmarc", local);
  if (run.dmarc->result == BIMI_DMARC_RESULT_FAIL) {
    const char *sealer = NULL;
    if (bimi_arc_trusted_pass(run.arc, (const char *const *) ev->config->policy_trusted_arc_sealers,
                              run.dmarc->author_domain, run.dmarc->adkim, run.dmarc->aspf, &sealer)) {
      bimi_dmarc_evaluation_apply_arc_override(run.dmarc, sealer);
      arc_trusted = TRUE;
    }
  }
  {
    BimiDmarcResult own = BIMI_DMARC_RESULT_NONE;
    own_pass = FALSE;
    if (own_authres_dmarc(ev, &run, msg, run.dmarc->author_domain, &own)) {
      /* The verdict our MTA stamped at delivery replaces the re-verification (issue 9:
       * "instead of re-verifying"); the policy records still come from DNS for the gate. */
      bimi_dmarc_evaluation_apply_trusted_authres(run.dmarc, own, ev->authserv_id);
      own_pass = own == BIMI_DMARC_RESULT_PASS;
    }
  }
  overridden = (arc_trusted && ev->config->policy_bimi_accept_arc_override) || own_pass;

  bimi_input.message = msg;
  bimi_input.dmarc = run.dmarc;
  bimi_input.dkim = run.dkim;
  bimi_input.dmarc_pass_override = overridden;
  run.bimi = bimi_bimi_evaluate(ev->resolver, NULL, &bimi_input, &local);
  if (run.bimi == NULL) {
    /* the resolver refused a name derived from the message: a result, not our failure */
    run.bimi = bimi_bimi_result_new();
    bimi_bimi_result_set(run.bimi, BIMI_BIMI_RESULT_FAIL, BIMI_BIMI_REASON_INVALID_RECORD, local->message);
    g_clear_error(&local);
  }
  bimi_evaluate__run_evidence(ev, &run, now);
  bimi_evaluate__decide(ev, &run, overridden, now);
  /* issue 19: a message without a logo that claims a brand it is not authenticated as */
  bimi_evaluate__caution_check(ev, &run, msg, run.dmarc->result == BIMI_DMARC_RESULT_PASS || arc_trusted || own_pass,
                               now);
  run.authres = build_authres(ev, &run);
  run_filter(ev, &run, consent);
  record_for_report(ev, &run, msg, now);
  return bimi_evaluate__finish(ev, &run, now);
}

