/* evaluate/evaluate-json.c — the decision object of DESIGN.md §4, written as JSON
 * text (engine/base/base-json's BimiJsonWriter, no tree) from one evaluation:
 *
 *   { "decision": "logo+checkmark" | "logo" | "none",
 *     "reason": stable code (evaluate/evaluate.h),
 *     "indicator": null | { "sha256", "alt", "svg": URL, "png": { "<px>": URL, ... } },
 *     "mark": null | { "certificate_type", "mark_type", "organization", "issuer", "not_after",
 *                      "trademark_country", "trademark_office", "trademark_id", "pilot" },
 *     "auth": { "rdns", "spf", "spf_helo", "dkim": [...], "arc", "dmarc", "bimi" },
 *     "authentication_results": RFC 8601 value | null (domain status),
 *     "ttl": seconds,
 *     "bimi_location", "bimi_indicator": the header form (not for domain status),
 *     "filter": consent-aware filtering (evaluate/filter.c), null for domain status,
 *     "caution": brand-impersonation caution (evaluate/evaluate-caution.c), null when none }
 *
 * Logo URLs are [server] logo_url_prefix + "/<sha256>.svg" and
 * "/<sha256>/<px>.png" for each [render] size. The auth members reuse the
 * modules' own *_build_json helpers (the shapes of `bimi spf|dkim|arc|dmarc
 * --json`); auth.bimi gets an "indicator_validation" member with the verdict.
 */
#include "evaluate/evaluate-private.h"
#include "engine/base/base-json.h"

#include <string.h>

/* @v in decimal into @buf (at least 11 bytes), without printf. */
static void
decimal(char *buf, guint v)
{
  char digits[10];
  gsize n = 0, i = 0;

  do
    digits[n++] = (char) ('0' + v % 10);
  while ((v /= 10) != 0);
  while (n > 0)
    buf[i++] = digits[--n];
  buf[i] = '\0';
}

static const char *
verdict_kind_to_string(BimiEvaluateVerdictKind kind)
{
  switch (kind) {
  case BIMI_EVALUATE_VERDICT_VMC:
    return "vmc";
  case BIMI_EVALUATE_VERDICT_CMC:
    return "cmc";
  case BIMI_EVALUATE_VERDICT_NO_EVIDENCE:
    return "no-evidence";
  case BIMI_EVALUATE_VERDICT_FAIL:
    break;
  }
  return "fail";
}

/* auth.bimi: the module's object plus the indicator validation. */
static void
build_bimi(BimiJsonWriter *b, const BimiEvaluateRun *run)
{
  const BimiEvaluateVerdict *v = run->verdict;

  if (run->bimi == NULL) {
    bimi_json_add_null_value(b);
    return;
  }
  bimi_bimi_result_build_json(run->bimi, b);
  bimi_json_reopen_object(b);
  if (v == NULL)
    bimi_json_add_members(b, "n", "indicator_validation");
  else
    bimi_json_add_members(b, "{sssbb}", "indicator_validation", "verdict", verdict_kind_to_string(v->kind),
                          "reason", bimi_decision_reason_to_string(v->reason), "detail", v->detail,
                          "temperror", v->temperror, "svg_from_evidence", v->svg_from_evidence);
  bimi_json_end_object(b);
}

static void
build_indicator(BimiEvaluator *ev, BimiJsonWriter *b, const BimiEvaluateRun *run)
{
  const BimiConfig *config = ev->config;
  const BimiEvaluateVerdict *v = run->verdict;
  const char *prefix = config->server_logo_url_prefix;

  bimi_json_set_member_name(b, "indicator");
  if (run->kind == BIMI_DECISION_NONE || v == NULL || v->sha256 == NULL) {
    bimi_json_add_null_value(b);
    return;
  }
  /* the URLs share "<prefix>/<sha256>": built once, each ending appended (no printf per size) */
  g_autoptr(GString) url = g_string_sized_new(strlen(prefix) + 96);
  g_string_append(url, prefix);
  g_string_append_c(url, '/');
  g_string_append(url, v->sha256);
  gsize stem = url->len;
  g_string_append(url, ".svg");
  bimi_json_begin_object(b);
  bimi_json_add_members(b, "sss", "sha256", v->sha256, "alt", v->title, "svg", url->str);
  bimi_json_set_member_name(b, "png");
  bimi_json_begin_object(b);
  for (guint i = 0; i < config->render_n_sizes; i++) {
    char px[16];
    decimal(px, config->render_sizes[i]);
    g_string_truncate(url, stem);
    g_string_append_c(url, '/');
    g_string_append(url, px);
    g_string_append(url, ".png");
    bimi_json_add_string_or_null(b, px, url->str);
  }
  bimi_json_end_object(b);
  bimi_json_end_object(b);
}

static void
build_mark(BimiJsonWriter *b, const BimiEvaluateRun *run)
{
  const BimiEvaluateVerdict *v = run->verdict;

  bimi_json_set_member_name(b, "mark");
  if (v == NULL || v->cert_type == NULL) {
    bimi_json_add_null_value(b);
    return;
  }
  /* formatted when the verdict was made (bimi_evaluate__verdict_set_not_after) */
  const char *not_after = v->not_after_text[0] != '\0' ? v->not_after_text : NULL;
  bimi_json_begin_object(b);
  bimi_json_add_members(b, "ssss ssss b", "certificate_type", v->cert_type, "mark_type", v->mark_type,
                        "organization", v->organization, "issuer", v->issuer, "not_after", not_after,
                        "trademark_country", v->trademark_country, "trademark_office", v->trademark_office,
                        "trademark_id", v->trademark_id, "pilot", v->pilot);
  bimi_json_end_object(b);
}

static void
build_auth(BimiJsonWriter *b, const BimiEvaluateRun *run)
{
  bimi_json_set_member_name(b, "auth");
  bimi_json_begin_object(b);
  if (!run->domain_status) {
    bimi_json_add_members(b, "{ssss}", "envelope", "ip", run->client_ip, "helo", run->helo,
                          "mail_from", run->mail_from, "source", run->envelope_source);
    if (bimi_json_set_member_or_null(b, "rdns", run->rdns != NULL))
      bimi_rdns_result_build_json(run->rdns, b);
    if (bimi_json_set_member_or_null(b, "spf", run->spf != NULL))
      bimi_spf_result_build_json(run->spf, run->helo, b);
    if (bimi_json_set_member_or_null(b, "spf_helo", run->spf_helo != NULL))
      bimi_spf_result_build_json(run->spf_helo, run->helo, b);
    bimi_json_set_member_name(b, "dkim");
    bimi_json_begin_array(b);
    for (guint i = 0; run->dkim != NULL && i < run->dkim->len; i++)
      bimi_dkim_signature_build_json(g_ptr_array_index(run->dkim, i), b);
    bimi_json_end_array(b);
    if (bimi_json_set_member_or_null(b, "arc", run->arc != NULL))
      bimi_arc_chain_build_json(run->arc, b);
  }
  bimi_json_set_member_name(b, "dmarc");
  if (run->dmarc != NULL && run->domain_status) {
    /* No message was evaluated: what was checked is the policy, not a result. */
    bimi_evaluate_dmarc_status_build_json(run->dmarc, run->bimi != NULL ? run->bimi->gate : NULL, b);
  } else if (run->dmarc != NULL) {
    const BimiDmarcOverride *own = bimi_dmarc_evaluation_find_override(run->dmarc, BIMI_DMARC_OVERRIDE_TRUSTED_AUTHRES);
    bimi_dmarc_evaluation_build_json(run->dmarc, b);
    bimi_json_reopen_object(b);
    if (own != NULL) {
      /* our own MTA's verdict at delivery is the result; the re-verification is kept beside it */
      bimi_json_add_members(b, "sss", "source", "trusted-authres",
                            "reverified_result", bimi_dmarc_result_to_string(own->reverified),
                            "reverified_reason", own->reverified_reason);
    } else {
      bimi_json_add_members(b, "s", "source", "evaluated");
    }
    if (run->own_authres_note != NULL)
      bimi_json_add_members(b, "s", "trusted_authres", run->own_authres_note);
    bimi_json_end_object(b);
  } else {
    bimi_json_add_null_value(b);
  }
  bimi_json_set_member_name(b, "bimi");
  build_bimi(b, run);
  bimi_json_end_object(b);
}

char *
bimi_evaluate__build_json(BimiEvaluator *ev, const BimiEvaluateRun *run, const char *bimi_location,
                          const char *bimi_indicator)
{
  g_autoptr(BimiJsonWriter) b = bimi_json_writer_new();

  bimi_json_begin_object(b);
  bimi_json_add_members(b, "ss", "decision", bimi_decision_kind_to_string(run->kind),
                        "reason", bimi_decision_reason_to_string(run->reason));
  build_indicator(ev, b, run);
  build_mark(b, run);
  build_auth(b, run);
  bimi_json_add_members(b, "su", "authentication_results", run->authres, "ttl", run->ttl);
  if (!run->domain_status) {
    /* The header form an MTA or a webmail can stamp (docs/api.md "The header form"). */
    bimi_json_add_members(b, "ss", "bimi_location", bimi_location, "bimi_indicator",
                          bimi_location != NULL ? bimi_indicator : NULL);
  }
  /* Consent-aware filtering (issue 17): after ttl and the header form; null for domain status. */
  if (bimi_json_set_member_or_null(b, "filter", run->filter != NULL))
    bimi_filter_outcome_build_json(run->filter, b);
  /* Brand-impersonation caution (issue 19): after "filter", always present; null for domain status, a
   * decision with a logo and a message that claims no brand it is not authenticated as. */
  bimi_json_set_member_name(b, "caution");
  bimi_evaluate__caution_build_json(b, run->caution);
  bimi_json_end_object(b);
  return bimi_json_writer_steal_text(b);
}

void
bimi_evaluate_dmarc_status_build_json(const BimiDmarcEvaluation *d, const BimiBimiGate *gate, BimiJsonWriter *b)
{
  g_autofree char *reason = NULL;
  gboolean temperror = d->result == BIMI_DMARC_RESULT_TEMPERROR || (gate != NULL && gate->temperror);
  gboolean found = d->record != NULL;

  g_return_if_fail(d != NULL && b != NULL);
  if (temperror)
    reason = g_strdup_printf("the DMARC policy could not be read: %s",
                             gate != NULL && gate->reason != NULL ? gate->reason : d->reason);
  else if (!found)
    reason = g_strdup_printf("no DMARC policy record for %s (%s)", d->author_domain ? d->author_domain : "?", d->reason);
  else if (gate != NULL && gate->ok)
    reason = g_strdup_printf("p=%s at _dmarc.%s enforces: a message passing DMARC may show a logo",
                             bimi_dmarc_policy_to_string(d->policy), d->policy_domain);
  else
    reason = g_strdup_printf("the policy at _dmarc.%s does not enforce: %s", d->policy_domain,
                             gate != NULL && gate->reason != NULL ? gate->reason : "no gate");
  bimi_json_begin_object(b);
  bimi_json_add_string_or_null(b, "checked", "policy");
  bimi_json_add_string_or_null(b, "mode", bimi_dmarc_mode_to_string(d->mode));
  bimi_json_add_string_or_null(b, "author_domain", d->author_domain);
  bimi_json_add_string_or_null(b, "org_domain", d->org_domain);
  bimi_json_set_member_name(b, "record_found");
  bimi_json_add_boolean_value(b, found);
  bimi_json_add_string_or_null(b, "policy_domain", d->policy_domain);
  bimi_json_add_string_or_null(b, "policy", found && d->has_policy ? bimi_dmarc_policy_to_string(d->policy) : NULL);
  bimi_json_set_member_name(b, "enforcing");
  if (temperror)
    bimi_json_add_null_value(b);
  else
    bimi_json_add_boolean_value(b, found && gate != NULL && gate->ok);
  bimi_json_add_string_or_null(b, "reason", reason);
  bimi_json_set_member_name(b, "queries");
  bimi_json_begin_array(b);
  for (guint i = 0; d->queries != NULL && i < d->queries->len; i++)
    bimi_json_add_string_value(b, g_ptr_array_index(d->queries, i));
  bimi_json_end_array(b);
  bimi_json_end_object(b);
}
