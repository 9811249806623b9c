/* engine/dns-name.c — the codecs of engine/dns shared by the resolver (dns.c)
 * and the master-file parser (dns-zone.c): domain names, RDATA, type names.
 *
 * Implements RFC 1035 §2.3.4 (size limits), §3.1 (wire names), §5.1
 * (presentation names with "\X" / "\DDD"), and RDATA decoding of answers
 * (RFC 1035 §3.3, RFC 3596 §2.2, RFC 7208 §3.3). Kept apart so that dns.c and
 * dns-zone.c each call it, and never each other both ways.
 *
 * Every reader works on (pointer, length) with explicit bounds; nothing
 * assumes NUL termination of the input.
 */
#include "engine/dns-private.h"
#include "engine/base/base-chars.h"
#include "engine/base/base-mem.h"

#include <string.h>

/* ---- type names ------------------------------------------------------------ */

static const struct {
  const char *name;
  BimiDnsType type;
} type_names[] = {
  { "A", BIMI_DNS_TYPE_A },     { "NS", BIMI_DNS_TYPE_NS },   { "CNAME", BIMI_DNS_TYPE_CNAME },
  { "PTR", BIMI_DNS_TYPE_PTR }, { "MX", BIMI_DNS_TYPE_MX },   { "TXT", BIMI_DNS_TYPE_TXT },
  { "AAAA", BIMI_DNS_TYPE_AAAA }, { "SPF", BIMI_DNS_TYPE_SPF },
};

const char *
bimi_dns_type_to_string(BimiDnsType type)
{
  for (gsize i = 0; i < G_N_ELEMENTS(type_names); i++) {
    if (type_names[i].type == type)
      return type_names[i].name;
  }
  return NULL;
}

gboolean
bimi_dns_type_from_string(const char *text, BimiDnsType *out_type)
{
  g_return_val_if_fail(text != NULL, FALSE);
  for (gsize i = 0; i < G_N_ELEMENTS(type_names); i++) {
    if (g_ascii_strcasecmp(text, type_names[i].name) == 0) {
      if (out_type != NULL)
        *out_type = type_names[i].type;
      return TRUE;
    }
  }
  return FALSE;
}

/* ---- domain names -------------------------------------------------------- */

/* Appends one label (its length octet and @llen bytes) at *wpos; the label
 * and the root label after it must fit in BIMI_DNS__MAX_WIRE_NAME. */
static gboolean
append_label(BimiDnsName *out, gsize *wpos, const guint8 *label, gsize llen, GError **error)
{
  if (*wpos + 1 + llen + 1 > BIMI_DNS__MAX_WIRE_NAME) {
    g_set_error(error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_INVALID_NAME, "domain name longer than %u octets",
                BIMI_DNS__MAX_WIRE_NAME);
    return FALSE;
  }
  out->wire[(*wpos)++] = (guint8) llen;
  memcpy(out->wire + *wpos, label, llen);
  *wpos += llen;
  return TRUE;
}

gboolean
bimi_dns__name_from_text(const char *text, gsize len, const BimiDnsName *origin,
                         BimiDnsName *out, GError **error)
{
  guint8 label[BIMI_DNS_MAX_LABEL_BYTES];
  gsize llen = 0, wpos = 0, i = 0;
  gboolean absolute = FALSE;

  out->len = 0;
  if (len == 0) {
    g_set_error(error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_INVALID_NAME, "empty domain name");
    return FALSE;
  }
  if (len == 1 && text[0] == '.') {
    out->wire[0] = 0;
    out->len = 1;
    return TRUE;
  }
  while (i < len) {
    guint8 byte;
    char c = text[i];

    if (c == '.') {
      if (llen == 0) {
        g_set_error(error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_INVALID_NAME,
                    "empty label at offset %" G_GSIZE_FORMAT, i);
        return FALSE;
      }
      if (!append_label(out, &wpos, label, llen, error))
        return FALSE;
      llen = 0;
      i++;
      if (i == len)
        absolute = TRUE;
      continue;
    }
    if (c == '\\') {
      i++;
      if (i >= len) {
        g_set_error(error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_INVALID_NAME, "backslash at end of name");
        return FALSE;
      }
      if (bimi_char_is_digit(text[i])) {
        guint v;
        if (i + 2 >= len || !bimi_char_is_digit(text[i + 1]) || !bimi_char_is_digit(text[i + 2])) {
          g_set_error(error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_INVALID_NAME,
                      "\\DDD escape needs three digits at offset %" G_GSIZE_FORMAT, i - 1);
          return FALSE;
        }
        v = (guint) (text[i] - '0') * 100u + (guint) (text[i + 1] - '0') * 10u + (guint) (text[i + 2] - '0');
        if (v > 255) {
          g_set_error(error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_INVALID_NAME,
                      "\\DDD escape above 255 at offset %" G_GSIZE_FORMAT, i - 1);
          return FALSE;
        }
        byte = (guint8) v;
        i += 3;
      } else {
        byte = (guint8) text[i];
        i++;
      }
    } else {
      byte = (guint8) c;
      i++;
    }
    if (llen == BIMI_DNS_MAX_LABEL_BYTES) {
      g_set_error(error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_INVALID_NAME,
                  "label longer than %u octets", BIMI_DNS_MAX_LABEL_BYTES);
      return FALSE;
    }
    label[llen++] = byte;
  }
  if (absolute) {
    out->wire[wpos++] = 0;
    out->len = wpos;
    return TRUE;
  }
  /* relative: close the last label, then append the origin (or the root) */
  if (!append_label(out, &wpos, label, llen, error))
    return FALSE;
  if (origin == NULL || origin->len <= 1) {
    out->wire[wpos++] = 0;
  } else {
    if (wpos + origin->len > BIMI_DNS__MAX_WIRE_NAME) {
      g_set_error(error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_INVALID_NAME,
                  "domain name longer than %u octets once the origin is appended",
                  BIMI_DNS__MAX_WIRE_NAME);
      return FALSE;
    }
    memcpy(out->wire + wpos, origin->wire, origin->len);
    wpos += origin->len;
  }
  out->len = wpos;
  return TRUE;
}

char *
bimi_dns__name_to_text(const BimiDnsName *name, BimiDnsNameFlags flags)
{
  GString *s;
  gsize pos = 0;

  if (name->len <= 1)
    return g_strdup(".");
  s = g_string_sized_new(name->len + 8);
  while (pos < name->len && name->wire[pos] != 0) {
    gsize l = name->wire[pos++];
    if (pos + l > name->len)
      break; /* cannot happen for a valid name; stay in bounds anyway */
    for (gsize j = 0; j < l; j++) {
      guint8 b = name->wire[pos + j];
      if ((flags & BIMI_DNS__NAME_LOWER) != 0)
        b = (guint8) g_ascii_tolower((gchar) b);
      if (b < 0x21 || b > 0x7e) {
        g_string_append_printf(s, "\\%03u", (guint) b);
      } else if (b == '.' || b == '\\' ||
                 ((flags & BIMI_DNS__NAME_MASTER) != 0 && strchr("\"();@$", b) != NULL)) {
        g_string_append_c(s, '\\');
        g_string_append_c(s, (gchar) b);
      } else {
        g_string_append_c(s, (gchar) b);
      }
    }
    pos += l;
    g_string_append_c(s, '.');
  }
  if ((flags & BIMI_DNS__NAME_TRAILING_DOT) == 0 && s->len > 0)
    g_string_truncate(s, s->len - 1);
  return g_string_free(s, FALSE);
}

gboolean
bimi_dns__name_from_wire(const guint8 *data, gsize len, gsize *consumed, BimiDnsName *out)
{
  gsize pos = 0, wpos = 0;

  out->len = 0;
  for (;;) {
    gsize l;
    if (pos >= len)
      return FALSE;
    l = data[pos];
    if (l == 0) {
      out->wire[wpos++] = 0;
      pos++;
      break;
    }
    if ((l & 0xC0) != 0)
      return FALSE; /* compression pointer or extended label type */
    if (pos + 1 + l > len || wpos + 1 + l + 1 > BIMI_DNS__MAX_WIRE_NAME)
      return FALSE;
    memcpy(out->wire + wpos, data + pos, 1 + l);
    wpos += 1 + l;
    pos += 1 + l;
  }
  out->len = wpos;
  *consumed = pos;
  return TRUE;
}

gboolean
bimi_dns__name_equal(const BimiDnsName *a, const BimiDnsName *b)
{
  if (a->len != b->len)
    return FALSE;
  /* length octets are < 64, never ASCII letters, so folding them is harmless */
  for (gsize i = 0; i < a->len; i++) {
    if (g_ascii_tolower((gchar) a->wire[i]) != g_ascii_tolower((gchar) b->wire[i]))
      return FALSE;
  }
  return TRUE;
}

/* ---- RDATA (wire form) ---------------------------------------------------- */

BIMI_DEFINE_FREE_FUNC(BimiDnsRecord, bimi_dns__record_free, record)
{
  g_clear_pointer(&record->text, g_bytes_unref);
  g_clear_pointer(&record->strings, g_ptr_array_unref);
  g_clear_object(&record->address);
  g_free(record->name);
}

static char *
rdata_name(const guint8 *data, gsize len, gsize *consumed)
{
  BimiDnsName name;
  if (!bimi_dns__name_from_wire(data, len, consumed, &name))
    return NULL;
  return bimi_dns__name_to_text(&name, BIMI_DNS__NAME_LOWER);
}

BimiDnsRecord *
bimi_dns__record_from_rdata(BimiDnsType type, guint32 ttl, const guint8 *rdata, gsize len, GError **error)
{
  g_autoptr(BimiDnsRecord) rec = g_new0(BimiDnsRecord, 1);
  const char *type_name = bimi_dns_type_to_string(type);
  gsize used = 0;

  rec->type = type;
  rec->ttl = ttl;
  if (len > G_MAXUINT16) {
    g_set_error(error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_RESOLVER, "%s RDATA longer than 65535 bytes",
                type_name ? type_name : "?");
    return NULL;
  }
  switch (type) {
  case BIMI_DNS_TYPE_A:
  case BIMI_DNS_TYPE_AAAA: {
    gsize want = type == BIMI_DNS_TYPE_A ? 4 : 16;
    if (len != want) {
      g_set_error(error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_RESOLVER,
                  "%s RDATA has %" G_GSIZE_FORMAT " bytes, not %" G_GSIZE_FORMAT, type_name, len, want);
      return NULL;
    }
    rec->address = g_inet_address_new_from_bytes(rdata, type == BIMI_DNS_TYPE_A ? G_SOCKET_FAMILY_IPV4
                                                                                 : G_SOCKET_FAMILY_IPV6);
    used = len;
    break;
  }
  case BIMI_DNS_TYPE_MX:
    if (len < 3) {
      g_set_error(error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_RESOLVER, "MX RDATA too short (%" G_GSIZE_FORMAT " bytes)", len);
      return NULL;
    }
    rec->preference = (guint16) ((rdata[0] << 8) | rdata[1]);
    rec->name = rdata_name(rdata + 2, len - 2, &used);
    if (rec->name == NULL) {
      g_set_error(error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_RESOLVER, "MX exchange is not a valid wire name");
      return NULL;
    }
    used += 2;
    break;
  case BIMI_DNS_TYPE_NS:
  case BIMI_DNS_TYPE_CNAME:
  case BIMI_DNS_TYPE_PTR:
    rec->name = rdata_name(rdata, len, &used);
    if (rec->name == NULL) {
      g_set_error(error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_RESOLVER, "%s target is not a valid wire name", type_name);
      return NULL;
    }
    break;
  case BIMI_DNS_TYPE_TXT:
  case BIMI_DNS_TYPE_SPF: {
    /* RFC 1035 §3.3.14: one or more <character-string>s; RFC 7208 §3.3 and
     * RFC 6376 §3.6.2.2: joined with nothing in between. An empty RDATA (no
     * string at all, which master files cannot express but the wire can)
     * gives an empty text and no strings rather than an error. */
    g_autoptr(GBytes) whole = g_bytes_new(rdata, len);
    g_autoptr(GByteArray) joined = g_byte_array_sized_new((guint) len);
    rec->strings = g_ptr_array_new_with_free_func((GDestroyNotify) g_bytes_unref);
    while (used < len) {
      gsize l = rdata[used];
      if (used + 1 + l > len) {
        g_set_error(error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_RESOLVER,
                    "%s character-string at offset %" G_GSIZE_FORMAT " runs past the RDATA", type_name, used);
        return NULL;
      }
      g_ptr_array_add(rec->strings, g_bytes_new_from_bytes(whole, used + 1, l));
      g_byte_array_append(joined, rdata + used + 1, (guint) l);
      used += 1 + l;
    }
    rec->text = g_byte_array_free_to_bytes(g_steal_pointer(&joined));
    break;
  }
  default:
    g_set_error(error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_RESOLVER, "RR type %d is not supported", (int) type);
    return NULL;
  }
  if (used != len) {
    g_set_error(error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_RESOLVER,
                "%s RDATA has %" G_GSIZE_FORMAT " trailing bytes", type_name, len - used);
    return NULL;
  }
  return g_steal_pointer(&rec);
}
