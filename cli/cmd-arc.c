/* cli/cmd-arc.c — `bimi arc MSG.eml [--zone F]... [--at TIME] [--json]`:
 * ARC chain validation of a message (engine/arc.h, RFC 8617 §5.2).
 *
 * Output: one line "arc=pass|fail|none (reason)" then one line per set, or
 * with --json {"result","instances","oldest_pass","reason","sets":[...]}.
 * Exit: 0 pass; 1 fail or none; 2 usage, unreadable file, message that does
 * not parse, resolver setup, internal error.
 */
#include "cli/commands.h"
#include "engine/arc.h"
#include "engine/limits.h"

#include <stdio.h>
#include <json-glib/json-glib.h>

static void
print_text(gconstpointer result)
{
  const BimiArcChain *chain = result;

  printf("arc=%s", bimi_arc_result_to_string(chain->result));
  if (chain->result == BIMI_ARC_RESULT_PASS)
    printf(" header.oldest-pass=%u", chain->oldest_pass);
  printf(" (%s)\n", chain->reason ? chain->reason : "");
  for (guint i = 0; i < chain->sets->len; i++) {
    const BimiArcSet *s = g_ptr_array_index(chain->sets, i);
    printf("  i=%u seal d=%s s=%s cv=%s seal=%s; ams d=%s s=%s ams=%s; aar=%s\n", s->instance,
           s->seal_domain ? s->seal_domain : "?", s->seal_selector ? s->seal_selector : "?", s->cv ? s->cv : "?",
           s->seal_result ? s->seal_result : "-", s->ams_domain ? s->ams_domain : "?",
           s->ams_selector ? s->ams_selector : "?", s->ams_result ? s->ams_result : "-",
           s->aar ? s->aar->authserv_id : "(unparsed)");
  }
}

static void
build_json(gconstpointer result, BimiJsonWriter *b)
{
  bimi_arc_chain_build_json(result, b);
}

int
bimi_cli_cmd_arc(int argc, char **argv)
{
  g_auto(BimiCliDnsOptions) dns = { 0 };
  g_autofree char *at = NULL;
  gboolean json = FALSE;
  gint64 now = 0;
  g_autoptr(GError) error = NULL;
  const GOptionEntry entries[] = {
    { "at", 0, 0, G_OPTION_ARG_STRING, &at, "Validate as if now were TIME (RFC 3339 or @EPOCH); default: now", "TIME" },
    G_OPTION_ENTRY_NULL,
  };

  const BimiCliSpec spec = {
    .name = "arc", .parameters = "MSG.eml - validate the ARC chain of a message",
    .description = "Exit status: 0 arc=pass; 1 fail or none; 2 usage or internal error.",
    .entries = entries, .dns = &dns, .n_args = 1, .args_usage = BIMI_CLI_USAGE_ONE_MESSAGE,
    .json = &json, .json_help = "Print the chain as JSON", .at = &at, .now = &now,
  };
  if (!bimi_cli_parse(&spec, &argc, &argv))
    return BIMI_EXIT_USAGE;
  g_autoptr(BimiMessage) msg = NULL;
  g_autoptr(BimiDnsResolver) resolver = NULL;
  if (!bimi_cli_open_message("arc", "DNS", argv[1], &dns, &msg, &resolver))
    return BIMI_EXIT_USAGE;
  BimiArcOptions opts = { .now = now, .key_fetch = bimi_dkim_key_fetch_dns, .key_fetch_data = resolver };
  g_autoptr(BimiArcChain) chain = bimi_arc_validate(msg, &opts, &error);
  if (chain == NULL)
    return bimi_cli_fail(BIMI_EXIT_USAGE, "arc: %s", error->message);
  bimi_cli_print_result(json, build_json, print_text, chain);
  return chain->result == BIMI_ARC_RESULT_PASS ? BIMI_EXIT_PASS : BIMI_EXIT_FAIL;
}
