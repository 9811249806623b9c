/* fcgi/main.c — bimi-fcgi, the FastCGI service (DESIGN.md §4, §6).
 *
 *   bimi-fcgi -c FILE [--check-config] [--version]
 *
 * Reads the configuration, builds the one BimiEvaluator (resolver, fetcher,
 * trust store, caches, render pool), listens where [server] listen says and
 * serves until SIGTERM (fcgi/server.c). Logs go to stderr at [server]
 * log_level (fcgi/log.c). Exit: 0 after SIGTERM or a good --check-config,
 * 1 bad configuration or setup, 2 usage.
 */
#include "fcgi/log.h"
#include "fcgi/server.h"
#include "evaluate/config.h"
#include "evaluate/evaluate.h"
#include "engine/vmc.h"

#include <stdio.h>
#include <stdlib.h>

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

  g_autoptr(BimiConfig) config = bimi_config_new_from_file(config_path, &error);
  if (config == NULL) {
    fprintf(stderr, "bimi-fcgi: %s\n", error->message);
    return 1;
  }
  BimiFcgiListen listen;
  if (!bimi_fcgi_listen_parse(config->server_listen, &listen, &error)) {
    fprintf(stderr, "bimi-fcgi: %s: %s\n", config_path, error->message);
    return 1;
  }
  bimi_fcgi_listen_clear(&listen);
  if (check_only) {
    /* The files the configuration names must load too: a missing trust store is
     * caught before systemd starts the service, not at the first Evidence Document. */
    g_autoptr(BimiVmcTrust) trust = bimi_vmc_trust_new_from_files(config->trust_bimi_roots, config->trust_ct_logs,
                                                                  &error);
    if (trust == NULL) {
      fprintf(stderr, "bimi-fcgi: %s: [trust]: %s\n", config_path, error->message);
      return 1;
    }
    g_autofree char *changed = bimi_config_format_changed(config);
    printf("bimi-fcgi: %s: configuration ok\n", config_path);
    /* The keys the file sets away from their defaults (evaluate/config.c's key table). */
    fputs(changed, stdout);
    return 0;
  }
  bimi_fcgi_log_set_level(config->server_log_level);

  g_autoptr(BimiEvaluator) evaluator = bimi_evaluator_new(config, &error);
  if (evaluator == NULL) {
    g_critical("%s", error->message);
    return 1;
  }
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
