/* cli/cmd-report.c — `bimi report SUBCOMMAND`: DMARC aggregate reports (RFC 9990).
 *
 * Reports this receiver sends (issue 15, cli/cmd-report-send.c): build, send.
 * Received reports (issue 16, cli/cmd-report-ingest.c): ingest, summary, html.
 */
#include "cli/commands.h"

static const BimiCliCommand report_commands[] = {
  { "build", bimi_cli_cmd_report_build, NULL },
  { "send", bimi_cli_cmd_report_send, NULL },
  { "ingest", bimi_cli_cmd_report_ingest, NULL },
  { "summary", bimi_cli_cmd_report_summary, NULL },
  { "html", bimi_cli_cmd_report_html, NULL },
};

int
bimi_cli_cmd_report(int argc, char **argv)
{
  const BimiCliCommand *command =
    bimi_cli_find_command(report_commands, G_N_ELEMENTS(report_commands), argc >= 2 ? argv[1] : NULL);

  if (command != NULL)
    return command->func(argc - 1, argv + 1);
  return bimi_cli_usage_error("report", "expected build, send, ingest, summary or html (bimi report build --help)");
}
