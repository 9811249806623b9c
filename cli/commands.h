/* cli/commands.h — the `bimi` subcommands and the helpers they share.
 *
 * Each subcommand lives in cli/cmd-<name>.c and is one entry of the table in
 * cli/main.c. Exit codes (DESIGN.md §5): 0 pass/valid, 1 fail/invalid,
 * 2 usage or internal error, 3 temperror.
 */
#ifndef BIMI_CLI_COMMANDS_H
#define BIMI_CLI_COMMANDS_H

#include <glib.h>
#include "engine/base/base-json.h"
#include "engine/dns.h"
#include "engine/message.h"
#include "engine/fetch.h"
#include "evaluate/config.h"

enum {
  BIMI_EXIT_PASS = 0,
  BIMI_EXIT_FAIL = 1,
  BIMI_EXIT_USAGE = 2,
  BIMI_EXIT_TEMPERROR = 3,
};

/** A subcommand: argv[0] is the subcommand name. Returns an exit code. */
typedef int (*BimiCliCommandFunc)(int argc, char **argv);

/** One entry of a table of subcommands (`bimi COMMAND`, `bimi report SUBCOMMAND`, `bimi cert SUBCOMMAND`). */
typedef struct {
  const char *name;        /**< what argv[1] says */
  BimiCliCommandFunc func; /**< runs it, with argv[0] the name */
  const char *summary;     /**< (nullable) one line for `bimi --help`; NULL in the tables of subcommands */
} BimiCliCommand;

/**
 * bimi_cli_find_command:
 * @commands: (array length=n_commands): the table
 * @n_commands: its entries
 * @name: (nullable): the subcommand asked for
 *
 * Returns: (transfer none) (nullable): the entry of @commands named @name, or NULL (none, or @name NULL).
 */
const BimiCliCommand *bimi_cli_find_command(const BimiCliCommand *commands, gsize n_commands, const char *name);

int bimi_cli_cmd_dns(int argc, char **argv);
int bimi_cli_cmd_fetch(int argc, char **argv);
int bimi_cli_cmd_headers(int argc, char **argv);
int bimi_cli_cmd_spf(int argc, char **argv);
int bimi_cli_cmd_rdns(int argc, char **argv);
int bimi_cli_cmd_dkim(int argc, char **argv);
int bimi_cli_cmd_dmarc(int argc, char **argv);
int bimi_cli_cmd_cert(int argc, char **argv);
int bimi_cli_cmd_arc(int argc, char **argv);
int bimi_cli_cmd_svg(int argc, char **argv);
int bimi_cli_cmd_render(int argc, char **argv);
/** Hidden: `bimi __render-worker`, the process a render pool spawns (renderer/worker.h). */
int bimi_cli_cmd_render_worker(int argc, char **argv);
int bimi_cli_cmd_lookup(int argc, char **argv);
int bimi_cli_cmd_evaluate(int argc, char **argv);
/** `bimi survey INPUT...`: the operator's survey of a mail stream (cli/cmd-survey.c, survey/). */
int bimi_cli_cmd_survey(int argc, char **argv);
int bimi_cli_cmd_config(int argc, char **argv);
/** `bimi report SUBCOMMAND`: DMARC aggregate reports (report/; cli/cmd-report.c dispatches). */
int bimi_cli_cmd_report(int argc, char **argv);
/** `bimi report ingest|summary|html`: received aggregate reports (cli/cmd-report-ingest.c). */
int bimi_cli_cmd_report_ingest(int argc, char **argv);
int bimi_cli_cmd_report_summary(int argc, char **argv);
int bimi_cli_cmd_report_html(int argc, char **argv);
/** `bimi report build|send`: reports this receiver sends (cli/cmd-report-send.c). */
int bimi_cli_cmd_report_build(int argc, char **argv);
int bimi_cli_cmd_report_send(int argc, char **argv);

/** Options every DNS-using subcommand takes: --zone FILE..., --dns-timeout NAME...,
 * --forwarder ADDR[@PORT]..., --timeout-ms N, --trust-anchor FILE. */
typedef struct {
  char **zone_files;
  char **fault_names;
  char **forwarders;
  int timeout_ms;
  char *trust_anchor;  /**< DNSSEC trust anchor file (DS/DNSKEY), or NULL: no validation */
} BimiCliDnsOptions;

/** Adds the DNS options to the main entries of @context; @opts must outlive the parse. */
void bimi_cli_add_dns_options(GOptionContext *context, BimiCliDnsOptions *opts);
/** Builds the resolver the options describe. (transfer full) or NULL + @error. */
BimiDnsResolver *bimi_cli_dns_resolver(const BimiCliDnsOptions *opts, GError **error);
void bimi_cli_dns_options_clear(BimiCliDnsOptions *opts);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(BimiCliDnsOptions, bimi_cli_dns_options_clear)

/** Sets *@field to a copy of @value; nothing when @value is NULL (an option not given). */
void bimi_cli_replace_string(char **field, const char *value);
/** Sets *@field to a copy of @value; nothing when @value is NULL or empty (a list option not given). */
void bimi_cli_replace_strv(char ***field, char **value);
/** Puts the DNS options given over the [dns] keys of @config (a BimiConfig * the caller still owns
 * alone): zone files, fault names, forwarders, timeout (when set), trust anchor. */
void bimi_cli_config_apply_dns(BimiConfig *config, const BimiCliDnsOptions *opts);

/** Options of a subcommand that fetches (a CRL for `bimi cert verify`):
 * --ca-file FILE, --allow-private-addresses, --resolve HOST:PORT:ADDR...,
 * --connect-to HOST:PORT:CONNECT-HOST:CONNECT-PORT... (engine/fetch.h BimiFetchConfig). */
typedef struct {
  char *ca_file;
  gboolean allow_private_addresses;
  char **resolve;
  char **connect_to;
} BimiCliFetchOptions;

/** Adds the fetch options to the main entries of @context; @opts must outlive the parse. */
void bimi_cli_add_fetch_options(GOptionContext *context, BimiCliFetchOptions *opts);
/** Builds the fetcher the options describe (other settings: defaults), resolving
 * fetch hosts through @resolver (borrowed; NULL: a new system resolver of
 * engine/dns, bimi_dns_resolver_new(NULL)). (transfer full) or NULL + @error
 * (BIMI_FETCH_ERROR_CONFIG for a bad pin, an unreadable --ca-file; BIMI_DNS_ERROR
 * when the system resolver cannot be set up). */
BimiFetcher *bimi_cli_fetcher(const BimiCliFetchOptions *opts, BimiDnsResolver *resolver, GError **error);
void bimi_cli_fetch_options_clear(BimiCliFetchOptions *opts);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(BimiCliFetchOptions, bimi_cli_fetch_options_clear)

/**
 * bimi_cli_escape_terminal:
 * @s: attacker bytes (transfer none), not NUL-terminated
 * @n: bytes in @s
 *
 * The text made safe for a terminal (text output only; JSON has its own
 * escaping): valid UTF-8 kept, except control characters (C0, DEL as \xNN,
 * C1 as \uNNNN) and backslash, which are escaped; invalid bytes become \xNN.
 * Returns: (transfer full): the escaped text.
 */
char *bimi_cli_escape_terminal(const char *s, gsize n);
/** Options of the subcommands that run the whole pipeline (`bimi evaluate`, `bimi survey`):
 * -c/--config FILE, --trust-store FILE, --ct-logs FILE, --cache-dir DIR, --report-db FILE. */
typedef struct {
  char *config_path;
  char *trust_store;
  char *ct_logs;
  char *cache_dir;
  char *report_db;
  char *tmp_dir;     /**< the temporary cache directory bimi_cli_pipeline_config() made, or NULL */
} BimiCliPipelineOptions;

/** Adds the pipeline options to the main entries of @context; @opts must outlive the parse. */
void bimi_cli_add_pipeline_options(GOptionContext *context, BimiCliPipelineOptions *opts);

/**
 * bimi_cli_pipeline_config:
 * @opts: the pipeline options; a temporary cache directory is made when --cache-dir is not given
 *   (@opts->tmp_dir, removed with everything in it by bimi_cli_pipeline_options_clear())
 * @dns: (nullable): DNS options put over the [dns] keys
 * @fetch: (nullable): fetch options put over the [fetch] keys
 * @error: the configuration file's errors (BIMI_CONFIG_ERROR), G_FILE_ERROR for the temporary directory
 *
 * The configuration of a pipeline run: FILE (or the built-in defaults) with the options on top;
 * without FILE the trust store and CT logs default to data/ next to the program (bimi_cli_data_file()).
 *
 * Returns: (transfer full): the configuration, or NULL with @error set.
 */
BimiConfig *bimi_cli_pipeline_config(BimiCliPipelineOptions *opts, const BimiCliDnsOptions *dns,
                                     const BimiCliFetchOptions *fetch, GError **error);
/** Frees the strings and removes the temporary cache directory with its contents. */
void bimi_cli_pipeline_options_clear(BimiCliPipelineOptions *opts);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(BimiCliPipelineOptions, bimi_cli_pipeline_options_clear)

/** Prints "bimi SUBCOMMAND: MESSAGE" on stderr and returns BIMI_EXIT_USAGE. */
int bimi_cli_usage_error(const char *subcommand, const char *message);

/** The usage error of a subcommand that reads one message. */
#define BIMI_CLI_USAGE_ONE_MESSAGE "expected exactly one message file (or - for stdin)"

/** The command line of a subcommand, as bimi_cli_parse() reads it. */
typedef struct {
  const char *name;            /**< "dmarc", "cert verify": the error lines say "bimi NAME: ..." */
  const char *parameters;      /**< after the options on the usage line, e.g. "MSG.eml - what it does" */
  const char *summary;         /**< (nullable) text above the options */
  const char *description;     /**< (nullable) text below the options (the exit status) */
  const GOptionEntry *entries; /**< the subcommand's own options, { NULL } terminated */
  BimiCliDnsOptions *dns;      /**< (nullable) also take the DNS options into this */
  BimiCliFetchOptions *fetch;  /**< (nullable) also take the fetch options into this */
  gboolean *json;              /**< (nullable) --json sets this: the command prints JSON instead of text */
  const char *json_help;       /**< what --json prints, for --help ("Print the chain as JSON") */
  BimiCliPipelineOptions *pipeline; /**< (nullable) also take the pipeline options into this */
  int n_args;                  /**< arguments after the options (argc - 1 after parsing); -1: the caller checks */
  const char *args_usage;      /**< the usage error when there are not @n_args of them */
  char **at;                   /**< (nullable) the --at TIME option of @entries (RFC 3339 or @EPOCH) */
  gint64 *now;                 /**< (nullable) with @at: set to the Unix time in seconds that --at names, or to
                                *   the current time when it is not given; a TIME that does not parse is a
                                *   usage error */
} BimiCliSpec;

/**
 * bimi_cli_parse:
 * @spec: the subcommand's command line
 * @argc: (inout): argument count; the options are removed
 * @argv: (inout): arguments, argv[0] the subcommand
 *
 * Parses the options of @spec (GOption; --help prints the usage and exits 0),
 * checks the number of arguments left and, with @spec->now, reads --at
 * (bimi_cli_parse_time()).
 *
 * Returns: TRUE, or FALSE after printing the usage error (bimi_cli_usage_error()):
 *   the caller returns BIMI_EXIT_USAGE.
 */
gboolean bimi_cli_parse(const BimiCliSpec *spec, int *argc, char ***argv);

/**
 * bimi_cli_data_file:
 * @name: a file of data/ (bimi-roots.pem, ct-logs.cnf)
 *
 * Where the default trust data lives: $BIMI_DATA_DIR/@name when set, else
 * ../data/@name next to the program (build/bimi → data/) when it exists, else
 * ../share/bimi/@name next to it (PREFIX/bin/bimi after `make install` →
 * PREFIX/share/bimi) when it exists, else data/@name in the working directory.
 *
 * Returns: (transfer full): the path
 */
char *bimi_cli_data_file(const char *name);

/** The exit code of a verdict (DESIGN.md §5): 0 pass, else 3 on a temperror, else 1. */
int bimi_cli_exit_status(gboolean pass, gboolean temperror);

/**
 * bimi_cli_fail:
 * @status: the exit code to return (BIMI_EXIT_*)
 * @format: printf format of what went wrong, starting with the subcommand ("arc: %s")
 *
 * Prints "bimi " + the formatted text + a newline on stderr (the one spelling of a
 * subcommand's error line) and returns @status, so that a failure is one
 * `return bimi_cli_fail(...)`.
 */
int bimi_cli_fail(int status, const char *format, ...) G_GNUC_PRINTF(2, 3);

/** Parses --at: RFC 3339 ("2022-11-07T17:54:24Z") or "@EPOCH" into Unix seconds. */
gboolean bimi_cli_parse_time(const char *text, gint64 *out_seconds, GError **error);

/**
 * bimi_cli_read_message:
 * @path: a message file, or "-" for stdin
 * @error: G_FILE_ERROR (unreadable, larger than BIMI_MAX_MESSAGE_BYTES) or
 *   BIMI_MESSAGE_ERROR (the header section does not parse; the message names line and offset)
 *
 * Reads and parses one raw RFC 5322 message, as `bimi dkim|arc|dmarc` take it.
 *
 * Returns: (transfer full): the parsed message, or NULL with @error set.
 */
BimiMessage *bimi_cli_read_message(const char *path, GError **error);

/**
 * bimi_cli_open_message:
 * @name: the subcommand ("dkim"): the error lines start with "bimi NAME: "
 * @dns_label: (nullable): what the error line of a resolver that cannot be built names after @name
 *   ("DNS" gives "bimi arc: DNS: MESSAGE"), or NULL ("bimi dmarc: MESSAGE")
 * @path: the message file, or "-" for stdin
 * @dns: the DNS options of the subcommand
 * @out_message: (out) (transfer full): the parsed message (bimi_cli_read_message())
 * @out_resolver: (out) (transfer full): the resolver @dns describes (bimi_cli_dns_resolver())
 *
 * The start of a subcommand that checks one message against DNS (`bimi dkim|arc|dmarc`): reads the
 * message first, then builds the resolver. A failure of either is printed (bimi_cli_fail(): "bimi NAME:
 * PATH: MESSAGE" for the message, G_FILE_ERROR or BIMI_MESSAGE_ERROR; the @dns_label line for the
 * resolver, G_OPTION_ERROR or BIMI_DNS_ERROR) and leaves both outputs NULL.
 *
 * Returns: TRUE with both set; FALSE after printing the error: the caller returns BIMI_EXIT_USAGE.
 */
gboolean bimi_cli_open_message(const char *name, const char *dns_label, const char *path, const BimiCliDnsOptions *dns,
                               BimiMessage **out_message, BimiDnsResolver **out_resolver);

/** Reads a whole file (or "-" = stdin), at most @max_bytes. (transfer full) */
GBytes *bimi_cli_read_file(const char *path, gsize max_bytes, GError **error);

/**
 * bimi_cli_print_json:
 * @root: (transfer none): the value to print
 *
 * Prints @root as pretty JSON and a newline on stdout: the `--json` output of
 * every subcommand (the same objects as the service, DESIGN.md §5).
 */
void bimi_cli_print_json(JsonNode *root);

/**
 * bimi_cli_print_writer:
 * @writer: (transfer none): a BimiJsonWriter holding one complete value
 *
 * bimi_cli_print_json() of the writer's value.
 */
void bimi_cli_print_writer(BimiJsonWriter *writer);

/** Writes @result (transfer none) into @writer as one JSON value. */
typedef void (*BimiCliBuildJsonFunc)(gconstpointer result, BimiJsonWriter *writer);
/** Prints @result (transfer none) as text on stdout. */
typedef void (*BimiCliPrintTextFunc)(gconstpointer result);

/**
 * bimi_cli_json_add_signatures:
 * @writer: a BimiJsonWriter inside an object
 * @member: the member name ("signatures", "dkim")
 * @sigs: (element-type BimiDkimSignature) (transfer none): verified DKIM signatures
 *
 * Writes @member: [one bimi_dkim_signature_build_json() object per signature, in order].
 */
void bimi_cli_json_add_signatures(BimiJsonWriter *writer, const char *member, const GPtrArray *sigs);

/**
 * bimi_cli_print_result:
 * @json: TRUE for --json
 * @build_json: writes @result as the one JSON value the command prints
 * @print_text: prints @result as text
 * @result: (transfer none): the subcommand's result
 *
 * The output switch of a subcommand: with @json, @build_json's value as
 * pretty JSON and a newline (bimi_cli_print_writer()), else @print_text.
 */
void bimi_cli_print_result(gboolean json, BimiCliBuildJsonFunc build_json, BimiCliPrintTextFunc print_text,
                           gconstpointer result);

/**
 * bimi_cli_write_output:
 * @path: where the output goes: "-" for stdout, a regular file (written to a
 *   temporary file and renamed over it: never half-written), or an existing
 *   file that is not a regular one (a FIFO, a terminal, /dev/null), which is
 *   opened and written in place, never replaced
 * @data: (transfer none): the bytes
 * @len: their length in bytes
 * @error: G_FILE_ERROR from opening, writing or renaming, naming @path
 *
 * The output file of `bimi fetch -o`, `bimi render -o` and `bimi cert logo -o`.
 * Returns: TRUE when every byte was written.
 */
gboolean bimi_cli_write_output(const char *path, const void *data, gsize len, GError **error);

#endif /* BIMI_CLI_COMMANDS_H */
