/* cli/common.c — option groups and helpers shared by the `bimi` subcommands. */
#include "cli/commands.h"
#include "engine/base/base-mem.h"
#include "engine/dkim.h"
#include "engine/limits.h"
#include "engine/message.h"
#include "engine/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

/* --timeout-ms not given (0 and negative values given are refused). An int
 * option cannot say whether it was given, so it starts at this value; the
 * one value it hides is an explicit --timeout-ms -2147483648. */
#define TIMEOUT_UNSET G_MININT

void
bimi_cli_add_dns_options(GOptionContext *context, BimiCliDnsOptions *opts)
{
  opts->timeout_ms = TIMEOUT_UNSET;
  const GOptionEntry entries[] = {
    { "zone", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &opts->zone_files,
      "Answer DNS from this RFC 1035 zone file only, offline (repeatable)", "FILE" },
    { "dns-timeout", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opts->fault_names,
      "Queries for NAME that the data cannot answer time out (repeatable)", "NAME" },
    { "forwarder", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opts->forwarders,
      "Send queries to this resolver, e.g. 127.0.0.1@5353 (repeatable)", "ADDR[@PORT]" },
    { "timeout-ms", 0, 0, G_OPTION_ARG_INT, &opts->timeout_ms,
      "Deadline of each question in milliseconds, at least 1 (default 4000)", "MS" },
    { "trust-anchor", 0, 0, G_OPTION_ARG_FILENAME, &opts->trust_anchor,
      "Validate DNSSEC from these DS/DNSKEY records (e.g. /usr/share/dns/root.key); bogus answers are TEMPERROR",
      "FILE" },
    G_OPTION_ENTRY_NULL,
  };
  /* In the main group, so that plain --help lists them (a separate group
   * shows only under --help-dns or --help-all). The entries are copied. */
  g_option_context_add_main_entries(context, entries, NULL);
}

BimiDnsResolver *
bimi_cli_dns_resolver(const BimiCliDnsOptions *opts, GError **error)
{
  BimiDnsConfig config = { 0 };

  if (opts->timeout_ms != TIMEOUT_UNSET && opts->timeout_ms < 1) {
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--timeout-ms must be at least 1 (got %d)",
                opts->timeout_ms);
    return NULL;
  }
  if (opts->zone_files != NULL && opts->zone_files[0] != NULL && opts->forwarders != NULL &&
      opts->forwarders[0] != NULL) {
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                "--zone and --forwarder are exclusive (zone files answer offline, without any server)");
    return NULL;
  }
  config.zone_files = (const char *const *) opts->zone_files;
  config.fault_names = (const char *const *) opts->fault_names;
  config.forwarders = (const char *const *) opts->forwarders;
  config.timeout_ms = opts->timeout_ms == TIMEOUT_UNSET ? 0 : (guint) opts->timeout_ms;
  config.trust_anchor_file = opts->trust_anchor;
  return bimi_dns_resolver_new(&config, error);
}

void
bimi_cli_dns_options_clear(BimiCliDnsOptions *opts)
{
  g_clear_pointer(&opts->zone_files, g_strfreev);
  g_clear_pointer(&opts->fault_names, g_strfreev);
  g_clear_pointer(&opts->forwarders, g_strfreev);
  g_clear_pointer(&opts->trust_anchor, g_free);
}

void
bimi_cli_add_fetch_options(GOptionContext *context, BimiCliFetchOptions *opts)
{
  const GOptionEntry entries[] = {
    { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &opts->ca_file,
      "Trust these TLS roots instead of the system's (https fetches)", "FILE" },
    { "allow-private-addresses", 0, 0, G_OPTION_ARG_NONE, &opts->allow_private_addresses,
      "Allow loopback/private/special addresses, any port, IP literals (tests, demo)", NULL },
    { "allow-private", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &opts->allow_private_addresses,
      "Same as --allow-private-addresses (the spelling of bimi fetch)", NULL },
    { "resolve", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opts->resolve, "Pin HOST:PORT:ADDRESS (repeatable)", "PIN" },
    { "connect-to", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opts->connect_to,
      "Connect to CONNECT-HOST:CONNECT-PORT for HOST:PORT (repeatable; tests, demo)",
      "HOST:PORT:CONNECT-HOST:CONNECT-PORT" },
    G_OPTION_ENTRY_NULL,
  };
  g_option_context_add_main_entries(context, entries, NULL);
}

BimiFetcher *
bimi_cli_fetcher(const BimiCliFetchOptions *opts, BimiDnsResolver *resolver, GError **error)
{
  BimiFetchConfig config = { 0 };
  g_autoptr(BimiDnsResolver) system = NULL;

  if (resolver == NULL) {
    system = bimi_dns_resolver_new(NULL, error);
    if (system == NULL)
      return NULL;
    resolver = system;
  }
  config.resolver = resolver;

  config.ca_file = opts->ca_file;
  config.allow_private_addresses = opts->allow_private_addresses;
  config.resolve = (const char *const *) opts->resolve;
  config.connect_to = (const char *const *) opts->connect_to;
  return bimi_fetch_fetcher_new(&config, error);
}

void
bimi_cli_fetch_options_clear(BimiCliFetchOptions *opts)
{
  g_clear_pointer(&opts->ca_file, g_free);
  g_clear_pointer(&opts->resolve, g_strfreev);
  g_clear_pointer(&opts->connect_to, g_strfreev);
}

const BimiCliCommand *
bimi_cli_find_command(const BimiCliCommand *commands, gsize n_commands, const char *name)
{
  for (gsize i = 0; name != NULL && i < n_commands; i++) {
    if (strcmp(name, commands[i].name) == 0)
      return &commands[i];
  }
  return NULL;
}

int
bimi_cli_usage_error(const char *subcommand, const char *message)
{
  fprintf(stderr, "bimi %s: %s\n", subcommand, message);
  fprintf(stderr, "Try 'bimi %s --help'.\n", subcommand);
  return BIMI_EXIT_USAGE;
}

gboolean
bimi_cli_parse(const BimiCliSpec *spec, int *argc, char ***argv)
{
  g_autoptr(GOptionContext) ctx = g_option_context_new(spec->parameters);
  g_autoptr(GError) error = NULL;

  if (spec->entries != NULL)
    g_option_context_add_main_entries(ctx, spec->entries, NULL);
  if (spec->json != NULL) {
    const GOptionEntry json[] = {
      { "json", 0, 0, G_OPTION_ARG_NONE, spec->json, spec->json_help, NULL },
      G_OPTION_ENTRY_NULL,
    };
    g_option_context_add_main_entries(ctx, json, NULL);
  }
  if (spec->dns != NULL)
    bimi_cli_add_dns_options(ctx, spec->dns);
  if (spec->fetch != NULL)
    bimi_cli_add_fetch_options(ctx, spec->fetch);
  if (spec->pipeline != NULL)
    bimi_cli_add_pipeline_options(ctx, spec->pipeline);
  g_option_context_set_summary(ctx, spec->summary);
  g_option_context_set_description(ctx, spec->description);
  if (!g_option_context_parse(ctx, argc, argv, &error)) {
    bimi_cli_usage_error(spec->name, error->message);
    return FALSE;
  }
  if (spec->n_args >= 0 && *argc - 1 != spec->n_args) {
    bimi_cli_usage_error(spec->name, spec->args_usage);
    return FALSE;
  }
  if (spec->now != NULL) {
    *spec->now = g_get_real_time() / G_USEC_PER_SEC; /* the CLI owns the clock (STYLE §7) */
    if (*spec->at != NULL && !bimi_cli_parse_time(*spec->at, spec->now, &error)) {
      bimi_cli_usage_error(spec->name, error->message);
      return FALSE;
    }
  }
  return TRUE;
}

char *
bimi_cli_data_file(const char *name)
{
  g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
  const char *env = g_getenv("BIMI_DATA_DIR");

  if (env != NULL)
    return g_build_filename(env, name, NULL);
  if (exe != NULL) {
    g_autofree char *dir = g_path_get_dirname(exe);
    /* build/bimi → data/ (the tree); PREFIX/bin/bimi → PREFIX/share/bimi (make install) */
    const char *const relative[] = { "../data", "../share/bimi" };
    for (gsize i = 0; i < G_N_ELEMENTS(relative); i++) {
      char *p = g_build_filename(dir, relative[i], name, NULL);
      if (g_file_test(p, G_FILE_TEST_IS_REGULAR))
        return p;
      g_free(p);
    }
  }
  return g_build_filename("data", name, NULL);
}

int
bimi_cli_exit_status(gboolean pass, gboolean temperror)
{
  return pass ? BIMI_EXIT_PASS : temperror ? BIMI_EXIT_TEMPERROR : BIMI_EXIT_FAIL;
}

int
bimi_cli_fail(int status, const char *format, ...)
{
  va_list ap;

  fputs("bimi ", stderr);
  va_start(ap, format);
  vfprintf(stderr, format, ap);
  va_end(ap);
  fputc('\n', stderr);
  return status;
}

gboolean
bimi_cli_parse_time(const char *text, gint64 *out_seconds, GError **error)
{
  if (text[0] == '@') {
    char *end = NULL;
    gint64 v;
    errno = 0;
    v = g_ascii_strtoll(text + 1, &end, 10);
    if (errno != 0 || end == text + 1 || *end != '\0') {
      g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--at: '%s' is not @EPOCH", text);
      return FALSE;
    }
    *out_seconds = v;
    return TRUE;
  } else {
    g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601(text, NULL);
    if (dt == NULL) {
      g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                  "--at: '%s' is not RFC 3339 (2022-11-07T17:54:24Z) nor @EPOCH", text);
      return FALSE;
    }
    *out_seconds = g_date_time_to_unix(dt);
    return TRUE;
  }
}

/* One bounded loop for files, devices, FIFOs and stdin (engine/util.h): the
 * limit holds whatever stat() says. */
GBytes *
bimi_cli_read_file(const char *path, gsize max_bytes, GError **error)
{
  if (g_strcmp0(path, "-") == 0)
    return bimi_util_read_fd(STDIN_FILENO, "stdin", max_bytes, error);
  return bimi_util_read_file(path, max_bytes, error);
}

BimiMessage *
bimi_cli_read_message(const char *path, GError **error)
{
  g_autoptr(GBytes) raw = bimi_cli_read_file(path, BIMI_MAX_MESSAGE_BYTES, error);

  if (raw == NULL)
    return NULL;
  return bimi_message_parse(raw, error);
}

gboolean
bimi_cli_open_message(const char *name, const char *dns_label, const char *path, const BimiCliDnsOptions *dns,
                      BimiMessage **out_message, BimiDnsResolver **out_resolver)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiMessage) message = bimi_cli_read_message(path, &error);
  g_autoptr(BimiDnsResolver) resolver = NULL;

  *out_message = NULL;
  *out_resolver = NULL;
  if (message == NULL) {
    bimi_cli_fail(BIMI_EXIT_USAGE, "%s: %s: %s", name, path, error->message);
    return FALSE;
  }
  resolver = bimi_cli_dns_resolver(dns, &error);
  if (resolver == NULL) {
    bimi_cli_fail(BIMI_EXIT_USAGE, "%s: %s%s%s", name, dns_label ? dns_label : "", dns_label ? ": " : "",
                  error->message);
    return FALSE;
  }
  *out_message = g_steal_pointer(&message);
  *out_resolver = g_steal_pointer(&resolver);
  return TRUE;
}

void
bimi_cli_print_json(JsonNode *root)
{
  g_autoptr(JsonGenerator) gen = json_generator_new();
  g_autofree char *text = NULL;

  json_generator_set_root(gen, root);
  json_generator_set_pretty(gen, TRUE);
  text = json_generator_to_data(gen, NULL);
  printf("%s\n", text);
}

void
bimi_cli_print_writer(BimiJsonWriter *writer)
{
  g_autoptr(JsonNode) root = bimi_json_writer_get_node(writer);

  bimi_cli_print_json(root);
}

void
bimi_cli_json_add_signatures(BimiJsonWriter *writer, const char *member, const GPtrArray *sigs)
{
  bimi_json_set_member_name(writer, member);
  bimi_json_begin_array(writer);
  for (guint i = 0; i < sigs->len; i++)
    bimi_dkim_signature_build_json(g_ptr_array_index(sigs, i), writer);
  bimi_json_end_array(writer);
}

void
bimi_cli_print_result(gboolean json, BimiCliBuildJsonFunc build_json, BimiCliPrintTextFunc print_text,
                      gconstpointer result)
{
  if (json) {
    g_autoptr(BimiJsonWriter) writer = bimi_json_writer_new();
    build_json(result, writer);
    bimi_cli_print_writer(writer);
  } else {
    print_text(result);
  }
}

gboolean
bimi_cli_write_output(const char *path, const void *data, gsize len, GError **error)
{
  struct stat st;
  const guint8 *p = data;
  gsize done = 0;
  int fd;

  if (strcmp(path, "-") == 0) {
    fd = STDOUT_FILENO;
  } else if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
    /* A device or a FIFO: a rename over it would replace /dev/null with a file (as root). */
    fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
      int saved = errno;
      g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved), "%s: %s", path, g_strerror(saved));
      return FALSE;
    }
  } else {
    return g_file_set_contents(path, data, (gssize) len, error);
  }
  while (done < len) {
    ssize_t n = write(fd, p + done, len - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      int saved = n < 0 ? errno : EIO;
      if (fd != STDOUT_FILENO)
        close(fd);
      g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved), "%s: %s", path, g_strerror(saved));
      return FALSE;
    }
    done += (gsize) n;
  }
  if (fd == STDOUT_FILENO)
    return TRUE;
  if (close(fd) != 0) {
    int saved = errno;
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved), "%s: %s", path, g_strerror(saved));
    return FALSE;
  }
  return TRUE;
}

void
bimi_cli_replace_string(char **field, const char *value)
{
  if (value == NULL)
    return;
  g_free(*field);
  *field = g_strdup(value);
}

void
bimi_cli_replace_strv(char ***field, char **value)
{
  if (value == NULL || value[0] == NULL)
    return;
  g_strfreev(*field);
  *field = g_strdupv(value);
}

void
bimi_cli_config_apply_dns(BimiConfig *config, const BimiCliDnsOptions *opts)
{
  bimi_cli_replace_strv(&config->dns_zone_files, opts->zone_files);
  bimi_cli_replace_strv(&config->dns_fault_names, opts->fault_names);
  bimi_cli_replace_strv(&config->dns_forwarders, opts->forwarders);
  if (opts->timeout_ms != G_MININT && opts->timeout_ms > 0)
    config->dns_timeout_ms = (guint) opts->timeout_ms;
  bimi_cli_replace_string(&config->dns_trust_anchor, opts->trust_anchor);
}

char *
bimi_cli_escape_terminal(const char *s, gsize n)
{
  GString *out = g_string_sized_new(n + 8);
  gsize i = 0;

  while (i < n) {
    gunichar c = g_utf8_get_char_validated(s + i, (gssize) (n - i));
    if (c == (gunichar) -1 || c == (gunichar) -2) {
      g_string_append_printf(out, "\\x%02x", (guchar) s[i]);
      i++;
      continue;
    }
    if (c == '\\')
      g_string_append(out, "\\\\");
    else if (c == '\t')
      g_string_append(out, "\\t");
    else if (c == '\r')
      g_string_append(out, "\\r");
    else if (c == '\n')
      g_string_append(out, "\\n");
    else if (c < 0x20 || c == 0x7f)
      g_string_append_printf(out, "\\x%02x", (guint) c);
    else if (c >= 0x80 && c <= 0x9f)
      g_string_append_printf(out, "\\u%04x", (guint) c);
    else
      g_string_append_unichar(out, c);
    i += (gsize) g_utf8_skip[(guchar) s[i]]; /* not g_utf8_next_char: it casts const away */
  }
  return g_string_free(out, FALSE);
}

void
bimi_cli_add_pipeline_options(GOptionContext *context, BimiCliPipelineOptions *opts)
{
  const GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &opts->config_path, "Configuration file (default: built-in defaults)",
      "FILE" },
    { "trust-store", 0, 0, G_OPTION_ARG_FILENAME, &opts->trust_store, "BIMI roots, PEM ([trust] bimi_roots)", "FILE" },
    { "ct-logs", 0, 0, G_OPTION_ARG_FILENAME, &opts->ct_logs, "CT log list ([trust] ct_logs)", "FILE" },
    { "cache-dir", 0, 0, G_OPTION_ARG_FILENAME, &opts->cache_dir,
      "Logo store directory (default: a temporary directory removed at exit)", "DIR" },
    { "report-db", 0, 0, G_OPTION_ARG_FILENAME, &opts->report_db,
      "Record the DMARC outcome in this report database ([report] db) for `bimi report build`", "FILE" },
    G_OPTION_ENTRY_NULL,
  };
  g_option_context_add_main_entries(context, entries, NULL);
}

BimiConfig *
bimi_cli_pipeline_config(BimiCliPipelineOptions *opts, const BimiCliDnsOptions *dns,
                         const BimiCliFetchOptions *fetch, GError **error)
{
  g_autoptr(BimiConfig) config = opts->config_path != NULL ? bimi_config_new_from_file(opts->config_path, error)
                                                          : bimi_config_new_default();

  if (config == NULL)
    return NULL;
  /* the options over the file: this process owns the configuration until the evaluator takes its reference */
  if (dns != NULL)
    bimi_cli_config_apply_dns(config, dns);
  if (fetch != NULL) {
    bimi_cli_replace_string(&config->fetch_ca_file, fetch->ca_file);
    if (fetch->allow_private_addresses)
      config->fetch_allow_private_addresses = TRUE;
    bimi_cli_replace_strv(&config->fetch_resolve, fetch->resolve);
    bimi_cli_replace_strv(&config->fetch_connect_to, fetch->connect_to);
  }
  if (opts->trust_store != NULL || opts->config_path == NULL) {
    g_autofree char *p = opts->trust_store ? g_strdup(opts->trust_store) : bimi_cli_data_file("bimi-roots.pem");
    bimi_cli_replace_string(&config->trust_bimi_roots, p);
  }
  if (opts->ct_logs != NULL || opts->config_path == NULL) {
    g_autofree char *p = opts->ct_logs ? g_strdup(opts->ct_logs) : bimi_cli_data_file("ct-logs.cnf");
    bimi_cli_replace_string(&config->trust_ct_logs, p);
  }
  if (opts->cache_dir == NULL && opts->tmp_dir == NULL) {
    opts->tmp_dir = g_dir_make_tmp("bimi-evaluate-XXXXXX", error);
    if (opts->tmp_dir == NULL)
      return NULL;
  }
  bimi_cli_replace_string(&config->cache_dir, opts->cache_dir ? opts->cache_dir : opts->tmp_dir);
  bimi_cli_replace_string(&config->report_db, opts->report_db);
  return g_steal_pointer(&config);
}

/* Removes the temporary cache directory and what the run put there. */
static void
remove_tree(const char *path)
{
  g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
  const char *name;

  if (dir != NULL) {
    while ((name = g_dir_read_name(dir)) != NULL) {
      g_autofree char *child = g_build_filename(path, name, NULL);
      if (g_file_test(child, G_FILE_TEST_IS_DIR) && !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
        remove_tree(child);
      else
        g_unlink(child);
    }
  }
  g_rmdir(path);
}

void
bimi_cli_pipeline_options_clear(BimiCliPipelineOptions *opts)
{
  if (opts->tmp_dir != NULL)
    remove_tree(opts->tmp_dir);
  BIMI_FREE_ALL(opts->tmp_dir, opts->config_path, opts->trust_store, opts->ct_logs, opts->cache_dir, opts->report_db);
  *opts = (BimiCliPipelineOptions) { 0 };
}
