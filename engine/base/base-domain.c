/* engine/base/base-domain.c — domain names as text (RFC 1035 §2.3.1/§2.3.4,
 * RFC 5321 §4.1.2, RFC 6376 §3.5, RFC 4343). */
#include "engine/base/base-domain.h"
#include "engine/base/base-chars.h"

#include <idn2.h>
#include <string.h>

static gboolean
dom_fail(BimiDomainInfo *info, BimiDomainStatus status, gsize offset)
{
  if (info != NULL) {
    info->status = status;
    info->offset = offset;
  }
  return FALSE;
}

static gboolean
label_byte_ok(guchar c, guint flags)
{
  if (flags & BIMI_DOMAIN_ANY_BYTES)
    return TRUE;
  return bimi_char_is_ldh(c) || (c == '_' && (flags & BIMI_DOMAIN_UNDERSCORE));
}

gboolean
bimi_domain_check(const char *s, gsize len, gsize max_len, guint min_labels, guint flags, BimiDomainInfo *info)
{
  gsize start = 0;
  guint labels = 0;

  if (info != NULL)
    memset(info, 0, sizeof *info);
  if (len == 0)
    return dom_fail(info, BIMI_DOMAIN_EMPTY, 0);
  if (len > max_len)
    return dom_fail(info, BIMI_DOMAIN_TOO_LONG, max_len);
  for (gsize i = 0; i <= len; i++) {
    if (i < len && s[i] != '.') {
      if (!label_byte_ok((guchar) s[i], flags))
        return dom_fail(info, BIMI_DOMAIN_BAD_BYTE, i);
      continue;
    }
    gsize n = i - start;
    if (n == 0 && !(flags & BIMI_DOMAIN_EMPTY_LABELS))
      return dom_fail(info, BIMI_DOMAIN_EMPTY_LABEL, i);
    if (n > BIMI_BASE_DNS_MAX_LABEL_BYTES && !(flags & BIMI_DOMAIN_NO_LABEL_LIMIT))
      return dom_fail(info, BIMI_DOMAIN_LABEL_TOO_LONG, start);
    if (n > 0 && !(flags & (BIMI_DOMAIN_HYPHEN_EDGES | BIMI_DOMAIN_ANY_BYTES)) && (s[start] == '-' || s[i - 1] == '-'))
      return dom_fail(info, BIMI_DOMAIN_HYPHEN_EDGE, start);
    labels++;
    if (info != NULL) {
      info->last_label_offset = start;
      info->last_label_len = n;
    }
    start = i + 1;
  }
  if (info != NULL)
    info->labels = labels;
  if (labels < min_labels)
    return dom_fail(info, BIMI_DOMAIN_TOO_FEW_LABELS, len);
  return TRUE;
}

/* Length without one trailing dot (a lone "." keeps its length 1). */
static gsize
len_without_dot(const char *s)
{
  gsize n = strlen(s);
  if (n > 1 && s[n - 1] == '.')
    n--;
  return n;
}

gboolean
bimi_domain_equal(const char *a, const char *b)
{
  g_return_val_if_fail(a != NULL && b != NULL, FALSE);
  gsize la = len_without_dot(a), lb = len_without_dot(b);
  return la == lb && la > 0 && g_ascii_strncasecmp(a, b, la) == 0;
}

gboolean
bimi_domain_is_within(const char *name, const char *parent)
{
  g_return_val_if_fail(name != NULL && parent != NULL, FALSE);
  gsize nl = strlen(name), tl = strlen(parent);
  if (nl > 0 && name[nl - 1] == '.')
    nl--;
  if (tl > 0 && parent[tl - 1] == '.')
    tl--;
  if (tl == 0 || nl < tl)
    return FALSE;
  if (g_ascii_strncasecmp(name + nl - tl, parent, tl) != 0)
    return FALSE;
  return nl == tl || name[nl - tl - 1] == '.';
}

BimiDomainIdnStatus
bimi_domain_to_ascii(const char *name, gsize len, char **out_ascii, const char **out_reason)
{
  g_autofree char *z = NULL;
  char *idn = NULL;
  gboolean ascii = TRUE;
  int rc;

  g_return_val_if_fail(name != NULL && out_ascii != NULL, BIMI_DOMAIN_IDN_INVALID);
  if (out_reason != NULL)
    *out_reason = NULL;
  for (gsize i = 0; i < len; i++)
    if ((guchar) name[i] >= 0x80)
      ascii = FALSE;
  if (ascii) {
    *out_ascii = g_ascii_strdown(name, (gssize) len);
    return BIMI_DOMAIN_IDN_OK;
  }
  if (!g_utf8_validate_len(name, len, NULL))
    return BIMI_DOMAIN_IDN_BAD_UTF8;
  z = g_strndup(name, len);
  rc = idn2_lookup_u8((const uint8_t *) z, (uint8_t **) &idn, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
  if (rc != IDN2_OK &&
      idn2_lookup_u8((const uint8_t *) z, (uint8_t **) &idn, IDN2_NFC_INPUT | IDN2_TRANSITIONAL) != IDN2_OK) {
    if (out_reason != NULL)
      *out_reason = idn2_strerror(rc);
    return BIMI_DOMAIN_IDN_INVALID;
  }
  *out_ascii = g_ascii_strdown(idn, -1);
  idn2_free(idn);
  return BIMI_DOMAIN_IDN_OK;
}

char *
bimi_domain_to_unicode(const char *ascii)
{
  char *u = NULL;
  char *out;

  g_return_val_if_fail(ascii != NULL, NULL);
  if (strstr(ascii, "xn--") == NULL)
    return g_strdup(ascii);
  if (idn2_to_unicode_8z8z(ascii, &u, 0) == IDN2_OK && u != NULL && g_utf8_validate(u, -1, NULL))
    out = g_strdup(u);
  else
    out = g_strdup(ascii);
  idn2_free(u);
  return out;
}
