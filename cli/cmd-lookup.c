/* cli/cmd-lookup.c — `bimi lookup DOMAIN [--selector S] [--zone F]... [--json]`:
 * the BIMI Assertion Record of a domain without a message (spec/bimi-receiver.md
 * §2, §3), where it was found (author domain or Organizational Domain, CNAME),
 * and the DMARC gate (§4) as it would apply to a message from DOMAIN whose
 * DMARC evaluation passed through an aligned DKIM signature of DOMAIN.
 *
 * Exit: 0 a usable record (not declined) was found and the gate holds;
 * 1 none, declined, invalid record or DMARC not enforcing; 3 temperror;
 * 2 usage or a resolver that cannot start.
 */
#include "cli/commands.h"
#include "engine/bimi.h"
#include "engine/dmarc.h"
#include "evaluate/evaluate.h"

#include <stdio.h>
#include <string.h>
#include <json-glib/json-glib.h>

static void
print_policy(const char *who, const BimiBimiDmarcPolicy *p)
{
  if (!p->found) {
    printf("  %s %s: no DMARC record\n", who, p->domain ? p->domain : "?");
    return;
  }
  g_autofree char *pct = p->has_pct ? g_strdup_printf("%u", p->pct) : g_strdup("-");
  printf("  %s %s: p=%s sp=%s np=%s pct=%s t=%s\n", who, p->domain,
         p->has_p ? bimi_dmarc_policy_to_string(p->p) : "(invalid or absent)",
         p->has_sp ? bimi_dmarc_policy_to_string(p->sp) : "-", p->has_np ? bimi_dmarc_policy_to_string(p->np) : "-",
         pct, p->testing ? "y" : "n");
}

static void
print_text(const BimiBimiResult *r)
{
  printf("discovery: %s (%s)\n", bimi_bimi_result_code_to_string(r->code), r->reason);
  if (r->record_text != NULL) {
    g_autofree char *escaped = g_strescape(r->record_text, NULL);
    printf("  record: %s\n", escaped);
    printf("  found at: %s (%s)%s%s\n", r->record_name ? r->record_name : "?",
           r->org_fallback ? "Organizational Domain fallback" : "author domain",
           r->canonical_name ? " via CNAME " : "", r->canonical_name ? r->canonical_name : "");
  }
  if (r->record != NULL) {
    printf("  l=: %s\n  a=: %s\n", r->record->location ? r->record->location : "(empty)",
           r->record->evidence ? r->record->evidence : "(empty)");
    if (r->record->has_avp)
      printf("  avp=: %s\n", bimi_bimi_avp_to_string(r->record->avp));
    if (r->record->has_lps) {
      g_autofree char *joined = g_strjoinv(",", r->record->lps);
      printf("  lps=: %s\n", *joined ? joined : "(empty: every local part)");
    }
    for (guint i = 0; r->record->warnings != NULL && r->record->warnings[i] != NULL; i++)
      printf("  warning: %s\n", r->record->warnings[i]);
  }
  if (r->gate != NULL) {
    printf("DMARC gate: %s%s%s\n", r->gate->ok ? "enforcing" : (r->gate->temperror ? "temperror" : "not enforcing"),
           r->gate->reason ? ": " : "", r->gate->reason ? r->gate->reason : "");
    print_policy("author", &r->gate->author);
    if (g_strcmp0(r->gate->org.domain, r->gate->author.domain) != 0)
      print_policy("org", &r->gate->org);
    if (r->gate->has_effective)
      printf("  policy applied to %s: %s\n", r->author_domain, bimi_dmarc_policy_to_string(r->gate->effective));
  }
  for (guint i = 0; i < r->queries->len; i++)
    printf("  query: %s\n", (const char *) g_ptr_array_index(r->queries, i));
}

static void
print_json(const BimiBimiResult *r, const BimiDmarcEvaluation *ev)
{
  g_autoptr(BimiJsonWriter) b = bimi_json_writer_new();

  bimi_json_begin_object(b);
  bimi_json_set_member_name(b, "bimi");
  bimi_bimi_result_build_json(r, b);
  bimi_json_set_member_name(b, "dmarc");
  bimi_evaluate_dmarc_status_build_json(ev, r->gate, b);
  bimi_json_end_object(b);
  bimi_cli_print_writer(b);
}

int
bimi_cli_cmd_lookup(int argc, char **argv)
{
  g_auto(BimiCliDnsOptions) dns = { 0 };
  g_autofree char *selector = NULL;
  gboolean json = FALSE, rfc7489 = FALSE;
  g_autoptr(GError) error = NULL;
  const GOptionEntry entries[] = {
    { "selector", 0, 0, G_OPTION_ARG_STRING, &selector, "Selector (default: \"default\")", "S" },
    { "rfc7489", 0, 0, G_OPTION_ARG_NONE, &rfc7489, "RFC 7489 DMARC (PSL) instead of RFC 9989", NULL },
    G_OPTION_ENTRY_NULL,
  };

  const BimiCliSpec spec = {
    .name = "lookup", .parameters = "DOMAIN - BIMI Assertion Record and DMARC gate of a domain",
    .description = "Exit status: 0 record found and DMARC enforcing; 1 none, declined,\n"
                   "invalid or DMARC not enforcing; 2 usage or internal error; 3 temperror.\n",
    .entries = entries, .dns = &dns, .n_args = 1, .args_usage = "expected exactly one DOMAIN",
    .json = &json, .json_help = "Print {bimi, dmarc} as JSON",
  };
  if (!bimi_cli_parse(&spec, &argc, &argv))
    return BIMI_EXIT_USAGE;
  g_autofree char *domain = g_hostname_to_ascii(argv[1]);
  if (domain == NULL || *domain == '\0' || g_hostname_is_ip_address(domain))
    return bimi_cli_usage_error("lookup", "DOMAIN is not a domain name");
  {
    char *lower = g_ascii_strdown(domain, -1);
    g_free(domain);
    domain = lower;
  }
  gsize dlen = strlen(domain);
  if (dlen > 1 && domain[dlen - 1] == '.')
    domain[dlen - 1] = '\0';
  if (selector == NULL)
    selector = g_strdup("default");
  if (!bimi_bimi_selector_is_valid(selector, strlen(selector)))
    return bimi_cli_usage_error("lookup", "--selector: not a selector (dot-separated LDH labels)");
  {
    char *lower = g_ascii_strdown(selector, -1);
    g_free(selector);
    selector = lower;
  }
  g_autoptr(BimiDnsResolver) resolver = bimi_cli_dns_resolver(&dns, &error);
  if (resolver == NULL)
    return bimi_cli_fail(BIMI_EXIT_USAGE, "lookup: %s", error->message);

  /* A hypothetical message From: DOMAIN that DMARC passes through an aligned
   * DKIM signature d=DOMAIN: what policy would apply, at which domains. */
  BimiDmarcMessageInput input;
  BimiDmarcOptions dmarc_options = { .mode = rfc7489 ? BIMI_DMARC_MODE_RFC7489 : BIMI_DMARC_MODE_RFC9989 };
  bimi_dmarc_message_input_init_domain(&input, domain);
  g_autoptr(BimiDmarcEvaluation) ev = bimi_dmarc_evaluate_message(resolver, &dmarc_options, &input, &error);
  bimi_dmarc_message_input_clear(&input);
  if (ev == NULL)
    return bimi_cli_fail(BIMI_EXIT_USAGE, "lookup: DMARC: %s", error->message);

  g_autoptr(BimiBimiResult) r = bimi_bimi_result_new_for_domain(domain, selector, ev);
  if (ev->result == BIMI_DMARC_RESULT_TEMPERROR) {
    r->gate = g_new0(BimiBimiGate, 1);
    r->gate->temperror = TRUE;
    r->gate->reason_code = g_strdup("dmarc-record-temperror");
    r->gate->reason = g_strdup_printf("DMARC temperror: %s", ev->reason ? ev->reason : "");
    r->gate->author.domain = g_strdup(domain);
    r->gate->org.domain = g_strdup(r->org_domain);
  } else {
    r->gate = bimi_bimi_dmarc_gate(NULL, ev);
    if (r->gate->ok && ev->result != BIMI_DMARC_RESULT_PASS) {
      r->gate->ok = FALSE;
      r->gate->reason_code = g_strdup("dmarc-not-pass");
      r->gate->reason = g_strdup_printf("an aligned DKIM pass does not give dmarc=pass: %s",
                                        ev->reason ? ev->reason : "");
    }
  }
  if (!bimi_bimi_discover(resolver, selector, domain, r->org_domain, NULL, r, &error))
    return bimi_cli_fail(BIMI_EXIT_USAGE, "lookup: %s", error->message);

  if (json)
    print_json(r, ev);
  else
    print_text(r);

  if (r->code == BIMI_BIMI_RESULT_TEMPERROR || r->gate->temperror)
    return BIMI_EXIT_TEMPERROR;
  if (r->code == BIMI_BIMI_RESULT_PASS && r->gate->ok)
    return BIMI_EXIT_PASS;
  return BIMI_EXIT_FAIL;
}
