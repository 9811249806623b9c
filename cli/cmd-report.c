/* cli/cmd-report.c — `bimi report SUBCOMMAND`: DMARC aggregate reports (RFC 9990).
 *
 * Reports this receiver sends (issue 15, cli/cmd-report-send.c): build, send.
 * Received reports (issue 16, cli/cmd-report-ingest.c): ingest, summary, html.
 */
#include "cli/commands.h"

#include <string.h>

typedef struct {
  const char *name;
  BimiCliCommandFunc func;
} ReportCommand;

static const ReportCommand report_commands[] = {
  { "build", bimi_cli_cmd_report_build },
  { "send", bimi_cli_cmd_report_send },
  { "ingest", bimi_cli_cmd_report_ingest },
  { "summary", bimi_cli_cmd_report_summary },
  { "html", bimi_cli_cmd_report_html },
};

int
bimi_cli_cmd_report(int argc, char **argv)
{
  for (gsize i = 0; argc >= 2 && i < G_N_ELEMENTS(report_commands); i++) {
    if (strcmp(argv[1], report_commands[i].name) == 0)
      return report_commands[i].func(argc - 1, argv + 1);
  }
  return bimi_cli_usage_error("report", "expected build, send, ingest, summary or html (bimi report build --help)");
}
