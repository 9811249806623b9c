/* fuzz/fuzz-config.c — libFuzzer target for evaluate/config (the configuration file, DESIGN.md §6).
 *
 * Parses the input as a configuration file. For a configuration that parses, the
 * keys set away from their defaults (bimi_config_format_changed()) must parse back
 * to the same text, and bimi_config_warnings() must answer. For one that does not,
 * the error must carry one line per problem, each naming the source. Any breach aborts.
 */
#include "evaluate/config.h"
#include "fuzz/fuzz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiConfig) c = bimi_config_new_from_data((const char *) data, size, "fuzz.conf", &error);

  if (c == NULL) {
    g_auto(GStrv) lines = NULL;
    fuzz_expect_error(error, BIMI_CONFIG_ERROR);
    lines = g_strsplit(error->message, "\n", -1);
    for (guint i = 0; lines[i] != NULL; i++)
      if (!g_str_has_prefix(lines[i], "fuzz.conf"))
        abort();
    return 0;
  }
  {
    g_autofree char *changed = bimi_config_format_changed(c);
    g_autoptr(GError) again_error = NULL;
    g_autoptr(BimiConfig) again = bimi_config_new_from_data(changed, strlen(changed), "changed", &again_error);
    g_autofree char *changed_again = NULL;
    g_auto(GStrv) warnings = bimi_config_warnings(c);
    if (again == NULL)
      abort();
    changed_again = bimi_config_format_changed(again);
    if (strcmp(changed, changed_again) != 0)
      abort();
    if (warnings == NULL)
      abort();
  }
  return 0;
}
