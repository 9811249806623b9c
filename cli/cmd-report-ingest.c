/* cli/cmd-report-ingest.c — received DMARC aggregate reports (issue 16):
 *
 *   bimi report ingest  --db FILE [--quiet] INPUT...
 *   bimi report summary --db FILE [--domain D] [--from TIME --to TIME] [--json|--csv] [--no-dns] [DNS options]
 *   bimi report html    --db FILE --out FILE [--domain D] [--from TIME --to TIME] [--no-dns] [DNS options]
 *
 * INPUT: a report file (.xml, .xml.gz, .gz, .zip), a report e-mail, an mbox, a
 * Maildir, or a directory of any of these (report/mail-source.h). Each refused
 * item gets one line on stderr naming it and the reason; the batch goes on.
 *
 * Exit status of ingest: the number of refused inputs (at most 100; 0 when
 * everything was stored or already there), 125 for a usage or database error.
 * summary and html: 0, or 2 for a usage or database error.
 */
#include "cli/commands.h"
#include "engine/base/base-mem.h"
#include "report/ingest-store.h"
#include "report/ingest-summary.h"
#include "report/ingest.h"
#include "report/mail-source.h"
#include "report/report-db.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Exit statuses of `bimi report ingest`. */
#define INGEST_EXIT_MAX_REFUSED 100
#define INGEST_EXIT_ERROR 125

static BimiReportDb *
open_ingest_db(const char *path, GError **error)
{
  g_autoptr(BimiReportDb) db = bimi_report_db_open(path, error);
  if (db == NULL || !bimi_ingest_store_migrate(db, error))
    return NULL;
  return g_steal_pointer(&db);
}

typedef struct {
  gboolean tty;
  gint64 last_draw;      /* monotonic µs */
  gboolean drawn;
  const BimiIngestCounts *counts;
} Progress;

static void
progress_draw(Progress *p, gboolean force)
{
  if (!p->tty)
    return;
  gint64 now = g_get_monotonic_time();
  if (!force && now - p->last_draw < 200000)
    return;
  p->last_draw = now;
  p->drawn = TRUE;
  fprintf(stderr, "\r\033[K%" G_GUINT64_FORMAT " items, %" G_GUINT64_FORMAT " reports: %" G_GUINT64_FORMAT
          " stored, %" G_GUINT64_FORMAT " duplicate, %" G_GUINT64_FORMAT " refused",
          p->counts->items, p->counts->reports, p->counts->stored, p->counts->duplicates, p->counts->refused);
  fflush(stderr);
}

static void
progress_clear(Progress *p)
{
  if (p->tty && p->drawn) {
    fprintf(stderr, "\r\033[K");
    fflush(stderr);
  }
}

/* Attacker-chosen text on a terminal: control characters escaped. */
static char *
printable(const char *s)
{
  GString *out = g_string_new(NULL);
  for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
    if (*p < 0x20 || *p == 0x7f)
      g_string_append_printf(out, "\\x%02x", *p);
    else
      g_string_append_c(out, (char) *p);
  }
  return g_string_free(out, FALSE);
}

static void
on_refused(const char *where, const GError *reason, gpointer user_data)
{
  Progress *p = user_data;
  progress_clear(p);
  g_autofree char *w = printable(where);
  g_autofree char *r = printable(reason->message);
  fprintf(stderr, "bimi report ingest: %s: refused: %s\n", w, r);
}

int
bimi_cli_cmd_report_ingest(int argc, char **argv)
{
  g_autofree char *db_path = NULL;
  gboolean quiet = FALSE;
  const GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db_path, "the report database (SQLite, created when missing)", "FILE" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "no progress line and no totals", NULL },
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) ctx =
      g_option_context_new("INPUT... - store received DMARC aggregate reports (files, e-mails, mbox, Maildir, "
                           "directories)");
  g_autoptr(GError) error = NULL;
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_option_context_set_description(ctx, "Exit status: the number of refused inputs (at most 100; 0: none),\n"
                                        "125 for a usage or database error.\n");
  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    fprintf(stderr, "bimi report ingest: %s\n", error->message);
    return INGEST_EXIT_ERROR;
  }
  if (db_path == NULL || argc < 2) {
    fprintf(stderr, "bimi report ingest: %s\n", db_path == NULL ? "--db FILE is required" : "no INPUT given");
    return INGEST_EXIT_ERROR;
  }
  g_autoptr(BimiReportDb) db = open_ingest_db(db_path, &error);
  if (db == NULL) {
    fprintf(stderr, "bimi report ingest: %s\n", error->message);
    return INGEST_EXIT_ERROR;
  }
  BimiIngestCounts counts = { 0 };
  Progress progress = { .tty = !quiet && isatty(STDERR_FILENO), .counts = &counts };
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  for (int i = 1; i < argc; i++) {
    g_autoptr(BimiMailSource) src = bimi_mail_source_open(argv[i], &error);
    if (src == NULL) {
      counts.refused++;
      on_refused(argv[i], error, &progress);
      g_clear_error(&error);
      continue;
    }
    for (;;) {
      g_autoptr(BimiMailSourceItem) item = NULL;
      if (!bimi_mail_source_next(src, &item, &error))
        break;
      if (item->error != NULL) {
        counts.items++;
        counts.refused++;
        on_refused(item->where, item->error, &progress);
        continue;
      }
      if (!bimi_ingest_bytes(db, item->data, item->where, now, &counts, on_refused, &progress, &error)) {
        progress_clear(&progress);
        fprintf(stderr, "bimi report ingest: %s\n", error->message);
        return INGEST_EXIT_ERROR;
      }
      progress_draw(&progress, FALSE);
    }
    if (error != NULL) {
      counts.refused++;
      on_refused(argv[i], error, &progress);
      g_clear_error(&error);
    }
  }
  progress_clear(&progress);
  if (!quiet)
    printf("%" G_GUINT64_FORMAT " item(s): %" G_GUINT64_FORMAT " report(s) stored (%" G_GUINT64_FORMAT
           " messages), %" G_GUINT64_FORMAT " duplicate(s), %" G_GUINT64_FORMAT " refused\n",
           counts.items, counts.stored, counts.messages, counts.duplicates, counts.refused);
  return (int) MIN(counts.refused, (guint64) INGEST_EXIT_MAX_REFUSED);
}

/* The options summary and html share. */
typedef struct {
  char *db_path;
  char *domain;
  char *from_text;
  char *to_text;
  gboolean no_dns;
  BimiCliDnsOptions dns;
} FilterOptions;

static void
filter_options_clear(FilterOptions *f)
{
  BIMI_FREE_ALL(f->db_path, f->domain, f->from_text, f->to_text);
  bimi_cli_dns_options_clear(&f->dns);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(FilterOptions, filter_options_clear)

static void
add_filter_options(GOptionContext *ctx, FilterOptions *f)
{
  const GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &f->db_path, "the report database", "FILE" },
    { "domain", 0, 0, G_OPTION_ARG_STRING, &f->domain, "only this policy domain", "DOMAIN" },
    { "from", 0, 0, G_OPTION_ARG_STRING, &f->from_text,
      "only reports whose date range ends after TIME (RFC 3339 or @EPOCH)", "TIME" },
    { "to", 0, 0, G_OPTION_ARG_STRING, &f->to_text, "only reports whose date range begins before TIME", "TIME" },
    { "no-dns", 0, 0, G_OPTION_ARG_NONE, &f->no_dns, "do not ask PTR/FCrDNS of the sources", NULL },
    G_OPTION_ENTRY_NULL,
  };
  g_option_context_add_main_entries(ctx, entries, NULL);
  bimi_cli_add_dns_options(ctx, &f->dns);
}

/* Opens the database, resolves the options and builds the summary; NULL after printing why. */
static BimiIngestSummary *
summary_from_options(const char *cmd, FilterOptions *f)
{
  g_autoptr(GError) error = NULL;
  gint64 from = -1, to = -1;
  if (f->db_path == NULL) {
    bimi_cli_usage_error(cmd, "--db FILE is required");
    return NULL;
  }
  if ((f->from_text != NULL && !bimi_cli_parse_time(f->from_text, &from, &error)) ||
      (f->to_text != NULL && !bimi_cli_parse_time(f->to_text, &to, &error))) {
    bimi_cli_usage_error(cmd, error->message);
    return NULL;
  }
  g_autoptr(BimiDnsResolver) resolver = NULL;
  if (!f->no_dns) {
    resolver = bimi_cli_dns_resolver(&f->dns, &error);
    if (resolver == NULL) {
      fprintf(stderr, "bimi %s: %s\n", cmd, error->message);
      return NULL;
    }
  }
  g_autoptr(BimiReportDb) db = open_ingest_db(f->db_path, &error);
  if (db == NULL) {
    fprintf(stderr, "bimi %s: %s\n", cmd, error->message);
    return NULL;
  }
  BimiIngestSummary *s = bimi_ingest_summary_build(db, f->domain, from, to, resolver, &error);
  if (s == NULL)
    fprintf(stderr, "bimi %s: %s\n", cmd, error->message);
  return s;
}

/* Parses @extra and the filter options into @f; FALSE after printing a usage error. */
static gboolean
parse_filter(const char *cmd, const char *what, const GOptionEntry *extra, int argc, char **argv, FilterOptions *f)
{
  g_autoptr(GOptionContext) ctx = g_option_context_new(what);
  g_autoptr(GError) error = NULL;
  g_option_context_add_main_entries(ctx, extra, NULL);
  add_filter_options(ctx, f);
  if (!g_option_context_parse(ctx, &argc, &argv, &error) || argc != 1) {
    bimi_cli_usage_error(cmd, error != NULL ? error->message : "unexpected argument");
    return FALSE;
  }
  return TRUE;
}

int
bimi_cli_cmd_report_summary(int argc, char **argv)
{
  g_auto(FilterOptions) f = { 0 };
  gboolean json = FALSE, csv = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "print JSON", NULL },
    { "csv", 0, 0, G_OPTION_ARG_NONE, &csv, "print the sources as CSV", NULL },
    G_OPTION_ENTRY_NULL,
  };
  if (!parse_filter("report summary", "- per policy domain: messages, DMARC pass share, sources by group, "
                    "a recommendation", entries, argc, argv, &f))
    return BIMI_EXIT_USAGE;
  if (json && csv)
    return bimi_cli_usage_error("report summary", "--json and --csv exclude each other");
  g_autoptr(BimiIngestSummary) s = summary_from_options("report summary", &f);
  if (s == NULL)
    return BIMI_EXIT_USAGE;
  if (json) {
    g_autoptr(BimiJsonWriter) b = bimi_json_writer_new();
    bimi_ingest_summary_build_json(s, b);
    bimi_cli_print_writer(b);
  } else {
    g_autofree char *text = csv ? bimi_ingest_summary_to_csv(s) : bimi_ingest_summary_to_text(s);
    fputs(text, stdout);
  }
  return BIMI_EXIT_PASS;
}

int
bimi_cli_cmd_report_html(int argc, char **argv)
{
  g_auto(FilterOptions) f = { 0 };
  g_autofree char *out = NULL;
  const GOptionEntry entries[] = {
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, "the HTML file to write (- for stdout)", "FILE" },
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GError) error = NULL;
  if (!parse_filter("report html", "- one self-contained HTML page: per domain messages per day (DMARC pass/fail) "
                    "and the sources", entries, argc, argv, &f))
    return BIMI_EXIT_USAGE;
  if (out == NULL)
    return bimi_cli_usage_error("report html", "--out FILE is required");
  g_autoptr(BimiIngestSummary) s = summary_from_options("report html", &f);
  if (s == NULL)
    return BIMI_EXIT_USAGE;
  g_autofree char *page = bimi_ingest_summary_to_html(s, g_get_real_time() / G_USEC_PER_SEC);
  if (!bimi_cli_write_output(out, page, strlen(page), &error)) {
    fprintf(stderr, "bimi report html: %s\n", error->message);
    return BIMI_EXIT_USAGE;
  }
  return BIMI_EXIT_PASS;
}
