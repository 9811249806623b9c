/* cli/cmd-evaluate.c — `bimi evaluate MSG.eml [--ip IP --helo NAME --mail-from ADDR]
 * [--zone F]... [--dns-timeout NAME]... [--at TIME] [--config FILE] [--report-db FILE] [--consent LIST] [--json]`:
 * the whole pipeline of evaluate/ for one message — FCrDNS, SPF, DKIM,
 * ARC, DMARC, BIMI discovery, logo and Evidence Document, the decision — and
 * the same JSON object the service answers (docs/api.md, the decision object).
 *
 * The configuration is FILE (or the defaults) with the options on top. For
 * offline runs against a local origin: --zone (DNS from zone files),
 * --ca-file (TLS roots of the origin), --allow-private-addresses,
 * --resolve HOST:PORT:ADDR, --connect-to HOST:PORT:CHOST:CPORT (CRLs on
 * another port), --trust-store / --ct-logs (the BIMI roots and CT
 * logs; default data/ next to the program), --cache-dir (default: a fresh
 * temporary directory, removed at exit). --at sets the evaluation time (and
 * [testing] now, so the caches agree). --report-db ([report] db) records the
 * DMARC outcome for the aggregate reports (`bimi report build`). --consent
 * LIST: the filters the user agreed to (evaluate/filter.h): the decision's
 * filter.applied, and the disposition recorded.
 *
 * Exit: 0 a logo is shown (logo or logo+checkmark); 1 none; 3 temperror;
 * 2 usage, an unreadable message or a component that cannot start.
 */
#include "cli/commands.h"
#include "evaluate/config.h"
#include "evaluate/evaluate.h"
#include "engine/limits.h"

#include <stdio.h>
#include <string.h>
#include <json-glib/json-glib.h>

/* The summary, from the typed decision (the JSON is for --json). */
/* @s for a terminal: valid UTF-8, every control character (a sender may put them in a display name)
 * shown as "?", so it cannot move the cursor or forge lines. (transfer full) */
static char *
printable(const char *s)
{
  char *out = g_utf8_make_valid(s, -1);

  for (char *p = out; *p != '\0'; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      *p = '?';
  return out;
}

static void
print_human(const BimiDecision *d)
{
  printf("decision: %s (%s)%s\n", bimi_decision_kind_to_string(d->kind), d->reason,
         d->temperror ? " — temporary, try again later" : "");
  if (d->logo_sha256 != NULL)
    printf("  logo: %s \"%s\"\n", d->logo_sha256, d->logo_alt != NULL ? d->logo_alt : "");
  if (d->mark != NULL)
    printf("  mark: %s, %s, %s (issuer %s, until %s)\n", d->mark->certificate_type,
           d->mark->mark_type != NULL ? d->mark->mark_type : "no mark type",
           d->mark->organization != NULL ? d->mark->organization : "?",
           d->mark->issuer != NULL ? d->mark->issuer : "?", d->mark->not_after != NULL ? d->mark->not_after : "?");
  if (d->has_bimi) {
    printf("  bimi: %s (%s)\n", bimi_bimi_result_code_to_string(d->bimi_result),
           d->bimi_reason != NULL ? d->bimi_reason : "");
    if (d->indicator_detail != NULL)
      printf("  indicator: %s\n", d->indicator_detail);
  }
  if (d->filter != NULL) {
    const BimiFilterOutcome *f = d->filter;
    g_autofree char *consent = bimi_filter_consent_to_string(f->consent);
    printf("filter: recommended %s, applied %s (consent: %s, %s)\n", bimi_filter_action_to_string(f->recommended),
           bimi_filter_action_to_string(f->applied), consent, f->consent_from_request ? "given" : "default");
    for (guint i = 0; i < f->reasons->len; i++) {
      const BimiFilterReason *r = g_ptr_array_index(f->reasons, i);
      printf("  %s: %s%s — %s\n", bimi_filter_kind_to_string(r->filter), bimi_filter_action_to_string(r->action),
             bimi_filter_reason_applied(f, r) ? " (applied)" : " (not applied: no consent)", r->detail);
    }
    if (f->label_code != NULL)
      printf("  label: %s\n", f->label_text);
  }
  if (d->caution != NULL) {
    /* issue 19: the brand this message claims and is not authenticated as (sender text escaped) */
    g_autofree char *text = printable(d->caution->text);
    g_autofree char *matched = printable(d->caution->matched);
    g_autofree char *domains = g_strjoinv(", ", d->caution->domains);
    printf("caution: %s\n", text);
    printf("  signal %s, matched \"%s\", verified domains %s\n", bimi_caution_signal_to_string(d->caution->signals),
           matched, domains);
  }
  printf("Authentication-Results: %s\n", d->authentication_results);
  printf("ttl: %u s\n", d->ttl);
}

/* One header field, folded (RFC 5322 §2.2.3) so that no line passes 78 characters: the value is split at
 * its spaces, and a run longer than a line (the base64 of BIMI-Indicator) into 76-character pieces. */
static void
print_header_field(const char *name, const char *value)
{
  g_auto(GStrv) words = g_strsplit(value, " ", -1);
  gsize col = strlen(name) + 1;

  printf("%s:", name);
  for (guint i = 0; words[i] != NULL; i++) {
    const char *w = words[i];
    gsize left = strlen(w);
    while (left > 0) {
      gsize piece = MIN(left, 76);
      if (col + 1 + piece > 78) {
        printf("\n");
        col = 0;
      }
      printf(" %.*s", (int) piece, w);
      col += 1 + piece;
      w += piece;
      left -= piece;
    }
  }
  printf("\n");
}

/* --headers: the fields an MTA prepends at delivery (BIMI draft §7.7, spec/bimi-receiver.md §9): its
 * Authentication-Results, and when a logo is shown BIMI-Location and BIMI-Indicator. */
static void
print_headers(const BimiDecision *d)
{
  if (d->authentication_results != NULL)
    print_header_field("Authentication-Results", d->authentication_results);
  if (d->bimi_location != NULL && d->bimi_indicator != NULL) {
    print_header_field("BIMI-Location", d->bimi_location);
    print_header_field("BIMI-Indicator", d->bimi_indicator);
  }
}

static void
print_json(BimiDecision *d)
{
  bimi_cli_print_json(bimi_decision_get_json(d));
}

int
bimi_cli_cmd_evaluate(int argc, char **argv)
{
  g_auto(BimiCliDnsOptions) dns = { 0 };
  g_autofree char *ip = NULL, *helo = NULL, *mail_from = NULL, *at = NULL;
  g_autofree char *consent_text = NULL;
  guint consent = BIMI_FILTER_CONSENT_DEFAULT;
  g_auto(BimiCliFetchOptions) fetch = { 0 };
  g_auto(BimiCliPipelineOptions) pipeline = { 0 };
  gboolean json = FALSE, headers = FALSE;
  const GOptionEntry entries[] = {
    { "ip", 0, 0, G_OPTION_ARG_STRING, &ip, "SMTP client address (enables FCrDNS and SPF)", "IP" },
    { "helo", 0, 0, G_OPTION_ARG_STRING, &helo, "HELO/EHLO name", "NAME" },
    { "mail-from", 0, 0, G_OPTION_ARG_STRING, &mail_from, "MAIL FROM address (empty = null reverse-path)", "ADDR" },
    { "at", 0, 0, G_OPTION_ARG_STRING, &at, "Evaluate as if now were TIME (RFC 3339 or @EPOCH)", "TIME" },
    { "consent", 0, 0, G_OPTION_ARG_STRING, &consent_text,
      "Filters the user consented to: none, or a comma list of dmarc, no-ptr (default: [filter] default_consent)",
      "LIST" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the decision object of the service (docs/api.md)", NULL },
    { "headers", 0, 0, G_OPTION_ARG_NONE, &headers,
      "Print the header fields an MTA prepends: Authentication-Results, and BIMI-Location and BIMI-Indicator "
      "when a logo is shown", NULL },
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiConfig) config = NULL;
  g_autoptr(BimiEvaluator) ev = NULL;
  g_autoptr(BimiDecision) d = NULL;
  g_autoptr(GBytes) raw = NULL;
  BimiEnvelope env = { 0 };
  gint64 now = 0;
  int status;

  const BimiCliSpec spec = {
    .name = "evaluate", .parameters = "MSG.eml - the BIMI decision for one message",
    .description = "Exit status: 0 a logo is shown; 1 none; 2 usage or internal error;\n"
                   "3 temperror.\n",
    .entries = entries, .dns = &dns, .fetch = &fetch, .pipeline = &pipeline, .n_args = 1,
    .args_usage = BIMI_CLI_USAGE_ONE_MESSAGE, .at = &at, .now = &now,
  };
  if (!bimi_cli_parse(&spec, &argc, &argv))
    return BIMI_EXIT_USAGE;
  if (consent_text != NULL && !bimi_filter_consent_parse(consent_text, &consent, &error))
    return bimi_cli_usage_error("evaluate", error->message);
  if (dns.timeout_ms != G_MININT && dns.timeout_ms < 1)
    return bimi_cli_usage_error("evaluate", "--timeout-ms must be at least 1");
  config = bimi_cli_pipeline_config(&pipeline, &dns, &fetch, &error);
  if (config == NULL)
    return bimi_cli_fail(BIMI_EXIT_USAGE, "evaluate: %s", error->message);
  if (at != NULL)
    config->testing_now = now;

  raw = bimi_cli_read_file(argv[1], BIMI_MAX_MESSAGE_BYTES, &error);
  if (raw == NULL) {
    fprintf(stderr, "bimi evaluate: %s: %s\n", argv[1], error->message);
    status = BIMI_EXIT_USAGE;
    goto out;
  }
  ev = bimi_evaluator_new(config, g_get_host_name(), &error);
  if (ev == NULL) {
    fprintf(stderr, "bimi evaluate: %s\n", error->message);
    status = BIMI_EXIT_USAGE;
    goto out;
  }
  env.client_ip = ip;
  env.helo = helo;
  env.mail_from = mail_from;
  d = bimi_evaluator_evaluate_with_consent(ev, raw, &env, consent, at != NULL ? now : bimi_evaluator_now(ev), &error);
  if (d == NULL) {
    fprintf(stderr, "bimi evaluate: %s: %s\n", argv[1], error->message);
    status = BIMI_EXIT_USAGE;
    goto out;
  }
  if (headers)
    print_headers(d);
  else if (json)
    print_json(d);
  else
    print_human(d);
  status = d->temperror ? BIMI_EXIT_TEMPERROR : d->kind == BIMI_DECISION_NONE ? BIMI_EXIT_FAIL : BIMI_EXIT_PASS;

out:
  g_clear_pointer(&ev, bimi_evaluator_unref);
  return status;
}
