/* cli/cmd-spf.c — `bimi spf`: RFC 7208 check_host() for one SMTP transaction.
 *
 * Exit status (DESIGN.md §5): 0 pass; 1 fail, softfail, neutral, none,
 * permerror (anything that is not an authorization); 2 usage or internal
 * error; 3 temperror.
 */
#include "cli/commands.h"
#include "engine/spf.h"

#include <stdio.h>
#include <json-glib/json-glib.h>

static void
print_text(const BimiSpfResult *r)
{
  printf("spf=%s (%s %s, domain %s, ip %s)\n", bimi_spf_result_to_string(r->result),
         bimi_spf_identity_to_string(r->identity), r->sender, r->domain, r->ip);
  if (r->record != NULL)
    printf("  record: %s\n", r->record);
  if (r->mechanism != NULL)
    printf("  mechanism: %s (in %s)\n", r->mechanism, r->mechanism_domain);
  if (r->explanation != NULL)
    printf("  explanation: %s\n", r->explanation);
  if (r->problem != NULL)
    printf("  problem: %s\n", r->problem);
  printf("  lookups: %u DNS-querying terms, %u void, %u DNS queries\n", r->dns_lookups, r->void_lookups,
         r->dns_queries);
}

int
bimi_cli_cmd_spf(int argc, char **argv)
{
  g_autofree char *ip_text = NULL;
  g_autofree char *helo = NULL;
  g_autofree char *mail_from = NULL;
  g_autofree char *receiver = NULL;
  gboolean json = FALSE;
  gint budget_ms = 0;
  g_auto(BimiCliDnsOptions) dns = { 0 };
  const GOptionEntry entries[] = {
    { "ip", 0, 0, G_OPTION_ARG_STRING, &ip_text, "SMTP client address (IPv4 or IPv6)", "IP" },
    { "helo", 0, 0, G_OPTION_ARG_STRING, &helo, "HELO/EHLO name", "NAME" },
    { "mail-from", 0, 0, G_OPTION_ARG_STRING, &mail_from,
      "MAIL FROM address; empty or absent: the HELO identity is checked", "ADDR" },
    { "receiver", 0, 0, G_OPTION_ARG_STRING, &receiver, "receiving host name for %{r} (default unknown)",
      "NAME" },
    { "budget-ms", 0, 0, G_OPTION_ARG_INT, &budget_ms,
      "elapsed-time limit of the whole check_host() (RFC 7208 4.6.4; default 20000)", "MS" },
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GError) error = NULL;

  const BimiCliSpec spec = {
    .name = "spf", .parameters = "- RFC 7208 SPF check_host()",
    .description = "Exit status: 0 pass; 1 fail, softfail, neutral, none or permerror;\n"
                   "2 usage or internal error; 3 temperror.\n",
    .entries = entries, .dns = &dns, .n_args = 0, .args_usage = "unexpected argument",
    .json = &json, .json_help = "print the result as JSON",
  };
  if (!bimi_cli_parse(&spec, &argc, &argv))
    return BIMI_EXIT_USAGE;
  if (ip_text == NULL)
    return bimi_cli_usage_error("spf", "--ip is required");
  g_autoptr(GInetAddress) ip = g_inet_address_new_from_string(ip_text);
  if (ip == NULL)
    return bimi_cli_usage_error("spf", "--ip: not an IPv4 or IPv6 address");
  if ((helo == NULL || helo[0] == '\0') && (mail_from == NULL || mail_from[0] == '\0'))
    return bimi_cli_usage_error("spf", "give --mail-from, --helo or both");
  if (budget_ms < 0)
    return bimi_cli_usage_error("spf", "--budget-ms must not be negative");
  g_autoptr(BimiDnsResolver) resolver = bimi_cli_dns_resolver(&dns, &error);
  if (resolver == NULL)
    return bimi_cli_fail(BIMI_EXIT_USAGE, "spf: %s", error->message);
  BimiSpfOptions options = {
    .receiver = receiver,
    .time_limit_ms = (guint) budget_ms,
    .now = g_get_real_time() / G_USEC_PER_SEC, /* %{t}: the CLI knows the clock */
  };
  g_autoptr(BimiSpfResult) r = bimi_spf_check(resolver, ip, helo, mail_from, &options, &error);
  if (r == NULL)
    return bimi_cli_fail(BIMI_EXIT_USAGE, "spf: %s", error->message);
  if (json) {
    g_autoptr(BimiJsonWriter) b = bimi_json_writer_new();
    bimi_spf_result_build_json(r, helo, b); /* the result with the HELO name given */
    bimi_cli_print_writer(b);
  } else {
    print_text(r);
  }
  return bimi_cli_exit_status(r->result == BIMI_SPF_RESULT_PASS, r->result == BIMI_SPF_RESULT_TEMPERROR);
}
