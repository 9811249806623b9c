/* cli/cmd-survey.c — `bimi survey INPUT... [-c CONFIG] [--zone FILE]... [--bin 6h] [--from T --to T]
 * [--json|--csv] [--charts DIR] [--jobs N] [--report-db FILE]` (issue 17): every message of the
 * mailboxes through the pipeline of the service, and the operator's tables per time bin of the
 * Received date (UTC) and in total — FCrDNS, DMARC results, published policies, what a DMARC-enforcing
 * receiver would refuse, BIMI — as text, JSON or CSV, and PNG charts (survey/).
 *
 * INPUT: an mbox file, a Maildir, a directory of .eml files (walked recursively), a message file, or
 * "-": one such path per line on stdin. On a terminal, stderr shows a progress bar (count, rate, ETA
 * when every INPUT is a Maildir) and the rate at the end; on a pipe only the result is written
 * (stdout). Exit: 0 done (malformed messages are listed, not fatal); 2 usage, an INPUT that cannot
 * be opened, a configuration or component that cannot start, charts that cannot be written.
 */
#include "cli/commands.h"
#include "engine/limits.h"
#include "evaluate/evaluate.h"
#include "survey/survey-chart.h"
#include "survey/survey-output.h"
#include "survey/survey-run.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The progress bar on stderr (a terminal): "[######......]  1234/5000  410 msg/s  ETA 0:09" for
 * Maildirs (messages known), "[######......]  1234 messages  42 %  410 msg/s  ETA 0:09" for mbox
 * files (the share of bytes read), else the count and the rate. */
static void
progress(const BimiSurveyProgress *p, gpointer user_data)
{
  double rate = p->elapsed > 0 ? (double) p->done / p->elapsed : 0;
  double share = -1, eta = 0;
  char bar[31];

  (void) user_data;
  if (p->total > 0) {
    share = (double) MIN(p->done, p->total) / (double) p->total;
    eta = rate > 0 && p->total > p->done ? (double) (p->total - p->done) / rate : 0;
  } else if (p->bytes_total > 0) {
    share = (double) MIN(p->bytes_read, p->bytes_total) / (double) p->bytes_total;
    eta = share > 0 ? p->elapsed * (1 - share) / share : 0;
  }
  if (share < 0) {
    fprintf(stderr, "\r%" G_GUINT64_FORMAT " messages  %.0f msg/s ", p->done, rate);
    fflush(stderr);
    return;
  }
  memset(bar, '#', (gsize) (share * 30));
  memset(bar + (gsize) (share * 30), '.', 30 - (gsize) (share * 30));
  bar[30] = '\0';
  if (p->total > 0)
    fprintf(stderr, "\r[%s] %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT "  %.0f msg/s  ETA %u:%02u ", bar, p->done,
            p->total, rate, (guint) eta / 60, (guint) eta % 60);
  else
    fprintf(stderr, "\r[%s] %" G_GUINT64_FORMAT " messages  %3.0f %%  %.0f msg/s  ETA %u:%02u ", bar, p->done,
            100 * share, rate, (guint) eta / 60, (guint) eta % 60);
  fflush(stderr);
}

static gboolean
parse_period_time(const char *option, const char *text, gint64 *out, GError **error)
{
  if (bimi_cli_parse_time(text, out, NULL))
    return TRUE;
  g_set_error(error, BIMI_SURVEY_ERROR, BIMI_SURVEY_ERROR_ARGUMENT,
              "%s: '%s' is not RFC 3339 (2026-03-02T00:00:00Z) nor @EPOCH", option, text);
  return FALSE;
}

int
bimi_cli_cmd_survey(int argc, char **argv)
{
  g_auto(BimiCliDnsOptions) dns = { 0 };
  g_auto(BimiCliFetchOptions) fetch = { 0 };
  g_auto(BimiCliPipelineOptions) pipeline = { 0 };
  g_autofree char *bin = NULL, *from = NULL, *to = NULL, *charts = NULL;
  gboolean json = FALSE, csv = FALSE;
  int jobs = 0;
  const GOptionEntry entries[] = {
    { "bin", 0, 0, G_OPTION_ARG_STRING, &bin, "Width of the time bins: 6h (default), 30m, 1d, 1w...", "DURATION" },
    { "from", 0, 0, G_OPTION_ARG_STRING, &from, "Only messages received at or after TIME (RFC 3339 or @EPOCH)",
      "TIME" },
    { "to", 0, 0, G_OPTION_ARG_STRING, &to, "Only messages received before TIME (RFC 3339 or @EPOCH)", "TIME" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the counts as JSON (docs/api.md)", NULL },
    { "csv", 0, 0, G_OPTION_ARG_NONE, &csv, "Print the counts as CSV, one number per row", NULL },
    { "charts", 0, 0, G_OPTION_ARG_FILENAME, &charts, "Write PNG charts into DIR (created when missing)", "DIR" },
    { "jobs", 'j', 0, G_OPTION_ARG_INT, &jobs, "Evaluation threads (default: the number of CPUs)", "N" },
    G_OPTION_ENTRY_NULL,
  };
  const BimiCliSpec spec = {
    .name = "survey",
    .parameters = "INPUT... - survey a mail stream: FCrDNS, DMARC, policies, refusals, BIMI per time bin",
    .description = "INPUT: an mbox file, a Maildir, a directory of .eml files, a message, or - (one path\n"
                   "per line on stdin). The envelope comes from the topmost Received field of an\n"
                   "[auth] trusted_receivers host (-c CONFIG); without one a message counts as no envelope.\n"
                   "Exit status: 0 done (malformed messages are listed); 2 usage or setup error.\n",
    .entries = entries, .dns = &dns, .fetch = &fetch, .pipeline = &pipeline, .n_args = -1,
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiConfig) config = NULL;
  g_autoptr(BimiEvaluator) ev = NULL;
  g_autoptr(BimiSurveyStats) stats = NULL;
  g_autoptr(GString) out = g_string_new(NULL);
  BimiSurveyRunOptions run = { 0 };
  BimiSurveyRunResult result = { 0 };
  BimiSurveyReportInfo info = { 0 };
  gint64 bin_seconds = 6 * 3600;
  gboolean tty = isatty(STDERR_FILENO);

  if (!bimi_cli_parse(&spec, &argc, &argv))
    return BIMI_EXIT_USAGE;
  if (argc < 2)
    return bimi_cli_usage_error("survey", "expected at least one INPUT (mbox, Maildir, directory, message or -)");
  if (json && csv)
    return bimi_cli_usage_error("survey", "--json and --csv are exclusive");
  if (jobs == 0)
    jobs = (int) MIN(g_get_num_processors(), BIMI_SURVEY_MAX_JOBS);
  if (jobs < 1 || (guint) jobs > BIMI_SURVEY_MAX_JOBS) {
    g_autofree char *m = g_strdup_printf("--jobs: %d is out of range (1 to %u)", jobs, BIMI_SURVEY_MAX_JOBS);
    return bimi_cli_usage_error("survey", m);
  }
  if ((bin != NULL && !bimi_survey_parse_duration(bin, &bin_seconds, &error)) ||
      (from != NULL && !parse_period_time("--from", from, &run.from, &error)) ||
      (to != NULL && !parse_period_time("--to", to, &run.to, &error)))
    return bimi_cli_usage_error("survey", error->message);
  if (from != NULL && to != NULL && run.to <= run.from)
    return bimi_cli_usage_error("survey", "--to must be after --from");
  if (dns.timeout_ms != G_MININT && dns.timeout_ms < 1)
    return bimi_cli_usage_error("survey", "--timeout-ms must be at least 1");

  config = bimi_cli_pipeline_config(&pipeline, &dns, &fetch, &error);
  if (config == NULL)
    return bimi_cli_fail(BIMI_EXIT_USAGE, "survey: %s", error->message);
  /* A survey of an archive must not record its messages a second time into the service's report
   * database ([report] db of the file): only --report-db records. */
  if (pipeline.report_db == NULL)
    g_clear_pointer(&config->report_db, g_free);
  ev = bimi_evaluator_new(config, g_get_host_name(), &error);
  if (ev == NULL)
    return bimi_cli_fail(BIMI_EXIT_USAGE, "survey: %s", error->message);

  stats = bimi_survey_stats_new(bin_seconds);
  run.evaluator = ev;
  run.inputs = (const char *const *) argv + 1;
  run.jobs = (guint) jobs;
  run.now = bimi_evaluator_now(ev);
  run.has_from = from != NULL;
  run.has_to = to != NULL;
  run.stats = stats;
  run.progress = tty ? progress : NULL;
  if (!bimi_survey_run(&run, &result, &error))
    return bimi_cli_fail(BIMI_EXIT_USAGE, "survey: %s", error->message);
  if (tty)
    fprintf(stderr, "\r\033[K%" G_GUINT64_FORMAT " messages in %.1f s: %.1f messages/s (%d jobs)\n", result.messages,
            result.elapsed, result.messages_per_second, jobs);

  info.inputs = run.inputs;
  info.jobs = run.jobs;
  info.has_from = run.has_from;
  info.has_to = run.has_to;
  info.from = run.from;
  info.to = run.to;
  info.run = &result;
  if (charts != NULL) {
    g_autoptr(GPtrArray) written = g_ptr_array_new_with_free_func(g_free);
    if (!bimi_survey_write_charts(stats, charts, written, &error))
      return bimi_cli_fail(BIMI_EXIT_USAGE, "survey: --charts: %s", error->message);
    for (guint i = 0; tty && i < written->len; i++)
      fprintf(stderr, "chart: %s\n", (const char *) written->pdata[i]);
  }
  if (json) {
    g_autoptr(JsonNode) root = bimi_survey_build_json(stats, &info);
    bimi_cli_print_json(root);
  } else {
    if (csv)
      bimi_survey_write_csv(stats, &info, out);
    else
      bimi_survey_write_table(stats, &info, out);
    fwrite(out->str, 1, out->len, stdout);
  }
  return fflush(stdout) == 0 ? BIMI_EXIT_PASS : bimi_cli_fail(BIMI_EXIT_USAGE, "survey: cannot write stdout");
}
