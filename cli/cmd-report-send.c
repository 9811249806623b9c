/* cli/cmd-report-send.c — `bimi report build|send`: DMARC aggregate reports (issue 15,
 * RFC 9990) from the evaluations recorded in the report database ([report] db).
 *
 *   bimi report build [-c FILE] [--db FILE] [--from TIME --to TIME] [--org-name NAME]
 *                     [--org-email ADDR] [--out DIR] [--format rfc9990|rfc7489] [--zone F]...
 *   bimi report send  [-c FILE] [--db FILE] [--smtp-url URL] [--dry-run] [--at TIME]
 *
 * build: one report per policy domain that asked for reports (rua=) and reporting
 * period; the period defaults to the previous UTC day (of --at, or now). send: mails
 * every pending report, DKIM-signed with [report] dkim_*, through [report] smtp_url.
 * Both print one line per report on stdout and notes on stderr.
 *
 * Exit: 0 done; 3 something was left for the next run (DNS temperror during the
 * external destination verification, a failed submission); 2 usage, configuration
 * or database error.
 */
#include "cli/commands.h"
#include "evaluate/config.h"
#include "report/build.h"
#include "report/record.h"
#include "report/send.h"
#include "engine/limits.h"

#include <stdio.h>
#include <string.h>

/* The configuration FILE, or the defaults without one; NULL after printing the error. */
static BimiConfig *
load_config(const char *cmd, const char *config_path)
{
  g_autoptr(GError) error = NULL;
  BimiConfig *config = config_path ? bimi_config_new_from_file(config_path, &error) : bimi_config_new_default();

  if (config == NULL)
    fprintf(stderr, "bimi %s: %s\n", cmd, error->message);
  return config;
}

/* Prints each of @lines (char *) on a line of stdout. */
static void
print_lines(const GPtrArray *lines)
{
  for (guint i = 0; i < lines->len; i++)
    printf("%s\n", (const char *) g_ptr_array_index(lines, i));
}

/* The report database --db or the configuration names, opened and migrated; NULL after printing the
 * error (none named: a usage error; one that does not open): the caller exits BIMI_EXIT_USAGE. */
static BimiReportDb *
open_db(const char *cmd, BimiConfig *config, const char *db_path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiReportDb) db = NULL;
  const char *path = db_path != NULL ? db_path : config->report_db;

  if (path == NULL) {
    bimi_cli_usage_error(cmd, "no report database: give --db FILE or set [report] db");
    return NULL;
  }
  db = bimi_report_db_open(path, &error);
  if (db == NULL || !bimi_report_db_migrate(db, &bimi_report_schema, &error)) {
    fprintf(stderr, "bimi %s: %s\n", cmd, error->message);
    return NULL;
  }
  return g_steal_pointer(&db);
}

int
bimi_cli_cmd_report_build(int argc, char **argv)
{
  g_auto(BimiCliDnsOptions) dns = { 0 };
  g_autofree char *config_path = NULL, *db_path = NULL, *from = NULL, *to = NULL, *org_name = NULL;
  g_autofree char *org_email = NULL, *out_dir = NULL, *format = NULL, *at = NULL;
  const GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path, "Configuration file ([report] and [dns] keys)", "FILE" },
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db_path, "Report database (default: [report] db)", "FILE" },
    { "from", 0, 0, G_OPTION_ARG_STRING, &from, "Period start, inclusive (RFC 3339 or @EPOCH)", "TIME" },
    { "to", 0, 0, G_OPTION_ARG_STRING, &to, "Period end, exclusive (default: the previous UTC day)", "TIME" },
    { "at", 0, 0, G_OPTION_ARG_STRING, &at, "Build as if now were TIME (the default period, built_at)", "TIME" },
    { "org-name", 0, 0, G_OPTION_ARG_STRING, &org_name, "Reporting Organization ([report] org_name)", "NAME" },
    { "org-email", 0, 0, G_OPTION_ARG_STRING, &org_email, "Its contact address ([report] org_email)", "ADDR" },
    { "out", 0, 0, G_OPTION_ARG_FILENAME, &out_dir, "Also write each .xml.gz into DIR", "DIR" },
    { "format", 0, 0, G_OPTION_ARG_STRING, &format, "rfc9990 (default) or rfc7489", "FORMAT" },
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GError) error = NULL;
  BimiReportBuildOptions o = { 0 };

  const BimiCliSpec spec = {
    .name = "report build", .parameters = "- build DMARC aggregate reports (RFC 9990)",
    .description = "Exit status: 0 done; 3 something is left for the next run (DNS temperror);\n"
                   "2 usage, configuration or database error.\n",
    .entries = entries, .dns = &dns, .n_args = 0, .args_usage = "unexpected arguments", .at = &at, .now = &o.now,
  };
  if (!bimi_cli_parse(&spec, &argc, &argv))
    return BIMI_EXIT_USAGE;
  if ((from != NULL && !bimi_cli_parse_time(from, &o.begin, &error)) ||
      (to != NULL && !bimi_cli_parse_time(to, &o.end, &error)))
    return bimi_cli_usage_error("report build", error->message);
  if ((from == NULL) != (to == NULL))
    return bimi_cli_usage_error("report build", "--from and --to go together");
  if (from == NULL) { /* the previous UTC day */
    o.end = o.now - o.now % 86400;
    o.begin = o.end - 86400;
  }
  if (format != NULL && !bimi_report_format_from_string(format, &o.format))
    return bimi_cli_usage_error("report build", "--format: expected rfc9990 or rfc7489");
  g_autoptr(BimiConfig) config = load_config("report build", config_path);
  if (config == NULL)
    return BIMI_EXIT_USAGE;
  bimi_cli_config_apply_dns(config, &dns);
  bimi_cli_replace_string(&config->report_org_name, org_name);
  bimi_cli_replace_string(&config->report_org_email, org_email);

  g_autoptr(BimiReportDb) db = open_db("report build", config, db_path);
  if (db == NULL)
    return BIMI_EXIT_USAGE;
  BimiDnsConfig dc;
  bimi_config_get_dns_config(config, &dc);
  g_autoptr(BimiDnsResolver) resolver = bimi_dns_resolver_new(&dc, &error);
  if (resolver == NULL) {
    fprintf(stderr, "bimi report build: [dns]: %s\n", error->message);
    return BIMI_EXIT_USAGE;
  }
  o.org_name = config->report_org_name;
  o.org_email = config->report_org_email;
  o.out_dir = out_dir;
  o.resolver = resolver;
  g_auto(BimiReportBuildSummary) s = { 0 };
  if (!bimi_report_build(db, &o, &s, &error))
    return bimi_cli_fail(BIMI_EXIT_USAGE, "report build: %s", error->message);
  print_lines(s.files);
  for (guint i = 0; i < s.notes->len; i++)
    fprintf(stderr, "bimi report build: %s\n", (const char *) g_ptr_array_index(s.notes, i));
  fprintf(stderr,
          "bimi report build: period %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT ": %u built, %u already built, "
          "%u skipped, %u deferred\n",
          o.begin, o.end - 1, s.built, s.already, s.skipped, s.deferred);
  return s.deferred > 0 ? BIMI_EXIT_TEMPERROR : BIMI_EXIT_PASS;
}

int
bimi_cli_cmd_report_send(int argc, char **argv)
{
  g_autofree char *config_path = NULL, *db_path = NULL, *smtp_url = NULL, *at = NULL, *password = NULL;
  gboolean dry_run = FALSE;
  const GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path, "Configuration file ([report] keys)", "FILE" },
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db_path, "Report database (default: [report] db)", "FILE" },
    { "smtp-url", 0, 0, G_OPTION_ARG_STRING, &smtp_url, "SMTP server ([report] smtp_url)", "URL" },
    { "dry-run", 0, 0, G_OPTION_ARG_NONE, &dry_run, "List what would be sent; send and change nothing", NULL },
    { "at", 0, 0, G_OPTION_ARG_STRING, &at, "Send as if now were TIME (Date, DKIM t=)", "TIME" },
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GError) error = NULL;
  BimiReportSendOptions o = { 0 };

  const BimiCliSpec spec = {
    .name = "report send", .parameters = "- mail the built DMARC aggregate reports",
    .description = "Exit status: 0 every pending report was sent; 3 some submission failed\n"
                   "(retried next run); 2 usage, configuration or database error.\n",
    .entries = entries, .n_args = 0, .args_usage = "unexpected arguments", .at = &at, .now = &o.now,
  };
  if (!bimi_cli_parse(&spec, &argc, &argv))
    return BIMI_EXIT_USAGE;
  g_autoptr(BimiConfig) config = load_config("report send", config_path);
  if (config == NULL)
    return BIMI_EXIT_USAGE;
  bimi_cli_replace_string(&config->report_smtp_url, smtp_url);
  g_autoptr(BimiDkimSigner) signer = NULL;
  if (config->report_dkim_key != NULL) {
    g_autofree char *pem = NULL;
    gsize len = 0;
    if (!g_file_get_contents(config->report_dkim_key, &pem, &len, &error)) {
      fprintf(stderr, "bimi report send: [report] dkim_key: %s\n", error->message);
      return BIMI_EXIT_USAGE;
    }
    signer = bimi_dkim_signer_new(config->report_dkim_domain, config->report_dkim_selector, pem, len, &error);
    if (signer == NULL) {
      fprintf(stderr, "bimi report send: [report] dkim_key %s: %s\n", config->report_dkim_key, error->message);
      return BIMI_EXIT_USAGE;
    }
  }
  if (config->report_smtp_password_file != NULL) {
    if (!g_file_get_contents(config->report_smtp_password_file, &password, NULL, &error)) {
      fprintf(stderr, "bimi report send: [report] smtp_password_file: %s\n", error->message);
      return BIMI_EXIT_USAGE;
    }
    g_strchomp(password);
  }
  g_autoptr(BimiReportDb) db = open_db("report send", config, db_path);
  if (db == NULL)
    return BIMI_EXIT_USAGE;
  o.smtp_url = config->report_smtp_url;
  o.smtp_user = config->report_smtp_user;
  o.smtp_password = password;
  o.org_name = config->report_org_name;
  o.org_email = config->report_org_email;
  o.signer = signer;
  o.dry_run = dry_run;
  g_auto(BimiReportSendSummary) s = { 0 };
  if (!bimi_report_send(db, &o, &s, &error))
    return bimi_cli_fail(BIMI_EXIT_USAGE, "report send: %s", error->message);
  print_lines(s.lines);
  fprintf(stderr, "bimi report send: %u sent, %u failed, %u would be sent, %u left for the next run\n", s.sent,
          s.failed, s.would_send, s.deferred);
  return s.failed > 0 || s.deferred > 0 ? BIMI_EXIT_TEMPERROR : BIMI_EXIT_PASS;
}
