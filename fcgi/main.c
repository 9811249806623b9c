/* fcgi/main.c — bimi-fcgi, the FastCGI service (DESIGN.md §4, §6).
 *
 *   bimi-fcgi -c FILE [--check-config] [--version]
 *
 * Reads the configuration, builds the one BimiEvaluator (resolver, fetcher,
 * trust store, caches, render pool), listens where [server] listen says and
 * serves until SIGTERM (fcgi/server.c). Logs go to stderr at [server]
 * log_level (fcgi/log.c). Exit: 0 after SIGTERM or a good --check-config,
 * 1 bad configuration or setup, 2 usage.
 *
 * --check-config runs every check the start runs (bimi_evaluator_check_config():
 * files, resolver, fetcher, trust store, render worker; the listen address and
 * its directory) without binding or creating anything, and prints every
 * problem, one per line, not only the first; settings for tests only
 * (bimi_config_warnings()) are warnings, here and at start.
 */
#include "fcgi/log.h"
#include "fcgi/server.h"
#include "evaluate/config.h"
#include "evaluate/evaluate.h"
#include "engine/vmc.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Each line of @text on @out, after @prefix. */
static void
print_lines(FILE *out, const char *prefix, const char *text)
{
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    fprintf(out, "%s%s\n", prefix, lines[i]);
}

/* [server] listen: its syntax, and for a unix socket that its directory exists
 * (bind(2) would fail at start). Nothing is bound. */
static void
check_listen(const BimiConfig *config, const char *source, GPtrArray *problems)
{
  g_autoptr(GError) error = NULL;
  BimiFcgiListen listen;

  if (!bimi_fcgi_listen_parse(config->server_listen, &listen, &error)) {
    g_ptr_array_add(problems, g_strdup_printf("%s: %s", source, error->message));
    return;
  }
  if (listen.unix_path != NULL) {
    g_autofree char *dir = g_path_get_dirname(listen.unix_path);
    if (!g_file_test(dir, G_FILE_TEST_IS_DIR))
      g_ptr_array_add(problems, g_strdup_printf("%s: [server] listen = %s: the directory %s does not exist "
                                                "(with systemd, RuntimeDirectory= creates it)",
                                                source, config->server_listen, dir));
    else if (access(dir, W_OK | X_OK) != 0)
      g_ptr_array_add(problems, g_strdup_printf("%s: [server] listen = %s: the directory %s is not writable "
                                                "by this user", source, config->server_listen, dir));
  }
  bimi_fcgi_listen_clear(&listen);
}

/* --check-config: exit 0 with "configuration ok" and the changed keys, or 1
 * with every problem on stderr, one per line. */
static int
check_config(const char *config_path)
{
  g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiConfig) config = bimi_config_load_collecting(config_path, problems, &error);
  g_auto(GStrv) warnings = NULL;
  g_autofree char *changed = NULL;

  if (config == NULL) {
    print_lines(stderr, "bimi-fcgi: ", error->message);
    return 1;
  }
  warnings = bimi_config_warnings(config);
  for (guint i = 0; warnings[i] != NULL; i++)
    fprintf(stderr, "bimi-fcgi: %s: warning: %s\n", config_path, warnings[i]);
  check_listen(config, config_path, problems);
  bimi_evaluator_check_config(config, config_path, problems);
  for (guint i = 0; i < problems->len; i++)
    fprintf(stderr, "bimi-fcgi: %s\n", (const char *) problems->pdata[i]);
  if (problems->len > 0) {
    fprintf(stderr, "bimi-fcgi: %s: %u problem%s, the service would not start\n", config_path, problems->len,
            problems->len == 1 ? "" : "s");
    return 1;
  }
  changed = bimi_config_format_changed(config);
  printf("bimi-fcgi: %s: configuration ok\n", config_path);
  /* The keys the file sets away from their defaults (evaluate/config.c's key table). */
  fputs(changed, stdout);
  return 0;
}

int
main(int argc, char **argv)
{
  g_autofree char *config_path = NULL;
  gboolean check_only = FALSE, version = FALSE;
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path, "Configuration file (INI, see conf/bimi.conf.example)", "FILE" },
    { "check-config", 0, 0, G_OPTION_ARG_NONE, &check_only, "Check the configuration and the listen address, then exit", NULL },
    { "version", 'V', 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  g_autoptr(GOptionContext) opts = g_option_context_new("- BIMI decisions over FastCGI");
  g_autoptr(GError) error = NULL;

  /* Before any thread exists (the evaluator starts some): signals are read
   * from a signalfd by the dispatcher, never by a handler. */
  bimi_fcgi_server_block_signals();
  bimi_fcgi_log_init();

  g_option_context_add_main_entries(opts, entries, NULL);
  if (!g_option_context_parse(opts, &argc, &argv, &error)) {
    fprintf(stderr, "bimi-fcgi: %s\n", error->message);
    return 2;
  }
  if (version) {
    printf("bimi-fcgi %s\n", BIMI_VERSION);
    return 0;
  }
  if (config_path == NULL || argc > 1) {
    fprintf(stderr, "usage: bimi-fcgi -c FILE [--check-config] [--version]\n");
    return 2;
  }

  if (check_only)
    return check_config(config_path);
  g_autoptr(BimiConfig) config = bimi_config_new_from_file(config_path, &error);
  if (config == NULL) {
    print_lines(stderr, "bimi-fcgi: ", error->message);
    return 1;
  }
  g_auto(GStrv) warnings = bimi_config_warnings(config);
  BimiFcgiListen listen;
  if (!bimi_fcgi_listen_parse(config->server_listen, &listen, &error)) {
    fprintf(stderr, "bimi-fcgi: %s: %s\n", config_path, error->message);
    return 1;
  }
  bimi_fcgi_listen_clear(&listen);
  bimi_fcgi_log_set_level(config->server_log_level);
  bimi_fcgi_log_set_format(config->server_log_format);
  for (guint i = 0; warnings[i] != NULL; i++)
    g_warning("%s: %s", config_path, warnings[i]);

  g_autoptr(BimiEvaluator) evaluator = bimi_evaluator_new(config, g_get_host_name(), &error);
  if (evaluator == NULL) {
    g_critical("%s", error->message);
    return 1;
  }
  bimi_evaluator_set_brand_func(evaluator, bimi_fcgi_log_brand, NULL);
  g_autoptr(BimiFcgiServer) server = bimi_fcgi_server_new(config_path, evaluator, &error);
  if (server == NULL) {
    g_critical("%s", error->message);
    return 1;
  }
  /* The server holds its own reference; ours would keep this first evaluator and its
   * render pool alive past every SIGHUP. */
  g_clear_pointer(&evaluator, bimi_evaluator_unref);
  return bimi_fcgi_server_run(server);
}
