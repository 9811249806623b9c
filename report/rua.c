/* report/rua.c — rua= destinations: DMARC URIs (RFC 7489 §6.2, "!size"), mailto
 * (RFC 6068 §2: percent-encoding, hfields), and the external destination
 * verification of RFC 9990 §2 ("<policy-domain>._report._dmarc.<dest-domain>" TXT
 * starting with "v=DMARC1").
 *
 * Deviation: hfields ("?subject=") are refused, not ignored: an aggregate report
 * goes to one plain address, and a URI that needs more is malformed for this use.
 */
#include "report/rua.h"

#include "engine/base/base-chars.h"
#include "engine/base/base-domain.h"
#include "engine/base/base-mem.h"
#include "engine/dmarc.h"
#include "engine/limits.h"

#include <string.h>

G_DEFINE_QUARK(bimi-report-rua-error-quark, bimi_report_rua_error)

BIMI_DEFINE_FREE_FUNC(BimiReportRua, bimi_report_rua_free, rua)
{
  BIMI_FREE_ALL(rua->uri, rua->address, rua->domain);
}

static int
hex_value(guchar c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static gboolean
syntax(GError **error, gsize offset, const char *what)
{
  g_set_error(error, BIMI_REPORT_RUA_ERROR, BIMI_REPORT_RUA_ERROR_SYNTAX, "mailto URI: %s (offset %" G_GSIZE_FORMAT ")",
              what, offset);
  return FALSE;
}

/* The "!size" suffix: digits then an optional unit (RFC 7489 §6.2). */
static gboolean
parse_size(const char *s, gsize len, gsize offset, guint64 *out, GError **error)
{
  guint64 v = 0, mult = 1;
  gsize i = 0;

  while (i < len && bimi_char_is_digit((guchar) s[i])) {
    if (v > (G_MAXUINT64 - 9) / 10) {
      g_set_error(error, BIMI_REPORT_RUA_ERROR, BIMI_REPORT_RUA_ERROR_LIMIT, "mailto URI: size too large");
      return FALSE;
    }
    v = v * 10 + (guint64) (s[i] - '0');
    i++;
  }
  if (i == 0)
    return syntax(error, offset, "\"!\" without a size");
  if (i < len) {
    switch (g_ascii_tolower(s[i])) {
    case 'k': mult = G_GUINT64_CONSTANT(1) << 10; break;
    case 'm': mult = G_GUINT64_CONSTANT(1) << 20; break;
    case 'g': mult = G_GUINT64_CONSTANT(1) << 30; break;
    case 't': mult = G_GUINT64_CONSTANT(1) << 40; break;
    default: return syntax(error, offset + i, "unknown size unit");
    }
    if (i + 1 != len)
      return syntax(error, offset + i + 1, "bytes after the size unit");
  }
  if (!g_uint64_checked_mul(out, v, mult)) {
    g_set_error(error, BIMI_REPORT_RUA_ERROR, BIMI_REPORT_RUA_ERROR_LIMIT, "mailto URI: size too large");
    return FALSE;
  }
  if (*out == 0)
    return syntax(error, offset, "size 0");
  return TRUE;
}

/* RFC 5322 §3.2.4 qtext / quoted-pair inside a quoted local part, ASCII only. */
static gboolean
local_part_ok(const char *l, gsize n)
{
  if (n == 0 || n > 64) /* RFC 5321 §4.5.3.1.1 */
    return FALSE;
  if (l[0] == '"') {
    if (n < 2 || l[n - 1] != '"')
      return FALSE;
    for (gsize i = 1; i + 1 < n; i++) {
      guchar c = (guchar) l[i];
      if (c == '\\') {
        if (i + 2 >= n || !bimi_char_is_vchar((guchar) l[i + 1]))
          return FALSE;
        i++;
      } else if (c == '"' || !(bimi_char_is_vchar(c) || c == ' ')) {
        return FALSE;
      }
    }
    return TRUE;
  }
  /* dot-atom */
  if (l[0] == '.' || l[n - 1] == '.')
    return FALSE;
  for (gsize i = 0; i < n; i++) {
    guchar c = (guchar) l[i];
    if (c == '.') {
      if (l[i + 1] == '.')
        return FALSE;
    } else if (!bimi_char_is_atext(c)) {
      return FALSE;
    }
  }
  return TRUE;
}

BimiReportRua *
bimi_report_rua_parse(const char *uri, gsize len, GError **error)
{
  static const char scheme[] = "mailto:";
  const gsize slen = sizeof scheme - 1;
  g_autoptr(BimiReportRua) r = NULL;
  g_autoptr(GString) addr = NULL;
  gsize end = len, i;
  const char *at;
  BimiDomainInfo info;

  g_return_val_if_fail(uri != NULL || len == 0, NULL);
  if (len > BIMI_REPORT_MAX_URI_BYTES) {
    g_set_error(error, BIMI_REPORT_RUA_ERROR, BIMI_REPORT_RUA_ERROR_LIMIT, "URI longer than %u bytes",
                BIMI_REPORT_MAX_URI_BYTES);
    return NULL;
  }
  if (len < slen || g_ascii_strncasecmp(uri, scheme, slen) != 0) {
    g_set_error(error, BIMI_REPORT_RUA_ERROR, BIMI_REPORT_RUA_ERROR_SCHEME,
                "not a mailto: URI (only mailto: destinations are supported)");
    return NULL;
  }
  r = g_new0(BimiReportRua, 1);
  /* The size suffix: after the last '!' ('!' is not allowed unencoded in an address here). */
  for (i = slen; i < len; i++)
    if (uri[i] == '!')
      break;
  if (i < len) {
    if (!parse_size(uri + i + 1, len - i - 1, i + 1, &r->max_bytes, error))
      return NULL;
    end = i;
  }
  addr = g_string_sized_new(end - slen);
  for (i = slen; i < end; i++) {
    guchar c = (guchar) uri[i];
    if (c == '%') {
      int hi = i + 2 < end ? hex_value((guchar) uri[i + 1]) : -1;
      int lo = i + 2 < end ? hex_value((guchar) uri[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        syntax(error, i, "bad percent-encoding");
        return NULL;
      }
      c = (guchar) (hi * 16 + lo);
      i += 2;
      if (c < 0x20 || c > 0x7e) { /* SP only inside a quoted local part (checked below) */
        syntax(error, i - 2, "percent-encoded byte outside printable ASCII");
        return NULL;
      }
    } else if (c == '?') {
      syntax(error, i, "hfields (\"?\") are not accepted in a report destination");
      return NULL;
    } else if (c == ',') {
      syntax(error, i, "more than one address");
      return NULL;
    } else if (c < 0x21 || c > 0x7e) {
      syntax(error, i, "byte outside printable ASCII");
      return NULL;
    }
    g_string_append_c(addr, (char) c);
  }
  at = memrchr(addr->str, '@', addr->len);
  if (at == NULL) {
    syntax(error, slen, "no \"@\" in the address");
    return NULL;
  }
  if (!local_part_ok(addr->str, (gsize) (at - addr->str))) {
    syntax(error, slen, "the local part is not a dot-atom or quoted-string of at most 64 bytes");
    return NULL;
  }
  if (!bimi_domain_check(at + 1, addr->len - (gsize) (at + 1 - addr->str), BIMI_BASE_DNS_MAX_NAME_BYTES, 2,
                         BIMI_DOMAIN_LDH, &info)) {
    syntax(error, slen + (gsize) (at + 1 - addr->str), "the domain is not a host name");
    return NULL;
  }
  r->uri = g_strndup(uri, len);
  r->domain = g_ascii_strdown(at + 1, -1);
  r->address = g_strdup_printf("%.*s@%s", (int) (at - addr->str), addr->str, r->domain);
  return g_steal_pointer(&r);
}

BimiReportDestStatus
bimi_report_verify_destination(BimiDnsResolver *resolver, const char *policy_domain, const char *dest_domain,
                               char **detail)
{
  g_autofree char *org_policy = bimi_dmarc_org_domain_psl(policy_domain, NULL);
  g_autofree char *org_dest = bimi_dmarc_org_domain_psl(dest_domain, NULL);
  g_autofree char *name = NULL;
  g_autoptr(BimiDnsAnswer) answer = NULL;
  g_autoptr(GError) error = NULL;
  gboolean invalid = FALSE;

  g_return_val_if_fail(resolver != NULL && policy_domain != NULL && dest_domain != NULL, BIMI_REPORT_DEST_REFUSED);
  if (detail != NULL)
    *detail = NULL;
  if (bimi_domain_is_within(dest_domain, policy_domain) ||
      (org_policy != NULL && org_dest != NULL && bimi_domain_equal(org_policy, org_dest))) {
    if (detail != NULL)
      *detail = g_strdup_printf("%s is within the Organizational Domain of %s", dest_domain, policy_domain);
    return BIMI_REPORT_DEST_INTERNAL;
  }
  name = g_strdup_printf("%s._report._dmarc.%s", policy_domain, dest_domain);
  answer = bimi_dns_lookup_record(resolver, name, BIMI_DNS_TYPE_TXT, &invalid, &error);
  if (answer == NULL) {
    if (detail != NULL)
      *detail = g_strdup_printf("TXT %s: %s", name, error->message);
    return BIMI_REPORT_DEST_TEMPERROR;
  }
  if (answer->status == BIMI_DNS_TEMPERROR) {
    if (detail != NULL)
      *detail = g_strdup_printf("TXT %s: DNS temporary error", name);
    return BIMI_REPORT_DEST_TEMPERROR;
  }
  for (guint i = 0; answer->status == BIMI_DNS_NOERROR && i < answer->records->len; i++) {
    const BimiDnsRecord *rr = g_ptr_array_index(answer->records, i);
    gsize n = 0;
    const char *text = rr->text != NULL ? g_bytes_get_data(rr->text, &n) : NULL;
    /* RFC 9990 §2: the record starts with "v=DMARC1" (WSP around '=' as in a DMARC record). */
    gsize k = 0;
    if (text == NULL || n < 1 || text[0] != 'v')
      continue;
    k = 1;
    while (k < n && bimi_char_is_wsp((guchar) text[k]))
      k++;
    if (k >= n || text[k] != '=')
      continue;
    k++;
    while (k < n && bimi_char_is_wsp((guchar) text[k]))
      k++;
    if (n - k >= 6 && memcmp(text + k, "DMARC1", 6) == 0 &&
        (n - k == 6 || text[k + 6] == ';' || bimi_char_is_wsp((guchar) text[k + 6]))) {
      if (detail != NULL)
        *detail = g_strdup_printf("TXT %s: v=DMARC1 found", name);
      return BIMI_REPORT_DEST_VERIFIED;
    }
  }
  if (detail != NULL)
    *detail = g_strdup_printf("TXT %s: %s", name,
                              invalid ? "not a valid DNS name"
                              : answer->status == BIMI_DNS_NOERROR ? "no record starting with v=DMARC1"
                              : answer->status == BIMI_DNS_NODATA ? "no TXT record (NODATA)"
                                                                  : "no such name (NXDOMAIN)");
  return BIMI_REPORT_DEST_REFUSED;
}
