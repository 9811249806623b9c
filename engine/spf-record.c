/* engine/spf-record.c — SPF record syntax, RFC 7208 §4.5 (version), §4.6.1
 * (term syntax), §5 (mechanism arguments), §6 (modifiers), §7.1 (domain-spec)
 * and the collected ABNF of §12.
 *
 * The whole record is parsed before evaluation so that a syntax error
 * anywhere gives permerror (§4.6 "detect-errors-anywhere").
 *
 * Deliberate choices where the RFC is loose:
 *  - Terms are separated by SP (0x20) only; any other byte outside %x21-7E
 *    (TAB, CR, LF, NUL, non-ASCII) is a syntax error (§4.6.1, §3.1 7-bit ASCII).
 *  - A term "name=..." whose name matches the modifier grammar is a modifier;
 *    "redirect" and "exp" are never unknown modifiers, so a bad domain-spec
 *    there is a syntax error, not an ignored modifier (errata discussion in
 *    the openspf suite, tests redirect-syntax-error / exp-syntax-error).
 *  - CIDR lengths: no leading zeros ("/032" is an error), ip4 0-32, ip6 0-128
 *    (§5.6); ip4-network is a strict dotted quad without leading zeros.
 *  - The CIDR suffix of "a"/"mx" is taken from the end of the term
 *    ("//N", "/N//M" or "/N"), so a '/' inside a domain-spec stays legal.
 */
#include "engine/spf-private.h"
#include "engine/base/base-chars.h"
#include "engine/base/base-domain.h"
#include "engine/base/base-mem.h"
#include "engine/limits.h"

#include <string.h>

static gboolean
syntax_error(GError **error, gsize offset, const char *format, ...) G_GNUC_PRINTF(3, 4);

static gboolean
syntax_error(GError **error, gsize offset, const char *format, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;
  va_start(ap, format);
  msg = g_strdup_vprintf(format, ap);
  va_end(ap);
  g_set_error(error, BIMI_SPF_ERROR, BIMI_SPF_ERROR_SYNTAX, "offset %" G_GSIZE_FORMAT ": %s", offset, msg);
  return FALSE;
}

static void
mechanism_free(gpointer data)
{
  BimiSpfMechanism *m = data;
  BIMI_FREE_ALL(m->text, m->domain_spec, m);
}

BIMI_DEFINE_FREE_FUNC(BimiSpfRecord, bimi_spf__record_free, record)
{
  g_clear_pointer(&record->mechanisms, g_ptr_array_unref);
  BIMI_FREE_ALL(record->redirect, record->exp);
}

gboolean
bimi_spf__record_is_spf(const char *text, gsize len)
{
  if (text == NULL || len < 6 || g_ascii_strncasecmp(text, "v=spf1", 6) != 0)
    return FALSE;
  return len == 6 || text[6] == ' ';
}

/* toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum ) */
static gboolean
is_toplabel(const char *s, gsize len)
{
  /* An LDH label (RFC 1035 §2.3.1) that is not all digits. */
  if (memchr(s, '.', len) != NULL ||
      !bimi_domain_check(s, len, G_MAXSIZE, 1, BIMI_DOMAIN_LDH | BIMI_DOMAIN_NO_LABEL_LIMIT, NULL))
    return FALSE;
  for (gsize i = 0; i < len; i++) {
    if (!bimi_char_is_digit((guchar) s[i]))
      return TRUE;
  }
  return FALSE;
}

/* domain-spec = macro-string domain-end; domain-end = ( "." toplabel [ "." ] ) / macro-expand */
static gboolean
check_domain_spec(const char *s, gsize len, gsize offset, GError **error)
{
  gboolean ends_with_macro = FALSE;
  gsize end, dot;

  if (len == 0)
    return syntax_error(error, offset, "empty domain-spec");
  if (!bimi_spf__macro_check(s, len, BIMI_SPF_MACRO_DOMAIN, offset, &ends_with_macro, error))
    return FALSE;
  if (ends_with_macro)
    return TRUE;
  end = len;
  if (s[end - 1] == '.')
    end--;
  dot = end;
  while (dot > 0 && s[dot - 1] != '.')
    dot--;
  if (dot == 0)
    return syntax_error(error, offset, "domain-spec '%.*s' has no '.' before its top label",
                        (int) MIN(len, 255), s);
  if (!is_toplabel(s + dot, end - dot))
    return syntax_error(error, offset + dot, "'%.*s' is not a valid top label",
                        (int) MIN(end - dot, 255), s + dot);
  return TRUE;
}

/* ":" domain-spec, the argument of include, exists, ptr, a and mx: @arg
 * (@len bytes, at @offset in the record) starts at the ':'. */
static gboolean
take_domain_spec(BimiSpfMechanism *m, const char *arg, gsize len, gsize offset, GError **error)
{
  if (!check_domain_spec(arg + 1, len - 1, offset + 1, error))
    return FALSE;
  m->domain_spec = g_strndup(arg + 1, len - 1);
  return TRUE;
}

/* ip4-cidr-length = "/" ("0" / %x31-39 0*1DIGIT); ip6 allows 0*2DIGIT. */
static gboolean
parse_cidr_number(const char *s, gsize len, guint max, guint *out)
{
  guint v = 0;
  if (len == 0 || len > 3 || (len > 1 && s[0] == '0'))
    return FALSE;
  for (gsize i = 0; i < len; i++) {
    if (!bimi_char_is_digit((guchar) s[i]))
      return FALSE;
    v = v * 10u + (guint) (s[i] - '0');
  }
  if (v > max)
    return FALSE;
  *out = v;
  return TRUE;
}

/* Length of the run of digits ending at s[len-1]. */
static gsize
trailing_digits(const char *s, gsize len)
{
  gsize n = 0;
  while (n < len && bimi_char_is_digit((guchar) s[len - 1 - n]))
    n++;
  return n;
}

/* Splits "dual-cidr-length" off the end of s[0..*len): sets cidr4/cidr6, shortens *len. */
static gboolean
take_dual_cidr(const char *s, gsize *len, gsize offset, BimiSpfMechanism *m, GError **error)
{
  gsize l = *len;
  gsize d = trailing_digits(s, l);

  if (d > 0 && l >= d + 2 && s[l - d - 1] == '/' && s[l - d - 2] == '/') {
    if (!parse_cidr_number(s + l - d, d, 128, &m->cidr6))
      return syntax_error(error, offset + l - d, "invalid ip6-cidr-length '%.*s'", (int) d, s + l - d);
    l -= d + 2;
    d = trailing_digits(s, l);
  }
  if (d > 0 && l >= d + 1 && s[l - d - 1] == '/') {
    if (!parse_cidr_number(s + l - d, d, 32, &m->cidr4))
      return syntax_error(error, offset + l - d, "invalid ip4-cidr-length '%.*s'", (int) d, s + l - d);
    l -= d + 1;
  }
  *len = l;
  return TRUE;
}

/* ip4-network = qnum "." qnum "." qnum "." qnum, qnum 0-255 without leading zeros. */
static gboolean
parse_ip4(const char *s, gsize len, guint8 out[4])
{
  gsize pos = 0;
  for (int part = 0; part < 4; part++) {
    gsize start = pos;
    guint v = 0;
    if (part > 0) {
      if (pos >= len || s[pos] != '.')
        return FALSE;
      start = ++pos;
    }
    while (pos < len && bimi_char_is_digit((guchar) s[pos]) && pos - start < 3) {
      v = v * 10u + (guint) (s[pos] - '0');
      pos++;
    }
    if (pos == start || (pos - start > 1 && s[start] == '0') || v > 255)
      return FALSE;
    out[part] = (guint8) v;
  }
  return pos == len;
}

static gboolean
parse_ip6(const char *s, gsize len, guint8 out[16])
{
  char buf[64];
  g_autoptr(GInetAddress) addr = NULL;

  if (len == 0 || len >= sizeof buf)
    return FALSE;
  for (gsize i = 0; i < len; i++) {
    if (!g_ascii_isxdigit(s[i]) && s[i] != ':' && s[i] != '.')
      return FALSE;
  }
  memcpy(buf, s, len);
  buf[len] = '\0';
  if (strchr(buf, ':') == NULL)
    return FALSE;
  addr = g_inet_address_new_from_string(buf);
  if (addr == NULL || g_inet_address_get_family(addr) != G_SOCKET_FAMILY_IPV6)
    return FALSE;
  memcpy(out, g_inet_address_to_bytes(addr), 16);
  return TRUE;
}

static gboolean
name_char(char c)
{
  return bimi_char_is_ldh((guchar) c) || c == '_' || c == '.';
}

static gboolean
parse_modifier(BimiSpfRecord *rec, const char *t, gsize tlen, gsize name_len, gsize offset,
               GError **error)
{
  const char *value = t + name_len + 1;
  gsize vlen = tlen - name_len - 1;
  char **slot = NULL;

  if (name_len == 8 && g_ascii_strncasecmp(t, "redirect", 8) == 0)
    slot = &rec->redirect;
  else if (name_len == 3 && g_ascii_strncasecmp(t, "exp", 3) == 0)
    slot = &rec->exp;

  if (slot != NULL) {
    if (*slot != NULL)
      return syntax_error(error, offset, "'%.*s' modifier appears twice", (int) name_len, t);
    if (!check_domain_spec(value, vlen, offset + name_len + 1, error))
      return FALSE;
    *slot = g_strndup(value, vlen);
    return TRUE;
  }
  if (!bimi_spf__macro_check(value, vlen, BIMI_SPF_MACRO_MODIFIER, offset + name_len + 1, NULL, error))
    return FALSE;
  rec->unknown_modifiers++;
  return TRUE;
}

static const struct {
  const char *name;
  BimiSpfMechanismKind kind;
} mechanism_names[] = {
  { "all", BIMI_SPF_MECH_ALL },     { "include", BIMI_SPF_MECH_INCLUDE },
  { "a", BIMI_SPF_MECH_A },         { "mx", BIMI_SPF_MECH_MX },
  { "ptr", BIMI_SPF_MECH_PTR },     { "ip4", BIMI_SPF_MECH_IP4 },
  { "ip6", BIMI_SPF_MECH_IP6 },     { "exists", BIMI_SPF_MECH_EXISTS },
};

static gboolean
parse_mechanism(BimiSpfRecord *rec, const char *t, gsize tlen, gsize offset, GError **error)
{
  g_autoptr(GPtrArray) holder = g_ptr_array_new_with_free_func(mechanism_free);
  BimiSpfMechanism *m = g_new0(BimiSpfMechanism, 1);
  gsize pos = 0, name_len = 0;
  const char *rest;
  gsize rest_len;
  gboolean found = FALSE;

  g_ptr_array_add(holder, m); /* freed on error */
  m->offset = offset;
  m->text = g_strndup(t, tlen);
  m->cidr4 = 32;
  m->cidr6 = 128;
  m->qualifier = BIMI_SPF_RESULT_PASS;
  switch (t[0]) {
  case '+': m->qualifier = BIMI_SPF_RESULT_PASS; pos = 1; break;
  case '-': m->qualifier = BIMI_SPF_RESULT_FAIL; pos = 1; break;
  case '~': m->qualifier = BIMI_SPF_RESULT_SOFTFAIL; pos = 1; break;
  case '?': m->qualifier = BIMI_SPF_RESULT_NEUTRAL; pos = 1; break;
  default: break;
  }
  while (pos + name_len < tlen && t[pos + name_len] != ':' && t[pos + name_len] != '/')
    name_len++;
  for (gsize i = 0; i < G_N_ELEMENTS(mechanism_names); i++) {
    if (strlen(mechanism_names[i].name) == name_len &&
        g_ascii_strncasecmp(t + pos, mechanism_names[i].name, name_len) == 0) {
      m->kind = mechanism_names[i].kind;
      found = TRUE;
      break;
    }
  }
  if (!found) {
    if (name_len == 0)
      return syntax_error(error, offset, "term '%.*s' has no mechanism name", (int) MIN(tlen, 255), t);
    return syntax_error(error, offset, "unknown mechanism '%.*s'", (int) MIN(name_len, 255), t + pos);
  }
  rest = t + pos + name_len;
  rest_len = tlen - pos - name_len;
  offset += pos + name_len;

  switch (m->kind) {
  case BIMI_SPF_MECH_ALL:
    if (rest_len != 0)
      return syntax_error(error, offset, "'all' takes no argument");
    break;
  case BIMI_SPF_MECH_INCLUDE:
  case BIMI_SPF_MECH_EXISTS:
    if (rest_len == 0 || rest[0] != ':')
      return syntax_error(error, offset, "'%s' requires ':' domain-spec",
                          m->kind == BIMI_SPF_MECH_INCLUDE ? "include" : "exists");
    if (!take_domain_spec(m, rest, rest_len, offset, error))
      return FALSE;
    break;
  case BIMI_SPF_MECH_PTR:
    if (rest_len == 0)
      break;
    if (rest[0] != ':')
      return syntax_error(error, offset, "'ptr' takes only ':' domain-spec");
    if (!take_domain_spec(m, rest, rest_len, offset, error))
      return FALSE;
    break;
  case BIMI_SPF_MECH_A:
  case BIMI_SPF_MECH_MX: {
    gsize l = rest_len;
    if (!take_dual_cidr(rest, &l, offset, m, error))
      return FALSE;
    if (l == 0)
      break;
    if (rest[0] != ':')
      return syntax_error(error, offset, "invalid argument '%.*s'", (int) MIN(rest_len, 255), rest);
    if (!take_domain_spec(m, rest, l, offset, error))
      return FALSE;
    break;
  }
  case BIMI_SPF_MECH_IP4:
  case BIMI_SPF_MECH_IP6: {
    gboolean v4 = m->kind == BIMI_SPF_MECH_IP4;
    const char *slash;
    gsize net_len;
    if (rest_len == 0 || rest[0] != ':')
      return syntax_error(error, offset, "'%s' requires ':' network", v4 ? "ip4" : "ip6");
    rest++;
    rest_len--;
    offset++;
    slash = memchr(rest, '/', rest_len);
    net_len = slash != NULL ? (gsize) (slash - rest) : rest_len;
    if (v4 ? !parse_ip4(rest, net_len, m->network) : !parse_ip6(rest, net_len, m->network))
      return syntax_error(error, offset, "invalid %s network '%.*s'", v4 ? "ip4" : "ip6",
                          (int) MIN(net_len, 255), rest);
    if (slash != NULL) {
      guint *cidr = v4 ? &m->cidr4 : &m->cidr6;
      if (!parse_cidr_number(slash + 1, rest_len - net_len - 1, v4 ? 32 : 128, cidr))
        return syntax_error(error, offset + net_len, "invalid %s-cidr-length '%.*s'", v4 ? "ip4" : "ip6",
                            (int) MIN(rest_len - net_len, 255), slash);
    }
    break;
  }
  }
  g_ptr_array_steal_index(holder, 0);
  g_ptr_array_add(rec->mechanisms, m);
  return TRUE;
}

static gboolean
parse_term(BimiSpfRecord *rec, const char *t, gsize tlen, gsize offset, GError **error)
{
  gsize name_len = 0;

  for (gsize i = 0; i < tlen; i++) {
    if (t[i] < 0x21 || t[i] > 0x7e)
      return syntax_error(error, offset + i, "byte 0x%02x is not allowed in a term", (guint8) t[i]);
  }
  /* modifier: name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ) followed by "=" */
  while (name_len < tlen && name_char(t[name_len]))
    name_len++;
  if (name_len < tlen && t[name_len] == '=') {
    if (name_len == 0)
      return syntax_error(error, offset, "modifier without a name");
    if (!g_ascii_isalpha(t[0]))
      return syntax_error(error, offset, "modifier name '%.*s' must start with a letter",
                          (int) MIN(name_len, 255), t);
    return parse_modifier(rec, t, tlen, name_len, offset, error);
  }
  return parse_mechanism(rec, t, tlen, offset, error);
}

BimiSpfRecord *
bimi_spf__record_parse(const char *text, gsize len, GError **error)
{
  g_autoptr(BimiSpfRecord) rec = NULL;
  gsize pos = 6;
  guint terms = 0;

  g_return_val_if_fail(text != NULL || len == 0, NULL);
  if (len > BIMI_SPF_MAX_RECORD_BYTES) {
    g_set_error(error, BIMI_SPF_ERROR, BIMI_SPF_ERROR_LIMIT, "SPF record of %" G_GSIZE_FORMAT
                " bytes exceeds %u", len, BIMI_SPF_MAX_RECORD_BYTES);
    return NULL;
  }
  if (!bimi_spf__record_is_spf(text, len)) {
    syntax_error(error, 0, "not an SPF record (must start with \"v=spf1\" and a space)");
    return NULL;
  }
  rec = g_new0(BimiSpfRecord, 1);
  rec->mechanisms = g_ptr_array_new_with_free_func(mechanism_free);
  while (pos < len) {
    gsize start;
    if (text[pos] == ' ') {
      pos++;
      continue;
    }
    start = pos;
    while (pos < len && text[pos] != ' ')
      pos++;
    if (++terms > BIMI_SPF_MAX_TERMS) {
      g_set_error(error, BIMI_SPF_ERROR, BIMI_SPF_ERROR_LIMIT,
                  "offset %" G_GSIZE_FORMAT ": more than %u terms", start, BIMI_SPF_MAX_TERMS);
      return NULL;
    }
    if (!parse_term(rec, text + start, pos - start, start, error))
      return NULL;
  }
  return g_steal_pointer(&rec);
}
