/* cli/cmd-cert.c — `bimi cert verify` and `bimi cert logo`: the Evidence
 * Document (VMC/CMC) validator of engine/vmc from the command line
 * (draft-fetch-validation-vmc-wchuang-11; spec/bimi-receiver.md §7–§8).
 *
 *   bimi cert verify CHAIN.pem [--domain D] [--selector S] [--svg LOGO.svg] [--at TIME]
 *        [--trust-store F] [--ct-logs F] [--revocation require|soft|off] [--json]
 *        [--ca-file F] [--allow-private-addresses] [--resolve HOST:PORT:ADDR]...
 *        [--connect-to HOST:PORT:CONNECT-HOST:CONNECT-PORT]...
 *   bimi cert logo CHAIN.pem -o LOGO.svg
 *
 * Exit: 0 valid, 1 invalid, 2 usage, an input that is not a PEM chain or an
 * internal error, 3 temperror: the only failure is revocation-unknown
 * (--revocation require) because a CRL could not be fetched for a reason that
 * passes (DNS, connect, timeout, busy, HTTP 5xx). A CRL fetched and refused
 * (forged, forbidden address) stays invalid, 1.
 * The trust store defaults to data/bimi-roots.pem and data/ct-logs.cnf next to the
 * program (../data from build/bimi, ../share/bimi when installed), else in the working directory: only BIMI
 * roots, never the system TLS store. Revocation (unless --revocation off): the
 * CRL distribution points of the chain are fetched through engine/fetch
 * (bimi_fetch_crl(): http or https, public addresses on port 80/443 unless
 * --allow-private-addresses, caps, deadlines) and verified by engine/vmc; the
 * report lists each CRL with good / revoked / unavailable and why. With the
 * default revocation=soft an unavailable CRL is a warning, with require a
 * "revocation-unknown" failure; a listed serial always fails.
 * The certificate's SVG is checked by engine/svg (SVG Tiny PS).
 */
#include "cli/commands.h"
#include "engine/base/base-json.h"
#include "engine/vmc.h"
#include "engine/fetch.h"
#include "engine/limits.h"

#include <stdio.h>
#include <string.h>
#include <json-glib/json-glib.h>

static char *
iso_time(gint64 t)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(t);
  return dt ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ") : g_strdup("?");
}

static void
build_json(gconstpointer result, BimiJsonWriter *b)
{
  const BimiVmcResult *r = result;
  g_autofree char *nb = iso_time(r->not_before), *na = iso_time(r->not_after);

  bimi_json_begin_object(b);
  bimi_json_add_members(b, "bsssb sssss sssss vvvsv ssbs", "valid", r->valid,
                        "certificate_type", bimi_vmc_cert_type_to_string(r->cert_type),
                        "mark_type", bimi_vmc_mark_type_to_string(r->mark_type), "mark_type_text", r->mark_type_text,
                        "pilot", r->pilot, "subject", r->subject, "organization", r->organization,
                        "trademark_country", r->trademark_country, "trademark_office", r->trademark_office,
                        "trademark_id", r->trademark_id, "issuer", r->issuer, "serial", r->serial_hex,
                        "sha256", r->leaf_sha256, "not_before", nb, "not_after", na, "sans", r->sans,
                        "chain", r->chain, "sct_logs", r->sct_logs,
                        "revocation", bimi_vmc_revocation_status_to_string(r->revocation),
                        "revocation_crls", r->revocation_crls, "logo_hash_alg", r->logo_hash_alg,
                        "logo_hash", r->logo_hash_hex, "logo_hash_ok", r->logo_hash_ok, "svg_sha256", r->svg_sha256);
  bimi_json_set_member_name(b, "failures");
  bimi_json_begin_array(b);
  for (guint i = 0; i < r->failures->len; i++) {
    const BimiVmcFailure *f = g_ptr_array_index(r->failures, i);
    bimi_json_begin_object(b);
    bimi_json_add_members(b, "ss", "check", bimi_vmc_check_code(f->check), "detail", f->detail);
    bimi_json_end_object(b);
  }
  bimi_json_end_array(b);
  bimi_json_add_members(b, "p", "warnings", r->warnings);
  bimi_json_end_object(b);
}

static void
print_human(gconstpointer result)
{
  const BimiVmcResult *r = result;
  g_autofree char *nb = iso_time(r->not_before), *na = iso_time(r->not_after);
  const char *mark = bimi_vmc_mark_type_to_string(r->mark_type);

  printf("verdict:      %s\n", r->valid ? "VALID" : "INVALID");
  printf("type:         %s\n", bimi_vmc_cert_type_to_string(r->cert_type));
  printf("mark type:    %s\n", mark ? mark : "(absent: pre-2022 VMC)");
  if (r->pilot)
    printf("pilot:        yes (critical pilot identifier extension)\n");
  printf("organization: %s\n", r->organization ? r->organization : "-");
  if (r->trademark_id != NULL || r->trademark_country != NULL)
    printf("trademark:    %s %s%s%s\n", r->trademark_country ? r->trademark_country : "-",
           r->trademark_id ? r->trademark_id : "-", r->trademark_office ? ", " : "",
           r->trademark_office ? r->trademark_office : "");
  printf("subject:      %s\n", r->subject ? r->subject : "-");
  printf("issuer:       %s\n", r->issuer ? r->issuer : "-");
  printf("serial:       %s\n", r->serial_hex ? r->serial_hex : "-");
  printf("validity:     %s .. %s\n", nb, na);
  printf("SANs:        ");
  for (guint i = 0; r->sans[i] != NULL; i++)
    printf(" %s", r->sans[i]);
  printf("\nchain:\n");
  for (guint i = 0; r->chain[i] != NULL; i++)
    printf("  %u: %s\n", i, r->chain[i]);
  printf("SCTs:         %s\n", r->sct_logs[0] ? "" : "(none verified)");
  for (guint i = 0; r->sct_logs[i] != NULL; i++)
    printf("  verified by %s\n", r->sct_logs[i]);
  printf("revocation:   %s\n", bimi_vmc_revocation_status_to_string(r->revocation));
  for (guint i = 0; r->revocation_crls[i] != NULL; i++)
    printf("  CRL %s\n", r->revocation_crls[i]);
  if (r->logo_hash_alg != NULL)
    printf("logo hash:    %s %s (%s)\n", r->logo_hash_alg, r->logo_hash_hex, r->logo_hash_ok ? "matches" : "MISMATCH");
  if (r->svg_sha256 != NULL)
    printf("logo sha256:  %s (%" G_GSIZE_FORMAT " bytes)\n", r->svg_sha256, g_bytes_get_size(r->svg));
  for (guint i = 0; i < r->failures->len; i++) {
    const BimiVmcFailure *f = g_ptr_array_index(r->failures, i);
    printf("FAIL %s: %s\n", bimi_vmc_check_code(f->check), f->detail);
  }
  for (guint i = 0; i < r->warnings->len; i++)
    printf("warning: %s\n", (const char *) g_ptr_array_index(r->warnings, i));
}

/* Whether @bytes hold a PEM certificate block (the encapsulation boundary of RFC 7468 §2). */
static gboolean
looks_like_pem(GBytes *bytes)
{
  gsize len = 0;
  const char *p = g_bytes_get_data(bytes, &len);
  static const char begin[] = "-----BEGIN CERTIFICATE-----";

  return p != NULL && g_strstr_len(p, (gssize) len, begin) != NULL;
}

/* Whether @bytes look like an SVG document (an "<svg" element near the start). */
static gboolean
looks_like_svg(GBytes *bytes)
{
  gsize len = 0;
  const char *p = g_bytes_get_data(bytes, &len);

  return p != NULL && g_strstr_len(p, (gssize) MIN(len, 4096), "<svg") != NULL;
}

/* TRUE when the one failure of @r is revocation-unknown (revocation=require, CRL unavailable). */
static gboolean
only_revocation_unknown(const BimiVmcResult *r)
{
  if (r->failures == NULL || r->failures->len == 0)
    return FALSE;
  for (guint i = 0; i < r->failures->len; i++) {
    const BimiVmcFailure *f = g_ptr_array_index(r->failures, i);
    if (f->check != BIMI_VMC_CHECK_REVOCATION_UNKNOWN)
      return FALSE;
  }
  return TRUE;
}

static int
cert_verify(int argc, char **argv)
{
  g_autofree char *domain = NULL, *selector = NULL, *svg = NULL, *at = NULL, *trust_store = NULL, *ct_logs = NULL,
                  *revocation = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "domain", 0, 0, G_OPTION_ARG_STRING, &domain, "record domain the SAN must cover", "D" },
    { "selector", 0, 0, G_OPTION_ARG_STRING, &selector, "BIMI selector (default: default)", "S" },
    { "svg", 0, 0, G_OPTION_ARG_FILENAME, &svg, "the l= logo to compare with the certificate's", "LOGO.svg" },
    { "at", 0, 0, G_OPTION_ARG_STRING, &at, "evaluation time, RFC 3339 or @EPOCH (default: now)", "TIME" },
    { "trust-store", 0, 0, G_OPTION_ARG_FILENAME, &trust_store, "BIMI roots, PEM", "F" },
    { "ct-logs", 0, 0, G_OPTION_ARG_FILENAME, &ct_logs, "CT log list (OpenSSL ct_log_list.cnf format)", "F" },
    { "revocation", 0, 0, G_OPTION_ARG_STRING, &revocation, "require | soft | off (default soft)", "MODE" },
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) pem = NULL, logo = NULL;
  g_autoptr(BimiVmcTrust) trust = NULL;
  g_autoptr(BimiVmcResult) r = NULL;
  g_autofree char *roots_path = NULL, *logs_path = NULL;
  BimiVmcOptions opts = { 0 };
  g_auto(BimiCliFetchOptions) fetch_opts = { 0 };
  g_autoptr(BimiFetcher) fetcher = NULL;

  const BimiCliSpec spec = {
    .name = "cert verify", .parameters = "CHAIN.pem — validate a VMC/CMC Evidence Document",
    .entries = entries, .fetch = &fetch_opts, .n_args = 1, .args_usage = "expected exactly one CHAIN.pem",
    .json = &json, .json_help = "print JSON", .at = &at, .now = &opts.now,
  };
  if (!bimi_cli_parse(&spec, &argc, &argv))
    return BIMI_EXIT_USAGE;
  if (revocation != NULL && !bimi_vmc_revocation_mode_from_string(revocation, &opts.revocation))
    return bimi_cli_usage_error("cert verify", "--revocation takes require, soft or off");
  roots_path = trust_store ? g_strdup(trust_store) : bimi_cli_data_file("bimi-roots.pem");
  logs_path = ct_logs ? g_strdup(ct_logs) : bimi_cli_data_file("ct-logs.cnf");
  trust = bimi_vmc_trust_new_from_files(roots_path, logs_path, &error);
  if (trust == NULL)
    return bimi_cli_fail(BIMI_EXIT_USAGE, "cert verify: %s", error->message);
  pem = bimi_cli_read_file(argv[1], BIMI_VMC_MAX_PEM_BYTES, &error);
  if (pem == NULL)
    return bimi_cli_fail(BIMI_EXIT_USAGE, "cert verify: %s", error->message);
  if (!looks_like_pem(pem))
    return bimi_cli_fail(BIMI_EXIT_USAGE, "cert verify: %s: not a PEM certificate chain (no \"-----BEGIN CERTIFICATE-----\" line)%s",
                         argv[1], looks_like_svg(pem) ? "; it looks like an SVG image: give the logo with --svg" : "");
  if (svg != NULL) {
    logo = bimi_cli_read_file(svg, BIMI_VMC_MAX_SVG_BYTES, &error);
    if (logo == NULL)
      return bimi_cli_fail(BIMI_EXIT_USAGE, "cert verify: %s", error->message);
    opts.location_svg = logo;
  }
  if (opts.revocation != BIMI_VMC_REVOCATION_OFF) {
    fetcher = bimi_cli_fetcher(&fetch_opts, NULL, &error);
    if (fetcher == NULL)
      return bimi_cli_usage_error("cert verify", error->message);
    opts.fetch_crl = bimi_vmc_fetch_crl_with_fetcher;
    opts.fetch_user_data = fetcher;
  }
  opts.domain = domain;
  opts.selector = selector;
  r = bimi_vmc_verify(pem, trust, &opts, &error);
  if (r == NULL)
    return bimi_cli_fail(BIMI_EXIT_USAGE, "cert verify: %s", error->message);
  bimi_cli_print_result(json, build_json, print_human, r);
  if (r->valid)
    return BIMI_EXIT_PASS;
  /* revocation=require and a CRL that could not be had: not a verdict on the certificate, retry later
   * (the CLI contract's temperror), unless something else failed too. */
  if (only_revocation_unknown(r) && r->revocation_transient)
    return BIMI_EXIT_TEMPERROR;
  return BIMI_EXIT_FAIL;
}

static int
cert_logo(int argc, char **argv)
{
  g_autofree char *output = NULL;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "where to write the SVG (- for stdout)", "LOGO.svg" },
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) pem = NULL, svg = NULL;
  gsize n;
  const char *p;

  const BimiCliSpec spec = {
    .name = "cert logo", .parameters = "CHAIN.pem — extract the certificate's SVG logo",
    .entries = entries, .n_args = -1,
  };
  if (!bimi_cli_parse(&spec, &argc, &argv))
    return BIMI_EXIT_USAGE;
  if (argc != 2 || output == NULL)
    return bimi_cli_usage_error("cert logo", "usage: bimi cert logo CHAIN.pem -o LOGO.svg");
  pem = bimi_cli_read_file(argv[1], BIMI_VMC_MAX_PEM_BYTES, &error);
  if (pem == NULL)
    return bimi_cli_fail(BIMI_EXIT_USAGE, "cert logo: %s", error->message);
  svg = bimi_vmc_extract_logo(pem, &error);
  if (svg == NULL)
    return bimi_cli_fail(BIMI_EXIT_FAIL, "cert logo: %s", error->message);
  p = g_bytes_get_data(svg, &n);
  fflush(stdout);
  if (!bimi_cli_write_output(output, p, n, &error))
    return bimi_cli_fail(BIMI_EXIT_USAGE, "cert logo: %s", error->message);
  return BIMI_EXIT_PASS;
}

static const BimiCliCommand cert_commands[] = {
  { "verify", cert_verify, NULL },
  { "logo", cert_logo, NULL },
};

int
bimi_cli_cmd_cert(int argc, char **argv)
{
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    FILE *out = argc < 2 ? stderr : stdout;
    fprintf(out, "Usage: bimi cert verify CHAIN.pem [--domain D] [--selector S] [--svg LOGO.svg] [--at TIME]\n"
                 "                        [--trust-store F] [--ct-logs F] [--revocation require|soft|off] [--json]\n"
                 "                        [--ca-file F] [--allow-private-addresses] [--resolve HOST:PORT:ADDR]...\n"
                 "                        [--connect-to HOST:PORT:CONNECT-HOST:CONNECT-PORT]...\n"
                 "       bimi cert logo CHAIN.pem -o LOGO.svg\n");
    return argc < 2 ? BIMI_EXIT_USAGE : BIMI_EXIT_PASS;
  }
  const BimiCliCommand *command = bimi_cli_find_command(cert_commands, G_N_ELEMENTS(cert_commands), argv[1]);
  if (command != NULL)
    return command->func(argc - 1, argv + 1);
  return bimi_cli_usage_error("cert", "expected 'verify' or 'logo'");
}
