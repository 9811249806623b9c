/* cli/cmd-dkim.c — `bimi dkim MSG.eml [--zone F]... [--at TIME] [--json]`:
 * verify every DKIM-Signature of a message (engine/dkim.h, RFC 6376/8463/8301).
 *
 * Exit: 0 at least one signature passes; 3 none passes and one is temperror;
 * 1 otherwise (no signature, or all fail/permerror/policy/neutral);
 * 2 usage, unreadable file, message that does not parse, resolver setup.
 */
#include "cli/commands.h"
#include "engine/dkim.h"
#include "engine/limits.h"

#include <stdio.h>
#include <json-glib/json-glib.h>

static void
print_text(gconstpointer result)
{
  const GPtrArray *sigs = result;

  if (sigs->len == 0) {
    printf("dkim=none (no DKIM-Signature)\n");
    return;
  }
  for (guint i = 0; i < sigs->len; i++) {
    const BimiDkimSignature *s = g_ptr_array_index(sigs, i);
    printf("dkim=%s header.d=%s header.s=%s header.a=%s", bimi_dkim_result_to_string(s->result),
           s->domain ? s->domain : "?", s->selector ? s->selector : "?",
           s->algorithm_name ? s->algorithm_name : "?");
    if (s->b_prefix != NULL)
      printf(" header.b=%s", s->b_prefix);
    if (s->key_bits > 0)
      printf(" key_bits=%u", s->key_bits);
    if (s->key_testing)
      printf(" key_testing");
    if (s->body_length_limited)
      printf(" l=%" G_GUINT64_FORMAT " unsigned_bytes=%" G_GUINT64_FORMAT, s->body_length, s->body_bytes_unsigned);
    printf(" (%s)\n", s->reason);
  }
}

/* {"signatures": [...]} */
static void
build_json(gconstpointer result, BimiJsonWriter *b)
{
  const GPtrArray *sigs = result;

  bimi_json_begin_object(b);
  bimi_cli_json_add_signatures(b, "signatures", sigs);
  bimi_json_end_object(b);
}

int
bimi_cli_cmd_dkim(int argc, char **argv)
{
  g_auto(BimiCliDnsOptions) dns = { 0 };
  g_autofree char *at = NULL;
  gboolean json = FALSE;
  int max_signatures = 0;
  gint64 now = 0;
  g_autoptr(GError) error = NULL;
  const GOptionEntry entries[] = {
    { "at", 0, 0, G_OPTION_ARG_STRING, &at, "Verify as if now were TIME (RFC 3339 or @EPOCH); default: now", "TIME" },
    { "max-signatures", 0, 0, G_OPTION_ARG_INT, &max_signatures, "Verify at most N signatures (default 10)", "N" },
    G_OPTION_ENTRY_NULL,
  };

  const BimiCliSpec spec = {
    .name = "dkim", .parameters = "MSG.eml - verify the DKIM signatures of a message",
    .entries = entries, .dns = &dns, .n_args = 1, .args_usage = BIMI_CLI_USAGE_ONE_MESSAGE,
    .json = &json, .json_help = "Print {\"signatures\": [...]} as JSON", .at = &at, .now = &now,
  };
  if (!bimi_cli_parse(&spec, &argc, &argv))
    return BIMI_EXIT_USAGE;
  if (max_signatures < 0 || (guint) max_signatures > BIMI_DKIM_MAX_SIGNATURES) {
    g_autofree char *m = g_strdup_printf("--max-signatures must be 0..%u", BIMI_DKIM_MAX_SIGNATURES);
    return bimi_cli_usage_error("dkim", m);
  }
  g_autoptr(BimiMessage) msg = NULL;
  g_autoptr(BimiDnsResolver) resolver = NULL;
  if (!bimi_cli_open_message("dkim", "DNS", argv[1], &dns, &msg, &resolver))
    return BIMI_EXIT_USAGE;
  BimiDkimOptions opts = {
    .now = now,
    .max_signatures = (guint) max_signatures,
    .key_fetch = bimi_dkim_key_fetch_dns,
    .key_fetch_data = resolver,
  };
  g_autoptr(GPtrArray) sigs = bimi_dkim_verify(msg, &opts, &error);
  if (sigs == NULL)
    return bimi_cli_fail(BIMI_EXIT_USAGE, "dkim: %s", error->message);
  bimi_cli_print_result(json, build_json, print_text, sigs);

  gboolean any_pass = FALSE, any_temp = FALSE;
  for (guint i = 0; i < sigs->len; i++) {
    const BimiDkimSignature *s = g_ptr_array_index(sigs, i);
    any_pass = any_pass || s->result == BIMI_DKIM_RESULT_PASS;
    any_temp = any_temp || s->result == BIMI_DKIM_RESULT_TEMPERROR;
  }
  return bimi_cli_exit_status(any_pass, any_temp);
}
