/* cli/main.c — `bimi`: subcommand dispatch over libbimi (DESIGN.md §5). */
#include "cli/commands.h"

#include <stdio.h>
#include <string.h>
#include <locale.h>

static const BimiCliCommand commands[] = {
  { "dns", bimi_cli_cmd_dns, "ask the engine's DNS layer one question (TYPE NAME)" },
  { "headers", bimi_cli_cmd_headers, "show the header index and the parsed From of a message" },
  { "rdns", bimi_cli_cmd_rdns, "forward-confirmed reverse DNS of an address (IP)" },
  { "spf", bimi_cli_cmd_spf, "RFC 7208 SPF check_host() (--ip --helo --mail-from)" },
  { "dkim", bimi_cli_cmd_dkim, "verify the DKIM signatures of a message (MSG.eml)" },
  { "arc", bimi_cli_cmd_arc, "validate the ARC chain of a message (MSG.eml), RFC 8617" },
  { "dmarc", bimi_cli_cmd_dmarc, "SPF + DKIM + DMARC of a message (MSG.eml --ip --helo --mail-from)" },
  { "lookup", bimi_cli_cmd_lookup, "BIMI Assertion Record and DMARC gate of a domain (DOMAIN [--selector S])" },
  { "fetch", bimi_cli_cmd_fetch, "fetch a logo or Evidence Document URL over hardened HTTPS" },
  { "svg", bimi_cli_cmd_svg, "check LOGO.svg: validate an indicator against SVG Tiny PS" },
  { "cert", bimi_cli_cmd_cert, "validate a VMC/CMC Evidence Document (verify), extract its logo (logo)" },
  { "render", bimi_cli_cmd_render, "rasterise a validated SVG logo to PNG (--size PX -o OUT.png)" },
  { "config", bimi_cli_cmd_config, "the configuration keys: example (every key and default), check FILE" },
  { "evaluate", bimi_cli_cmd_evaluate, "the whole pipeline and the decision for a message (MSG.eml [--ip ...])" },
  { "survey", bimi_cli_cmd_survey, "survey a mail stream (mbox, Maildir, .eml): FCrDNS, DMARC, refusals, BIMI per time bin" },
  { "report", bimi_cli_cmd_report, "DMARC aggregate reports: build, send (RFC 9990, DKIM, SMTP); ingest, summary, html" },
};

static void
print_help(FILE *out)
{
  fprintf(out, "Usage: bimi COMMAND [OPTIONS...]\n\n"
               "Receive-side mail authentication and BIMI, from the command line.\n\nCommands:\n");
  for (gsize i = 0; i < G_N_ELEMENTS(commands); i++)
    fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf(out, "\n'bimi COMMAND --help' shows a command's options.\n"
               "Exit status: 0 pass/valid, 1 fail/invalid, 2 usage or internal error, 3 temperror.\n");
}

int
main(int argc, char **argv)
{
  setlocale(LC_ALL, "");
  if (argc < 2) {
    print_help(stderr);
    return BIMI_EXIT_USAGE;
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
    print_help(stdout);
    return BIMI_EXIT_PASS;
  }
  if (strcmp(argv[1], "--version") == 0) {
    printf("bimi %s\n", BIMI_VERSION);
    return BIMI_EXIT_PASS;
  }
  /* Hidden: the render worker a render pool spawns (renderer/worker.h); not in the help. */
  if (strcmp(argv[1], "__render-worker") == 0)
    return bimi_cli_cmd_render_worker(argc - 1, argv + 1);
  const BimiCliCommand *command = bimi_cli_find_command(commands, G_N_ELEMENTS(commands), argv[1]);
  if (command != NULL)
    return command->func(argc - 1, argv + 1);
  fprintf(stderr, "bimi: unknown command '%s'\n\n", argv[1]);
  print_help(stderr);
  return BIMI_EXIT_USAGE;
}
