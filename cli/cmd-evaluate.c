/* cli/cmd-evaluate.c — `bimi evaluate MSG.eml [--ip IP --helo NAME --mail-from ADDR]
 * [--zone F]... [--dns-timeout NAME]... [--at TIME] [--config FILE] [--report-db FILE] [--consent LIST] [--json]`:
 * the whole pipeline of evaluate/ for one message — FCrDNS, SPF, DKIM,
 * ARC, DMARC, BIMI discovery, logo and Evidence Document, the decision — and
 * the same JSON object the service answers (DESIGN.md §4, §5).
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
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

/* Removes the temporary cache directory and what the run put there. */
static void
remove_tree(const char *path)
{
  g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
  const char *name;

  if (dir != NULL) {
    while ((name = g_dir_read_name(dir)) != NULL) {
      g_autofree char *child = g_build_filename(path, name, NULL);
      if (g_file_test(child, G_FILE_TEST_IS_DIR) && !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
        remove_tree(child);
      else
        g_unlink(child);
    }
  }
  g_rmdir(path);
}

/* The summary, from the typed decision (the JSON is for --json). */
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
  g_autofree char *ip = NULL, *helo = NULL, *mail_from = NULL, *at = NULL, *config_path = NULL;
  g_autofree char *trust_store = NULL, *ct_logs = NULL, *cache_dir = NULL, *tmp_dir = NULL, *report_db = NULL;
  g_autofree char *consent_text = NULL;
  guint consent = BIMI_FILTER_CONSENT_DEFAULT;
  g_auto(BimiCliFetchOptions) fetch = { 0 };
  gboolean json = FALSE, headers = FALSE;
  const GOptionEntry entries[] = {
    { "ip", 0, 0, G_OPTION_ARG_STRING, &ip, "SMTP client address (enables FCrDNS and SPF)", "IP" },
    { "helo", 0, 0, G_OPTION_ARG_STRING, &helo, "HELO/EHLO name", "NAME" },
    { "mail-from", 0, 0, G_OPTION_ARG_STRING, &mail_from, "MAIL FROM address (empty = null reverse-path)", "ADDR" },
    { "at", 0, 0, G_OPTION_ARG_STRING, &at, "Evaluate as if now were TIME (RFC 3339 or @EPOCH)", "TIME" },
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path, "Configuration file (default: built-in defaults)",
      "FILE" },
    { "trust-store", 0, 0, G_OPTION_ARG_FILENAME, &trust_store, "BIMI roots, PEM ([trust] bimi_roots)", "FILE" },
    { "ct-logs", 0, 0, G_OPTION_ARG_FILENAME, &ct_logs, "CT log list ([trust] ct_logs)", "FILE" },
    { "cache-dir", 0, 0, G_OPTION_ARG_FILENAME, &cache_dir,
      "Logo store directory (default: a temporary directory removed at exit)", "DIR" },
    { "report-db", 0, 0, G_OPTION_ARG_FILENAME, &report_db,
      "Record the DMARC outcome in this report database ([report] db) for `bimi report build`", "FILE" },
    { "consent", 0, 0, G_OPTION_ARG_STRING, &consent_text,
      "Filters the user consented to: none, or a comma list of dmarc, no-ptr (default: [filter] default_consent)",
      "LIST" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the decision object of the service (DESIGN.md §4)", NULL },
    { "headers", 0, 0, G_OPTION_ARG_NONE, &headers,
      "Print the header fields an MTA prepends: Authentication-Results, and BIMI-Location and BIMI-Indicator "
      "when a logo is shown", NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
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
    .entries = entries, .dns = &dns, .fetch = &fetch, .n_args = 1, .args_usage = BIMI_CLI_USAGE_ONE_MESSAGE,
  };
  if (!bimi_cli_parse(&spec, &argc, &argv))
    return BIMI_EXIT_USAGE;
  if (at != NULL && !bimi_cli_parse_time(at, &now, &error))
    return bimi_cli_usage_error("evaluate", error->message);
  if (consent_text != NULL && !bimi_filter_consent_parse(consent_text, &consent, &error))
    return bimi_cli_usage_error("evaluate", error->message);
  if (dns.timeout_ms != G_MININT && dns.timeout_ms < 1)
    return bimi_cli_usage_error("evaluate", "--timeout-ms must be at least 1");
  config = config_path ? bimi_config_new_from_file(config_path, &error) : bimi_config_new_default();
  if (config == NULL)
    return bimi_cli_fail(BIMI_EXIT_USAGE, "evaluate: %s", error->message);
  /* the options over the file: this process owns the configuration until
   * the evaluator takes its reference */
  bimi_cli_config_apply_dns(config, &dns);
  if (at != NULL)
    config->testing_now = now;
  bimi_cli_replace_string(&config->fetch_ca_file, fetch.ca_file);
  if (fetch.allow_private_addresses)
    config->fetch_allow_private_addresses = TRUE;
  bimi_cli_replace_strv(&config->fetch_resolve, fetch.resolve);
  bimi_cli_replace_strv(&config->fetch_connect_to, fetch.connect_to);
  if (trust_store != NULL || config_path == NULL) {
    g_autofree char *p = trust_store ? g_strdup(trust_store) : bimi_cli_data_file("bimi-roots.pem");
    bimi_cli_replace_string(&config->trust_bimi_roots, p);
  }
  if (ct_logs != NULL || config_path == NULL) {
    g_autofree char *p = ct_logs ? g_strdup(ct_logs) : bimi_cli_data_file("ct-logs.cnf");
    bimi_cli_replace_string(&config->trust_ct_logs, p);
  }
  if (cache_dir == NULL) {
    tmp_dir = g_dir_make_tmp("bimi-evaluate-XXXXXX", &error);
    if (tmp_dir == NULL)
      return bimi_cli_fail(BIMI_EXIT_USAGE, "evaluate: %s", error->message);
  }
  bimi_cli_replace_string(&config->cache_dir, cache_dir ? cache_dir : tmp_dir);
  if (report_db != NULL)
    bimi_cli_replace_string(&config->report_db, report_db);

  raw = bimi_cli_read_file(argv[1], BIMI_MAX_MESSAGE_BYTES, &error);
  if (raw == NULL) {
    fprintf(stderr, "bimi evaluate: %s: %s\n", argv[1], error->message);
    status = BIMI_EXIT_USAGE;
    goto out;
  }
  ev = bimi_evaluator_new(config, &error);
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
  if (tmp_dir != NULL)
    remove_tree(tmp_dir);
  return status;
}
