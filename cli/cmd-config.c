/* cli/cmd-config.c — `bimi config example` and `bimi config check FILE`: the
 * configuration key table (evaluate/config.h) seen from the command line.
 *
 *   bimi config example     prints the example configuration generated from the
 *                           key table: every key, its documentation and its
 *                           default (conf/bimi.conf.example is this output)
 *   bimi config check FILE  parses FILE as bimi-fcgi would, then prints the keys
 *                           it sets away from their defaults
 *
 * Exit: 0 ok, 1 a configuration error (printed on stderr), 2 usage.
 */
#include "cli/commands.h"
#include "evaluate/config.h"

#include <stdio.h>
#include <string.h>

int
bimi_cli_cmd_config(int argc, char **argv)
{
  if (argc == 2 && strcmp(argv[1], "example") == 0) {
    g_autofree char *text = bimi_config_example_text();
    fputs(text, stdout);
    return BIMI_EXIT_PASS;
  }
  if (argc == 3 && strcmp(argv[1], "check") == 0) {
    g_autoptr(GError) error = NULL;
    g_autoptr(BimiConfig) config = bimi_config_new_from_file(argv[2], &error);
    g_autofree char *changed = NULL;
    if (config == NULL)
      return bimi_cli_fail(BIMI_EXIT_FAIL, "config: %s", error->message);
    changed = bimi_config_format_changed(config);
    printf("# %s: configuration ok; keys set away from their defaults:\n%s", argv[2], changed);
    return BIMI_EXIT_PASS;
  }
  fprintf(stderr, "usage: bimi config example | bimi config check FILE\n");
  return BIMI_EXIT_USAGE;
}
