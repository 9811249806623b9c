/* cli/cmd-rdns.c — `bimi rdns IP`: forward-confirmed reverse DNS of one address.
 *
 * Exit status (DESIGN.md §5): 0 pass; 1 fail or none; 2 usage or internal
 * error; 3 temperror.
 */
#include "cli/commands.h"
#include "engine/rdns.h"

#include <stdio.h>
#include <json-glib/json-glib.h>

static void
build_json(gconstpointer result, BimiJsonWriter *b)
{
  bimi_rdns_result_build_json(result, b);
}

static void
print_text(gconstpointer result)
{
  const BimiRdnsResult *r = result;

  printf("rdns=%s (ip %s, %s)\n", bimi_rdns_result_to_string(r->result), r->ip, r->reverse_name);
  for (guint i = 0; i < r->ptr_names->len; i++)
    printf("  ptr: %s\n", (const char *) g_ptr_array_index(r->ptr_names, i));
  if (r->confirmed_name != NULL)
    printf("  confirmed: %s\n", r->confirmed_name);
  if (r->multiple_ptr)
    printf("  note: more than one PTR name\n");
  if (r->generic_name)
    printf("  generic: %s\n", r->generic_reason);
  if (r->problem != NULL)
    printf("  problem: %s\n", r->problem);
  printf("  action: %s\n", bimi_rdns_action_to_string(r->action));
}

int
bimi_cli_cmd_rdns(int argc, char **argv)
{
  gboolean json = FALSE;
  gint budget_ms = 0;
  g_autofree char *action_text = NULL;
  g_auto(BimiCliDnsOptions) dns = { 0 };
  const GOptionEntry entries[] = {
    { "no-ptr-action", 0, 0, G_OPTION_ARG_STRING, &action_text,
      "action advised without a confirmed name: accept|tag|greylist|reject (default tag)", "ACTION" },
    { "budget-ms", 0, 0, G_OPTION_ARG_INT, &budget_ms,
      "elapsed-time limit of the whole check, PTR and forward lookups (default 2 x --timeout-ms)", "MS" },
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GError) error = NULL;
  BimiRdnsPolicy policy = BIMI_RDNS_POLICY_DEFAULT;

  const BimiCliSpec spec = {
    .name = "rdns", .parameters = "IP - forward-confirmed reverse DNS",
    .description = "Exit status: 0 pass; 1 fail or none; 2 usage or internal error;\n"
                   "3 temperror.\n",
    .entries = entries, .dns = &dns, .n_args = 1, .args_usage = "expected one IP address",
    .json = &json, .json_help = "print the result as JSON",
  };
  if (!bimi_cli_parse(&spec, &argc, &argv))
    return BIMI_EXIT_USAGE;
  g_autoptr(GInetAddress) ip = g_inet_address_new_from_string(argv[1]);
  if (ip == NULL)
    return bimi_cli_usage_error("rdns", "not an IPv4 or IPv6 address");
  if (action_text != NULL && !bimi_rdns_action_from_string(action_text, &policy.no_ptr_action))
    return bimi_cli_usage_error("rdns", "--no-ptr-action: expected accept, tag, greylist or reject");
  if (budget_ms < 0)
    return bimi_cli_usage_error("rdns", "--budget-ms must not be negative");
  policy.budget_ms = (guint) budget_ms;
  g_autoptr(BimiDnsResolver) resolver = bimi_cli_dns_resolver(&dns, &error);
  if (resolver == NULL)
    return bimi_cli_fail(BIMI_EXIT_USAGE, "rdns: %s", error->message);
  g_autoptr(BimiRdnsResult) r = bimi_rdns_check(resolver, ip, &policy, &error);
  if (r == NULL)
    return bimi_cli_fail(BIMI_EXIT_USAGE, "rdns: %s", error->message);
  bimi_cli_print_result(json, build_json, print_text, r);
  return bimi_cli_exit_status(r->result == BIMI_RDNS_RESULT_PASS, r->result == BIMI_RDNS_RESULT_TEMPERROR);
}
