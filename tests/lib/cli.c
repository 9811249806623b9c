/* tests/lib/cli.c — see cli.h. */
#include "tests/lib/cli.h"

#include <sys/wait.h>

char *
bimi_test_cli_path(void)
{
  const char *build = g_getenv("BIMI_BUILD");
  return g_build_filename(build != NULL ? build : "build", "bimi", NULL);
}

int
bimi_test_cli_run(const char *command, const char *const *args, char **out, char **err)
{
  g_autofree char *bin = bimi_test_cli_path();
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GError) error = NULL;
  int status = 0;

  if (!g_file_test(bin, G_FILE_TEST_IS_EXECUTABLE))
    g_error("%s not built", bin);
  g_ptr_array_add(argv, g_strdup(bin));
  if (command != NULL)
    g_ptr_array_add(argv, g_strdup(command));
  for (gsize i = 0; args[i] != NULL; i++)
    g_ptr_array_add(argv, g_strdup(args[i]));
  g_ptr_array_add(argv, NULL);
  if (!g_spawn_sync(NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, err, &status, &error))
    g_error("spawn %s: %s", bin, error->message);
  g_assert_true(WIFEXITED(status));
  return WEXITSTATUS(status);
}
