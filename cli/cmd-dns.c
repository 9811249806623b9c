/* cli/cmd-dns.c — `bimi dns TYPE NAME`: one question to the engine's DNS layer.
 *
 * Shows what every protocol module sees: NOERROR with the records, NODATA,
 * NXDOMAIN or TEMPERROR (with its cause), the TTL and the canonical name
 * after CNAMEs. Useful against --zone files (offline, the same data the
 * tests use) and against --forwarder servers.
 *
 * Exit: 0 NOERROR, 1 NXDOMAIN or NODATA, 3 TEMPERROR, 2 usage or internal error.
 */
#include "cli/commands.h"
#include "engine/base/base-json.h"

#include <stdio.h>
#include <string.h>
#include <json-glib/json-glib.h>

/* A character-string for a terminal: printable ASCII as is, '"' and '\'
 * escaped, anything else as \DDD (RFC 1035 §5.1 presentation form). */
static char *
escape_text(GBytes *bytes)
{
  gsize len = 0;
  const guint8 *p = g_bytes_get_data(bytes, &len);
  GString *s = g_string_sized_new(len + 2);
  g_string_append_c(s, '"');
  for (gsize i = 0; i < len; i++) {
    if (p[i] == '"' || p[i] == '\\')
      g_string_append_printf(s, "\\%c", p[i]);
    else if (p[i] < 0x20 || p[i] > 0x7e)
      g_string_append_printf(s, "\\%03u", (guint) p[i]);
    else
      g_string_append_c(s, (gchar) p[i]);
  }
  g_string_append_c(s, '"');
  return g_string_free(s, FALSE);
}

static void
print_human(gconstpointer result)
{
  const BimiDnsAnswer *answer = result;
  const char *type = bimi_dns_type_to_string(answer->type);

  printf("%s %s: %s", answer->qname, type, bimi_dns_status_to_string(answer->status));
  if (answer->detail != NULL)
    printf(" (%s)", answer->detail);
  printf("\nttl: %u\n", answer->ttl);
  if (answer->canonical_name != NULL)
    printf("canonical name: %s\n", answer->canonical_name);
  for (guint i = 0; i < answer->records->len; i++) {
    const BimiDnsRecord *rec = answer->records->pdata[i];
    const char *rtype = bimi_dns_type_to_string(rec->type);
    switch (rec->type) {
    case BIMI_DNS_TYPE_TXT:
    case BIMI_DNS_TYPE_SPF: {
      g_autofree char *text = escape_text(rec->text);
      printf("%s %u %s", rtype, rec->ttl, text);
      if (rec->strings->len != 1)
        printf("  (%u strings)", rec->strings->len);
      printf("\n");
      break;
    }
    case BIMI_DNS_TYPE_A:
    case BIMI_DNS_TYPE_AAAA: {
      g_autofree char *addr = g_inet_address_to_string(rec->address);
      printf("%s %u %s\n", rtype, rec->ttl, addr);
      break;
    }
    case BIMI_DNS_TYPE_MX:
      printf("%s %u %u %s\n", rtype, rec->ttl, rec->preference, rec->name);
      break;
    default:
      printf("%s %u %s\n", rtype, rec->ttl, rec->name);
      break;
    }
  }
}

/* JSON strings must be UTF-8: invalid bytes become U+FFFD in @member and
 * the exact bytes go to @member_base64. */
static void
add_bytes(BimiJsonWriter *b, const char *member, GBytes *bytes)
{
  gsize len = 0;
  const char *p = g_bytes_get_data(bytes, &len);
  bimi_json_add_bytes(b, member, p, len);
}

static void
build_json(gconstpointer result, BimiJsonWriter *b)
{
  const BimiDnsAnswer *answer = result;

  bimi_json_begin_object(b);
  bimi_json_add_members(b, "sssuss", "name", answer->qname, "type", bimi_dns_type_to_string(answer->type),
                        "status", bimi_dns_status_to_string(answer->status), "ttl", answer->ttl,
                        "canonical_name", answer->canonical_name, "detail", answer->detail);
  bimi_json_set_member_name(b, "records");
  bimi_json_begin_array(b);
  for (guint i = 0; i < answer->records->len; i++) {
    const BimiDnsRecord *rec = answer->records->pdata[i];
    bimi_json_begin_object(b);
    bimi_json_add_members(b, "su", "type", bimi_dns_type_to_string(rec->type), "ttl", rec->ttl);
    switch (rec->type) {
    case BIMI_DNS_TYPE_TXT:
    case BIMI_DNS_TYPE_SPF:
      add_bytes(b, "text", rec->text);
      bimi_json_set_member_name(b, "strings");
      bimi_json_begin_array(b);
      for (guint j = 0; j < rec->strings->len; j++) {
        gsize len = 0;
        const char *p = g_bytes_get_data(rec->strings->pdata[j], &len);
        g_autofree char *valid = g_utf8_make_valid(p ? p : "", (gssize) len);
        bimi_json_add_string_value(b, valid);
      }
      bimi_json_end_array(b);
      break;
    case BIMI_DNS_TYPE_A:
    case BIMI_DNS_TYPE_AAAA: {
      g_autofree char *addr = g_inet_address_to_string(rec->address);
      bimi_json_add_members(b, "s", "address", addr);
      break;
    }
    case BIMI_DNS_TYPE_MX:
      bimi_json_add_members(b, "is", "preference", rec->preference, "name", rec->name);
      break;
    default:
      bimi_json_add_members(b, "s", "name", rec->name);
      break;
    }
    bimi_json_end_object(b);
  }
  bimi_json_end_array(b);
  bimi_json_end_object(b);
}

int
bimi_cli_cmd_dns(int argc, char **argv)
{
  g_auto(BimiCliDnsOptions) dns_opts = { 0 };
  gboolean json = FALSE;
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiDnsResolver) resolver = NULL;
  g_autoptr(BimiDnsAnswer) answer = NULL;
  BimiDnsType type;
  int rc;

  g_set_prgname("bimi dns");
  const BimiCliSpec spec = {
    .name = "dns", .parameters = "TYPE NAME",
    .summary = "Ask the engine's DNS layer one question. TYPE is one of\n"
               "A AAAA CNAME MX NS PTR SPF TXT.\n\n"
               "Exit status: 0 NOERROR, 1 NXDOMAIN or NODATA, 3 TEMPERROR, 2 usage or internal error.",
    .entries = NULL, .dns = &dns_opts, .n_args = 2, .args_usage = "expected TYPE and NAME",
    .json = &json, .json_help = "Print the answer as JSON",
  };
  if (!bimi_cli_parse(&spec, &argc, &argv))
    return BIMI_EXIT_USAGE;
  if (!bimi_dns_type_from_string(argv[1], &type)) {
    g_autofree char *msg = g_strdup_printf("unknown type '%s' (A AAAA CNAME MX NS PTR SPF TXT)", argv[1]);
    return bimi_cli_usage_error("dns", msg);
  }

  resolver = bimi_cli_dns_resolver(&dns_opts, &error);
  if (resolver == NULL) {
    if (error->domain == G_OPTION_ERROR)
      return bimi_cli_usage_error("dns", error->message);
    return bimi_cli_fail(BIMI_EXIT_USAGE, "dns: %s", error->message);
  }
  answer = bimi_dns_lookup(resolver, argv[2], type, &error);
  if (answer == NULL)
    return bimi_cli_fail(BIMI_EXIT_USAGE, "dns: %s", error->message);
  bimi_cli_print_result(json, build_json, print_human, answer);

  switch (answer->status) {
  case BIMI_DNS_NOERROR: rc = BIMI_EXIT_PASS; break;
  case BIMI_DNS_NODATA:
  case BIMI_DNS_NXDOMAIN: rc = BIMI_EXIT_FAIL; break;
  case BIMI_DNS_TEMPERROR:
  default: rc = BIMI_EXIT_TEMPERROR; break;
  }
  return rc;
}
