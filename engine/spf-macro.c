/* engine/spf-macro.c — SPF macro strings, RFC 7208 §7 (§7.1 syntax, §7.2
 * letters, §7.3 transformers and URL escaping, §7.4 examples), and the
 * domain-name rules used on expanded names (§4.3, §7.3 truncation to 253).
 *
 * Deliberate choices:
 *  - "%{i}" of an IPv6 address uses lower-case nibbles, as the example of §7.4
 *    ("1.0.b.c.0.0...ip6._spf.example.com"); RFC 5952 §4.3 also prefers lower case.
 *  - The transformer "r" is accepted in either case (RFC 5234 §2.3: ABNF
 *    literal strings are case-insensitive); a DIGIT transformer of 0 is a
 *    syntax error (§7.3 "the value MUST be nonzero"), values above the number
 *    of parts take all parts.
 *  - Unknown-modifier values (BIMI_SPF_MACRO_MODIFIER) are only syntax-checked
 *    and may use every macro letter: they are never expanded (§6).
 *  - One expansion is bounded by BIMI_SPF_MAX_EXPANSION_BYTES (RFC 7208 has
 *    no bound before the 253-byte truncation of §7.3); beyond it: _LIMIT.
 */
#include "engine/spf-private.h"
#include "engine/base/base-domain.h"
#include "engine/limits.h"

#include <string.h>

/* One parsed "%..." item. */
typedef struct {
  char literal;       /* '%', ' ' ("%_"), '-' ("%-" = "%20") or 0 for a letter */
  char letter;        /* lower-case macro letter */
  gboolean upper;     /* URL-escape the value */
  guint digits;       /* 0 = no DIGIT transformer */
  gboolean reverse;
  char delimiters[8]; /* NUL-terminated set, empty = "." */
} MacroItem;

static gboolean
letter_allowed(char letter, BimiSpfMacroMode mode)
{
  if (strchr("slodiphv", letter) != NULL)
    return TRUE;
  if (strchr("crt", letter) != NULL)
    return mode != BIMI_SPF_MACRO_DOMAIN;
  return FALSE;
}

static gboolean
is_delimiter(char c)
{
  return c == '.' || c == '-' || c == '+' || c == ',' || c == '/' || c == '_' || c == '=';
}

/* Parses the item starting at text[pos] == '%'; sets *next past it. */
static gboolean
parse_item(const char *text, gsize len, gsize pos, gsize base, BimiSpfMacroMode mode, MacroItem *item,
           gsize *next, GError **error)
{
  gsize p = pos + 1;

  memset(item, 0, sizeof *item);
  if (p >= len) {
    g_set_error(error, BIMI_SPF_ERROR, BIMI_SPF_ERROR_SYNTAX,
                "offset %" G_GSIZE_FORMAT ": '%%' at the end of a macro-string", base + pos);
    return FALSE;
  }
  switch (text[p]) {
  case '%':
    item->literal = '%';
    *next = p + 1;
    return TRUE;
  case '_':
    item->literal = ' ';
    *next = p + 1;
    return TRUE;
  case '-':
    item->literal = '-';
    *next = p + 1;
    return TRUE;
  case '{':
    break;
  default:
    g_set_error(error, BIMI_SPF_ERROR, BIMI_SPF_ERROR_SYNTAX,
                "offset %" G_GSIZE_FORMAT ": '%%' must be followed by '{', '%%', '_' or '-'", base + pos);
    return FALSE;
  }
  p++;
  if (p >= len) {
    g_set_error(error, BIMI_SPF_ERROR, BIMI_SPF_ERROR_SYNTAX,
                "offset %" G_GSIZE_FORMAT ": unterminated macro", base + pos);
    return FALSE;
  }
  {
    char c = text[p];
    char lower = g_ascii_tolower(c);
    if (!g_ascii_isalpha(c) || !letter_allowed(lower, mode)) {
      if (g_ascii_isalpha(c) && strchr("crt", lower) != NULL)
        g_set_error(error, BIMI_SPF_ERROR, BIMI_SPF_ERROR_SYNTAX,
                    "offset %" G_GSIZE_FORMAT ": macro letter '%c' is allowed only in explanation text",
                    base + p, c);
      else if (g_ascii_isgraph(c))
        g_set_error(error, BIMI_SPF_ERROR, BIMI_SPF_ERROR_SYNTAX,
                    "offset %" G_GSIZE_FORMAT ": '%c' is not a macro letter", base + p, c);
      else
        g_set_error(error, BIMI_SPF_ERROR, BIMI_SPF_ERROR_SYNTAX,
                    "offset %" G_GSIZE_FORMAT ": byte 0x%02x is not a macro letter", base + p, (guint8) c);
      return FALSE;
    }
    item->letter = lower;
    item->upper = g_ascii_isupper(c);
    p++;
  }
  {
    gboolean have_digits = FALSE;
    guint value = 0;
    while (p < len && g_ascii_isdigit(text[p])) {
      have_digits = TRUE;
      if (value < 100000u)
        value = value * 10u + (guint) (text[p] - '0');
      p++;
    }
    if (have_digits && value == 0) {
      g_set_error(error, BIMI_SPF_ERROR, BIMI_SPF_ERROR_SYNTAX,
                  "offset %" G_GSIZE_FORMAT ": the number of parts must be nonzero", base + p - 1);
      return FALSE;
    }
    item->digits = value;
  }
  if (p < len && (text[p] == 'r' || text[p] == 'R')) {
    item->reverse = TRUE;
    p++;
  }
  {
    gsize n = 0;
    while (p < len && is_delimiter(text[p])) {
      if (strchr(item->delimiters, text[p]) == NULL && n < sizeof item->delimiters - 1)
        item->delimiters[n++] = text[p];
      p++;
    }
  }
  if (p >= len || text[p] != '}') {
    if (p >= len)
      g_set_error(error, BIMI_SPF_ERROR, BIMI_SPF_ERROR_SYNTAX,
                  "offset %" G_GSIZE_FORMAT ": unterminated macro", base + pos);
    else
      g_set_error(error, BIMI_SPF_ERROR, BIMI_SPF_ERROR_SYNTAX,
                  "offset %" G_GSIZE_FORMAT ": unexpected byte 0x%02x in macro", base + p, (guint8) text[p]);
    return FALSE;
  }
  *next = p + 1;
  return TRUE;
}

static gboolean
literal_allowed(char c, BimiSpfMacroMode mode)
{
  /* macro-literal = %x21-24 / %x26-7E; explain-string adds SP */
  if (c >= 0x21 && c <= 0x7e)
    return TRUE;
  return c == ' ' && mode == BIMI_SPF_MACRO_EXPLAIN;
}

static gboolean
bad_literal(const char *text, gsize pos, gsize base, GError **error)
{
  g_set_error(error, BIMI_SPF_ERROR, BIMI_SPF_ERROR_SYNTAX,
              "offset %" G_GSIZE_FORMAT ": byte 0x%02x is not allowed in a macro-string", base + pos,
              (guint8) text[pos]);
  return FALSE;
}

gboolean
bimi_spf__macro_check(const char *text, gsize len, BimiSpfMacroMode mode, gsize base_offset,
                      gboolean *out_ends_with_macro, GError **error)
{
  gsize pos = 0;
  gboolean ends_with_macro = FALSE;

  g_return_val_if_fail(text != NULL || len == 0, FALSE);
  while (pos < len) {
    if (text[pos] == '%') {
      MacroItem item;
      if (!parse_item(text, len, pos, base_offset, mode, &item, &pos, error))
        return FALSE;
      ends_with_macro = TRUE;
    } else {
      if (!literal_allowed(text[pos], mode))
        return bad_literal(text, pos, base_offset, error);
      ends_with_macro = FALSE;
      pos++;
    }
  }
  if (out_ends_with_macro != NULL)
    *out_ends_with_macro = ends_with_macro;
  return TRUE;
}

static gboolean
append_checked(GString *out, gsize start, const char *bytes, gsize n, GError **error)
{
  if (out->len - start + n > BIMI_SPF_MAX_EXPANSION_BYTES) {
    g_set_error(error, BIMI_SPF_ERROR, BIMI_SPF_ERROR_LIMIT,
                "macro expansion longer than %u bytes", BIMI_SPF_MAX_EXPANSION_BYTES);
    return FALSE;
  }
  g_string_append_len(out, bytes, (gssize) n);
  return TRUE;
}

/* Appends @value transformed per §7.3 (split, reverse, keep right-hand parts, join with "."). */
static gboolean
append_transformed(GString *out, gsize start, const char *value, const MacroItem *item, GError **error)
{
  gsize vlen = strlen(value);
  g_autoptr(GArray) parts = NULL; /* of gsize pairs: start, length */
  const char *delims = item->delimiters[0] != '\0' ? item->delimiters : ".";
  gsize first, count, nparts;
  GString *tmp;
  gboolean ok;

  if (item->digits == 0 && !item->reverse && item->delimiters[0] == '\0')
    return append_checked(out, start, value, vlen, error);

  /* vlen is bounded by the inputs (BIMI_SPF_MAX_SENDER_BYTES, 253-byte names), so is parts. */
  parts = g_array_new(FALSE, FALSE, sizeof(gsize) * 2);
  {
    gsize s = 0;
    for (gsize i = 0; i <= vlen; i++) {
      if (i == vlen || strchr(delims, value[i]) != NULL) {
        gsize pair[2] = { s, i - s };
        g_array_append_val(parts, pair);
        s = i + 1;
      }
    }
  }
  nparts = parts->len;
  if (item->reverse) {
    for (gsize i = 0; i < nparts / 2; i++) {
      gsize *a = &g_array_index(parts, gsize, 2 * i);
      gsize *b = &g_array_index(parts, gsize, 2 * (nparts - 1 - i));
      gsize t0 = a[0], t1 = a[1];
      a[0] = b[0];
      a[1] = b[1];
      b[0] = t0;
      b[1] = t1;
    }
  }
  count = nparts;
  if (item->digits != 0 && item->digits < nparts)
    count = item->digits;
  first = nparts - count;

  tmp = g_string_new(NULL);
  for (gsize i = first; i < nparts; i++) {
    gsize *pair = &g_array_index(parts, gsize, 2 * i);
    if (i > first)
      g_string_append_c(tmp, '.');
    g_string_append_len(tmp, value + pair[0], (gssize) pair[1]);
  }
  ok = append_checked(out, start, tmp->str, tmp->len, error);
  g_string_free(tmp, TRUE);
  return ok;
}

/* RFC 3986 §2.3 unreserved characters stay, everything else becomes %XX. */
static char *
url_escape(const char *value)
{
  static const char hex[] = "0123456789ABCDEF";
  GString *s = g_string_new(NULL);
  for (const char *p = value; *p != '\0'; p++) {
    guint8 c = (guint8) *p;
    if (g_ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      g_string_append_c(s, (char) c);
    } else {
      g_string_append_c(s, '%');
      g_string_append_c(s, hex[c >> 4]);
      g_string_append_c(s, hex[c & 15]);
    }
  }
  return g_string_free(s, FALSE);
}

static const char *
nonnull(const char *s)
{
  return s != NULL ? s : "unknown";
}

gboolean
bimi_spf__macro_expand(const char *text, gsize len, BimiSpfMacroMode mode,
                       const BimiSpfMacroContext *ctx, GString *out, GError **error)
{
  gsize pos = 0;
  gsize start;

  g_return_val_if_fail(text != NULL || len == 0, FALSE);
  g_return_val_if_fail(ctx != NULL && out != NULL, FALSE);
  start = out->len;
  while (pos < len) {
    MacroItem item;
    const char *value = NULL;
    char time_buf[32];
    g_autofree char *escaped = NULL;
    GString *piece;
    gboolean ok;

    if (text[pos] != '%') {
      gsize run = pos;
      while (run < len && text[run] != '%') {
        if (!literal_allowed(text[run], mode))
          return bad_literal(text, run, 0, error);
        run++;
      }
      if (!append_checked(out, start, text + pos, run - pos, error))
        return FALSE;
      pos = run;
      continue;
    }
    if (!parse_item(text, len, pos, 0, mode, &item, &pos, error))
      return FALSE;
    if (item.literal != 0) {
      const char *lit = item.literal == '%' ? "%" : item.literal == ' ' ? " " : "%20";
      if (!append_checked(out, start, lit, strlen(lit), error))
        return FALSE;
      continue;
    }
    if (mode == BIMI_SPF_MACRO_MODIFIER)
      continue; /* never expanded; checked only */
    switch (item.letter) {
    case 's': value = ctx->sender; break;
    case 'l': value = ctx->local_part; break;
    case 'o': value = ctx->sender_domain; break;
    case 'd': value = ctx->domain; break;
    case 'i': value = ctx->ip_dotted; break;
    case 'c': value = ctx->ip_text; break;
    case 'v': value = ctx->ip_version; break;
    case 'h': value = ctx->helo; break;
    case 'r': value = ctx->receiver; break;
    case 't':
      g_snprintf(time_buf, sizeof time_buf, "%" G_GINT64_FORMAT, ctx->now);
      value = time_buf;
      break;
    case 'p':
      if (ctx->validated_name != NULL) {
        value = ctx->validated_name(ctx->validated_name_data, error);
        if (value == NULL)
          return FALSE;
      }
      break;
    default:
      g_assert_not_reached();
    }
    value = nonnull(value);
    /* §7.3: transform first, then URL-escape the result of an upper-case letter. */
    piece = g_string_new(NULL);
    ok = append_transformed(piece, 0, value, &item, error);
    if (ok) {
      if (item.upper) {
        escaped = url_escape(piece->str);
        ok = append_checked(out, start, escaped, strlen(escaped), error);
      } else {
        ok = append_checked(out, start, piece->str, piece->len, error);
      }
    }
    g_string_free(piece, TRUE);
    if (!ok)
      return FALSE;
  }
  return TRUE;
}

/* Checks labels: no empty one, none longer than BIMI_DNS_MAX_LABEL_BYTES. */
static gboolean
labels_ok(const char *name, gsize len, guint *out_labels)
{
  BimiDomainInfo info;
  if (!bimi_domain_check(name, len, G_MAXSIZE, 1, BIMI_DOMAIN_ANY_BYTES, &info))
    return FALSE;
  if (out_labels != NULL)
    *out_labels = info.labels;
  return TRUE;
}

char *
bimi_spf__domain_from_expansion(const char *expanded)
{
  gsize len;
  const char *p = expanded;

  g_return_val_if_fail(expanded != NULL, NULL);
  len = strlen(expanded);
  if (len > 0 && expanded[len - 1] == '.')
    len--;
  /* §7.3: "the left side is truncated to fit, by removing successive domain
   * labels (and their following dots)". */
  while (len > BIMI_DNS_MAX_NAME_BYTES) {
    const char *dot = memchr(p, '.', len);
    if (dot == NULL)
      return NULL;
    len -= (gsize) (dot + 1 - p);
    p = dot + 1;
  }
  if (!labels_ok(p, len, NULL))
    return NULL;
  return g_strndup(p, len);
}

gboolean
bimi_spf__domain_is_valid(const char *domain)
{
  gsize len;
  guint labels = 0;

  if (domain == NULL)
    return FALSE;
  len = strlen(domain);
  if (len > 0 && domain[len - 1] == '.')
    len--;
  if (len == 0 || len > BIMI_DNS_MAX_NAME_BYTES || domain[0] == '[')
    return FALSE;
  if (!labels_ok(domain, len, &labels))
    return FALSE;
  return labels >= 2;
}
