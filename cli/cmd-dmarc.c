/* cli/cmd-dmarc.c — `bimi dmarc MSG.eml [--ip IP] [--helo NAME] [--mail-from ADDR]
 * [--zone F]... [--at TIME] [--rfc7489] [--json]`: SPF (RFC 7208) + DKIM (RFC 6376)
 * + DMARC (RFC 9989, or RFC 7489) for one message, as the receiving MX saw it,
 * with the RFC 8601 Authentication-Results value that sums it up.
 *
 * Without --ip, SPF is not evaluated (spf=none): DMARC can then pass only
 * through an aligned DKIM signature.
 *
 * ARC (RFC 8617): the chain is validated and reported as arc= in the A-R
 * (header.oldest-pass, smtp.remote-ip, §10.1). With --trusted-arc-sealer
 * DOMAIN (repeatable; the service reads [policy] trusted_arc_sealers), a
 * DMARC fail whose chain passes and whose newest sealer is trusted and
 * vouches for the From domain gets disposition none, reported as
 * policy.override=arc (and policy.arc-sealer) on the dmarc= resinfo. The
 * result stays fail.
 *
 * Exit: 0 dmarc=pass; 1 fail, none or permerror; 3 temperror; 2 usage, an
 * unreadable message or a resolver that cannot start.
 */
#include "cli/commands.h"
#include "engine/arc.h"
#include "engine/authres.h"
#include "engine/dkim.h"
#include "engine/dmarc.h"
#include "engine/limits.h"
#include "engine/message.h"
#include "engine/spf.h"

#include <stdio.h>
#include <json-glib/json-glib.h>

/* RFC 8601 §2.7: one resinfo per method, with the properties a reader needs. */
static char *
build_authres(const char *authserv_id, const BimiSpfResult *spf, const BimiSpfResult *spf_helo, const GPtrArray *sigs,
              const BimiArcChain *arc, const char *remote_ip, const BimiDmarcEvaluation *ev)
{
  g_autoptr(BimiAuthres) ar = bimi_authres_new(authserv_id);

  if (spf != NULL)
    bimi_spf_result_add_authres(spf, ar);
  else
    bimi_authres_add_result(ar, "spf", "none");
  if (spf_helo != NULL)
    bimi_spf_result_add_authres(spf_helo, ar);
  bimi_dkim_signatures_add_authres(sigs, ar);
  bimi_arc_chain_add_authres(arc, ar, remote_ip);
  bimi_dmarc_evaluation_add_authres(ev, ar);
  return bimi_authres_to_string(ar);
}

static void
print_json(const BimiSpfResult *spf, const char *helo, const GPtrArray *sigs, const BimiArcChain *arc,
           const BimiDmarcEvaluation *ev, const char *authres)
{
  g_autoptr(BimiJsonWriter) b = bimi_json_writer_new();

  bimi_json_begin_object(b);
  bimi_json_set_member_name(b, "spf");
  if (spf != NULL)
    bimi_spf_result_build_json(spf, helo, b);
  else
    bimi_json_add_null_value(b);
  bimi_cli_json_add_signatures(b, "dkim", sigs);
  bimi_json_set_member_name(b, "arc");
  bimi_arc_chain_build_json(arc, b);
  bimi_json_set_member_name(b, "dmarc");
  bimi_dmarc_evaluation_build_json(ev, b);
  bimi_json_set_member_name(b, "authentication_results");
  bimi_json_add_string_value(b, authres);
  bimi_json_end_object(b);
  bimi_cli_print_writer(b);
}

static void
print_text(const BimiDmarcEvaluation *ev, const char *authres)
{
  printf("dmarc=%s (%s)\n", bimi_dmarc_result_to_string(ev->result), ev->reason ? ev->reason : "");
  if (ev->author_domain != NULL)
    printf("  author domain: %s (organizational domain %s)\n", ev->author_domain,
           ev->org_domain ? ev->org_domain : "unknown");
  if (ev->policy_domain != NULL)
    printf("  policy: %s at _dmarc.%s, disposition %s\n",
           ev->has_policy ? bimi_dmarc_policy_to_string(ev->policy) : "none", ev->policy_domain,
           bimi_dmarc_policy_to_string(ev->disposition));
  printf("  alignment: dkim %s%s%s, spf %s%s%s\n", ev->dkim_aligned ? "aligned" : "not aligned",
         ev->dkim_aligned_domain ? " via d=" : "", ev->dkim_aligned_domain ? ev->dkim_aligned_domain : "",
         ev->spf_aligned ? "aligned" : "not aligned", ev->spf_domain ? " via " : "",
         ev->spf_domain ? ev->spf_domain : "");
  if (ev->org_domain_divergence)
    printf("  note: the PSL says %s, the DNS tree walk says %s\n", ev->org_domain_psl, ev->org_domain_tree_walk);
  if (ev->arc_override)
    printf("  override: arc (trusted sealer %s), disposition none\n", ev->arc_sealer ? ev->arc_sealer : "?");
  printf("Authentication-Results: %s\n", authres);
}

int
bimi_cli_cmd_dmarc(int argc, char **argv)
{
  g_auto(BimiCliDnsOptions) dns = { 0 };
  g_autofree char *ip_text = NULL, *helo = NULL, *mail_from = NULL, *at = NULL, *authserv_id = NULL;
  gboolean json = FALSE, rfc7489 = FALSE;
  g_auto(GStrv) trusted_sealers = NULL;
  g_autoptr(GError) error = NULL;
  const GOptionEntry entries[] = {
    { "ip", 0, 0, G_OPTION_ARG_STRING, &ip_text, "SMTP client address (enables SPF)", "IP" },
    { "helo", 0, 0, G_OPTION_ARG_STRING, &helo, "HELO/EHLO name", "NAME" },
    { "mail-from", 0, 0, G_OPTION_ARG_STRING, &mail_from, "MAIL FROM address (empty = null reverse-path)", "ADDR" },
    { "at", 0, 0, G_OPTION_ARG_STRING, &at, "Evaluate as if now were TIME (RFC 3339 or @EPOCH)", "TIME" },
    { "rfc7489", 0, 0, G_OPTION_ARG_NONE, &rfc7489, "RFC 7489 DMARC (PSL, pct) instead of RFC 9989", NULL },
    { "authserv-id", 0, 0, G_OPTION_ARG_STRING, &authserv_id, "authserv-id of the A-R value (default: host name)", "ID" },
    { "trusted-arc-sealer", 0, 0, G_OPTION_ARG_STRING_ARRAY, &trusted_sealers,
      "ARC sealer trusted to relax a DMARC fail (repeatable)", "DOMAIN" },
    G_OPTION_ENTRY_NULL,
  };
  gint64 now = 0;

  const BimiCliSpec spec = {
    .name = "dmarc", .parameters = "MSG.eml - SPF, DKIM and DMARC of one message",
    .description = "Exit status: 0 dmarc=pass; 1 fail, none or permerror;\n"
                   "2 usage or internal error; 3 temperror.\n",
    .entries = entries, .dns = &dns, .n_args = 1, .args_usage = BIMI_CLI_USAGE_ONE_MESSAGE,
    .json = &json, .json_help = "Print {spf, dkim[], arc, dmarc, authentication_results} as JSON",
    .at = &at, .now = &now,
  };
  if (!bimi_cli_parse(&spec, &argc, &argv))
    return BIMI_EXIT_USAGE;
  g_autoptr(GInetAddress) ip = NULL;
  if (ip_text != NULL) {
    ip = g_inet_address_new_from_string(ip_text);
    if (ip == NULL)
      return bimi_cli_usage_error("dmarc", "--ip: not an IPv4 or IPv6 address");
    if ((helo == NULL || *helo == '\0') && (mail_from == NULL || *mail_from == '\0'))
      return bimi_cli_usage_error("dmarc", "--ip needs --mail-from, --helo or both");
  }
  g_autoptr(BimiMessage) msg = NULL;
  g_autoptr(BimiDnsResolver) resolver = NULL;
  if (!bimi_cli_open_message("dmarc", NULL, argv[1], &dns, &msg, &resolver))
    return BIMI_EXIT_USAGE;

  /* SPF of the MAIL FROM identity (postmaster@HELO for a null path, RFC 7208 §2.4). */
  g_autoptr(BimiSpfResult) spf = NULL;
  g_autoptr(BimiSpfResult) spf_helo = NULL;
  if (ip != NULL) {
    BimiSpfOptions spf_options = { .now = now, .receiver = authserv_id };
    spf = bimi_spf_check(resolver, ip, helo, mail_from, &spf_options, &error);
    if (spf == NULL)
      return bimi_cli_fail(BIMI_EXIT_USAGE, "dmarc: SPF: %s", error->message);
    /* the HELO identity on its own, as the service reports it (RFC 7208 §2.3) */
    spf_helo = bimi_spf_check_helo(resolver, ip, helo, spf, &spf_options);
  }

  BimiDkimOptions dkim_options = { .now = now, .key_fetch = bimi_dkim_key_fetch_dns, .key_fetch_data = resolver };
  g_autoptr(GPtrArray) sigs = bimi_dkim_verify(msg, &dkim_options, &error);
  if (sigs == NULL)
    return bimi_cli_fail(BIMI_EXIT_USAGE, "dmarc: DKIM: %s", error->message);

  BimiArcOptions arc_options = { .now = now, .key_fetch = bimi_dkim_key_fetch_dns, .key_fetch_data = resolver };
  g_autoptr(BimiArcChain) arc = bimi_arc_validate(msg, &arc_options, &error);
  if (arc == NULL)
    return bimi_cli_fail(BIMI_EXIT_USAGE, "dmarc: ARC: %s", error->message);

  BimiDmarcMessageInput input;
  BimiDmarcOptions dmarc_options = { .mode = rfc7489 ? BIMI_DMARC_MODE_RFC7489 : BIMI_DMARC_MODE_RFC9989 };
  bimi_dmarc_message_input_init(&input, msg, spf, spf_helo, helo != NULL && *helo != '\0' ? helo : NULL, sigs);
  g_autoptr(BimiDmarcEvaluation) ev = bimi_dmarc_evaluate_message(resolver, &dmarc_options, &input, &error);
  bimi_dmarc_message_input_clear(&input);
  if (ev == NULL)
    return bimi_cli_fail(BIMI_EXIT_USAGE, "dmarc: %s", error->message);
  if (ev->result == BIMI_DMARC_RESULT_FAIL) {
    const char *sealer = NULL;
    if (bimi_arc_trusted_pass(arc, (const char *const *) trusted_sealers, ev->author_domain, ev->adkim, ev->aspf,
                              &sealer))
      bimi_dmarc_evaluation_apply_arc_override(ev, sealer);
  }

  g_autofree char *authres =
    build_authres(authserv_id ? authserv_id : g_get_host_name(), spf, spf_helo, sigs, arc, ip_text, ev);
  if (json)
    print_json(spf, helo, sigs, arc, ev, authres);
  else
    print_text(ev, authres);

  return bimi_cli_exit_status(ev->result == BIMI_DMARC_RESULT_PASS, ev->result == BIMI_DMARC_RESULT_TEMPERROR);
}
