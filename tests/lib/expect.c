/* tests/lib/expect.c — see expect.h. */
#include "tests/lib/expect.h"
#include "tests/lib/cli.h"

#include <string.h>

void
bimi_test_cli_run_free(BimiTestCliRun *run)
{
  if (run == NULL)
    return;
  g_free(run->out);
  g_free(run->err);
  g_free(run);
}

BimiTestCliRun *
bimi_test_cli_expect(const char *command, const char *const *args, int status, const char *const *out_has)
{
  g_autoptr(BimiTestCliRun) run = g_new0(BimiTestCliRun, 1);

  run->status = bimi_test_cli_run(command, args, &run->out, &run->err);
  if (run->status != status)
    g_error("bimi %s %s: exit status %d, not %d; stderr:\n%s", command != NULL ? command : "",
            args[0] != NULL ? args[0] : "", run->status, status, run->err);
  for (gsize i = 0; out_has != NULL && out_has[i] != NULL; i++) {
    if (strstr(run->out, out_has[i]) == NULL)
      g_error("bimi %s: stdout lacks '%s':\n%s", command != NULL ? command : "", out_has[i], run->out);
  }
  return g_steal_pointer(&run);
}

void
bimi_test_assert_samples(const char *text, const char *const *samples)
{
  for (gsize i = 0; samples[i] != NULL; i++) {
    g_autofree char *line = g_strconcat("\n", samples[i], "\n", NULL);
    if (strstr(text, line) == NULL)
      g_error("no sample line '%s' in:\n%s", samples[i], text);
  }
}
