/* engine/taglist.c — RFC 6376 §3.2 tag=value lists (DKIM, ARC, DMARC, BIMI).
 *
 * Implements the tag-list grammar of RFC 6376 §3.2 with FWS as in RFC 5322
 * §3.2.2 (folding = CRLF followed by at least one WSP), and the rule "Tags
 * with duplicate names MUST NOT occur". RFC 8617 §4.1 (ARC) and RFC 7489 §6.4
 * (DMARC) reuse the same syntax.
 *
 * Deliberate choices:
 *  - A stray ";" (an empty tag-spec) is a syntax error by default, as the
 *    grammar says and the ValiMail ARC suite expects; BIMI_TAGLIST_FLAG_ALLOW_EMPTY
 *    skips empty tag-specs for lenient consumers.
 *  - FWS after the optional final ";" is accepted (the grammar attaches it to
 *    a tag-spec that is not there; every implementation accepts it), and so is
 *    one CRLF ending the whole input (the end of the header field).
 *  - Bare CR or LF (not CRLF + WSP), NUL, other controls and 8-bit bytes are
 *    syntax errors wherever they occur: VALCHAR is %x21-3A / %x3C-7E.
 */
#include "engine/taglist.h"
#include "engine/base/base-chars.h"
#include "engine/base/base-cursor.h"
#include "engine/limits.h"

#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

G_DEFINE_QUARK(bimi-taglist-error-quark, bimi_taglist_error)

/* One allocation per list (issue 21: a DKIM-Signature is parsed on every
 * verification): this header, the tags, then their names and values, each
 * NUL-terminated. */
struct _BimiTagList {
  guint n_tags;
  BimiTag *tags; /* right after this header */
};

void
bimi_taglist_free(BimiTagList *list)
{
  g_free(list);
}

/* Skips [FWS]: WSP, and CRLF only when a WSP follows (RFC 5322 §3.2.2). */
static gsize
skip_fws(const char *s, gsize n, gsize pos)
{
  for (;;) {
    if (pos < n && bimi_char_is_wsp((guchar) s[pos]))
      pos++;
    else if (pos + 2 < n && s[pos] == '\r' && s[pos + 1] == '\n' && bimi_char_is_wsp((guchar) s[pos + 2]))
      pos += 3;
    else
      return pos;
  }
}

/* The end of the run of VALCHAR bytes (';' is none) that starts at @pos:
 * 16 bytes a step where SSE2 is there (a DKIM b= value is hundreds of bytes,
 * parsed on every verification: issue 21), the tail byte by byte. */
static inline gsize
valchar_run_end(const char *s, gsize n, gsize pos)
{
#ifdef __SSE2__
  const __m128i lo = _mm_set1_epi8(0x21), hi = _mm_set1_epi8(0x7e), semi = _mm_set1_epi8(';');
  while (n - pos >= 16) {
    __m128i x = _mm_loadu_si128((const __m128i *) (const void *) (s + pos));
    /* signed compares: bytes >= 0x80 are negative, below 0x21 */
    __m128i bad = _mm_or_si128(_mm_or_si128(_mm_cmplt_epi8(x, lo), _mm_cmpgt_epi8(x, hi)), _mm_cmpeq_epi8(x, semi));
    int m = _mm_movemask_epi8(bad);
    if (m != 0)
      return pos + (gsize) __builtin_ctz((unsigned) m);
    pos += 16;
  }
#endif
  while (pos < n && bimi_char_is_valchar((guchar) s[pos]))
    pos++;
  return pos;
}

/* A printable description of an offending byte for error messages (never the
 * raw byte: logs must not carry attacker-controlled control characters). */
static char *
describe_byte(guchar c)
{
  if (c == '\r')
    return g_strdup("CR (not part of CRLF + WSP folding)");
  if (c == '\n')
    return g_strdup("LF (not part of CRLF + WSP folding)");
  if (c > 0x20 && c < 0x7f)
    return g_strdup_printf("'%c'", c);
  return g_strdup_printf("byte 0x%02x", c);
}

BimiTagList *
bimi_taglist_parse(const char *input, gsize len, BimiTaglistFlags flags, GError **error)
{
  g_return_val_if_fail(input != NULL || len == 0, NULL);
  g_return_val_if_fail(error == NULL || *error == NULL, NULL);

  if (len > BIMI_MAX_TAGLIST_BYTES) {
    g_set_error(error, BIMI_TAGLIST_ERROR, BIMI_TAGLIST_ERROR_LIMIT,
                "tag-list of %" G_GSIZE_FORMAT " bytes exceeds the limit of %u bytes",
                len, (unsigned) BIMI_MAX_TAGLIST_BYTES);
    return NULL;
  }

  const char *s = input;
  gsize n = len;
  /* One CRLF ending the header field. */
  if (n >= 2 && s[n - 2] == '\r' && s[n - 1] == '\n')
    n -= 2;

  /* The tags are gathered here (offsets only) and copied into the list's one
   * allocation at the end. */
  BimiTag tags[BIMI_MAX_TAGS];
  gsize name_lens[BIMI_MAX_TAGS];
  guint n_tags = 0;
  gsize string_bytes = 0;

  gsize pos = 0;
  gboolean after_semicolon = FALSE;
  for (;;) {
    pos = skip_fws(s, n, pos);
    if (pos == n) {
      if (after_semicolon)
        break; /* tag-list = ... [ ";" ] */
      if (n_tags == 0 && !(flags & BIMI_TAGLIST_FLAG_ALLOW_EMPTY)) {
        g_set_error(error, BIMI_TAGLIST_ERROR, BIMI_TAGLIST_ERROR_SYNTAX,
                    "empty tag-list: expected a tag name at byte %" G_GSIZE_FORMAT, pos);
        return NULL;
      }
      break;
    }
    if (s[pos] == ';') {
      if (!(flags & BIMI_TAGLIST_FLAG_ALLOW_EMPTY)) {
        g_set_error(error, BIMI_TAGLIST_ERROR, BIMI_TAGLIST_ERROR_SYNTAX,
                    "empty tag-spec (stray ';') at byte %" G_GSIZE_FORMAT, pos);
        return NULL;
      }
      pos++;
      after_semicolon = TRUE;
      continue;
    }

    /* tag-name = ALPHA *ALNUMPUNC */
    gsize name_start = pos;
    if (!bimi_char_is_alpha((guchar) s[pos])) {
      g_autofree char *what = describe_byte((guchar) s[pos]);
      g_set_error(error, BIMI_TAGLIST_ERROR, BIMI_TAGLIST_ERROR_SYNTAX,
                  "expected a tag name (a letter) at byte %" G_GSIZE_FORMAT ", found %s",
                  pos, what);
      return NULL;
    }
    while (pos < n && bimi_char_is_alnumpunc((guchar) s[pos]))
      pos++;
    gsize name_len = pos - name_start;
    if (name_len > BIMI_MAX_TAG_NAME_BYTES) {
      g_set_error(error, BIMI_TAGLIST_ERROR, BIMI_TAGLIST_ERROR_LIMIT,
                  "tag name at byte %" G_GSIZE_FORMAT " is %" G_GSIZE_FORMAT
                  " bytes long, the limit is %u",
                  name_start, name_len, (unsigned) BIMI_MAX_TAG_NAME_BYTES);
      return NULL;
    }

    pos = skip_fws(s, n, pos);
    if (pos == n || s[pos] != '=') {
      g_autofree char *name = g_strndup(s + name_start, name_len);
      if (pos == n) {
        g_set_error(error, BIMI_TAGLIST_ERROR, BIMI_TAGLIST_ERROR_SYNTAX,
                    "expected '=' after tag name '%s' at byte %" G_GSIZE_FORMAT
                    ", found the end", name, pos);
      } else {
        g_autofree char *what = describe_byte((guchar) s[pos]);
        g_set_error(error, BIMI_TAGLIST_ERROR, BIMI_TAGLIST_ERROR_SYNTAX,
                    "expected '=' after tag name '%s' at byte %" G_GSIZE_FORMAT ", found %s",
                    name, pos, what);
      }
      return NULL;
    }
    pos++;

    /* [FWS] tag-value [FWS], up to ";" or the end. */
    gsize raw_start = pos;
    pos = skip_fws(s, n, pos);
    gsize value_start = pos, value_end = pos;
    while (pos < n && s[pos] != ';') {
      if (bimi_char_is_valchar((guchar) s[pos])) {
        pos = valchar_run_end(s, n, pos + 1);
        value_end = pos;
        continue;
      }
      gsize next = skip_fws(s, n, pos);
      if (next == pos) {
        g_autofree char *name = g_strndup(s + name_start, name_len);
        g_autofree char *what = describe_byte((guchar) s[pos]);
        g_set_error(error, BIMI_TAGLIST_ERROR, BIMI_TAGLIST_ERROR_SYNTAX,
                    "%s not allowed in the value of tag '%s' at byte %" G_GSIZE_FORMAT,
                    what, name, pos);
        return NULL;
      }
      pos = next;
    }
    gsize raw_end = pos;

    if (n_tags >= BIMI_MAX_TAGS) {
      g_set_error(error, BIMI_TAGLIST_ERROR, BIMI_TAGLIST_ERROR_LIMIT,
                  "more than %u tags: tag at byte %" G_GSIZE_FORMAT " is one too many",
                  (unsigned) BIMI_MAX_TAGS, name_start);
      return NULL;
    }
    for (guint i = 0; i < n_tags; i++) {
      if (name_lens[i] == name_len && memcmp(s + tags[i].name_offset, s + name_start, name_len) == 0) {
        g_set_error(error, BIMI_TAGLIST_ERROR, BIMI_TAGLIST_ERROR_DUPLICATE,
                    "duplicate tag '%.*s' at byte %" G_GSIZE_FORMAT
                    " (first at byte %" G_GSIZE_FORMAT ")",
                    (int) name_len, s + name_start, name_start, tags[i].name_offset);
        return NULL;
      }
    }

    tags[n_tags] = (BimiTag) {
      .name_offset = name_start,
      .value_offset = value_start,
      .value_len = value_end - value_start,
      .raw_value_offset = raw_start,
      .raw_value_len = raw_end - raw_start,
    };
    name_lens[n_tags++] = name_len;
    string_bytes += name_len + 1 + (value_end - value_start) + 1; /* < 2 * BIMI_MAX_TAGLIST_BYTES */

    if (pos == n)
      break;
    pos++; /* the ';' */
    after_semicolon = TRUE;
  }

  BimiTagList *list = g_malloc(sizeof *list + n_tags * sizeof(BimiTag) + string_bytes);
  char *str = (char *) (list + 1) + n_tags * sizeof(BimiTag);
  list->n_tags = n_tags;
  list->tags = (BimiTag *) (list + 1);
  for (guint i = 0; i < n_tags; i++) {
    BimiTag *t = &list->tags[i];
    *t = tags[i];
    t->name = str;
    memcpy(str, s + t->name_offset, name_lens[i]);
    str += name_lens[i];
    *str++ = '\0';
    t->value = str;
    memcpy(str, s + t->value_offset, t->value_len);
    str += t->value_len;
    *str++ = '\0';
  }
  return list;
}

guint
bimi_taglist_get_n_tags(const BimiTagList *list)
{
  g_return_val_if_fail(list != NULL, 0);
  return list->n_tags;
}

const BimiTag *
bimi_taglist_get(const BimiTagList *list, guint index)
{
  g_return_val_if_fail(list != NULL, NULL);
  g_return_val_if_fail(index < list->n_tags, NULL);
  return &list->tags[index];
}

const BimiTag *
bimi_taglist_lookup(const BimiTagList *list, const char *name)
{
  g_return_val_if_fail(list != NULL, NULL);
  g_return_val_if_fail(name != NULL, NULL);
  for (guint i = 0; i < list->n_tags; i++) {
    const BimiTag *t = &list->tags[i];
    if (t->name[0] == name[0] && strcmp(t->name, name) == 0)
      return t;
  }
  return NULL;
}

const char *
bimi_taglist_lookup_value(const BimiTagList *list, const char *name)
{
  const BimiTag *t = bimi_taglist_lookup(list, name);
  return t != NULL ? t->value : NULL;
}

char *
bimi_taglist_value_strip_ws(const BimiTag *tag)
{
  g_return_val_if_fail(tag != NULL, NULL);
  gsize n = strlen(tag->value);
  char *out = g_malloc(n + 1);
  gsize o = 0;
  for (gsize i = 0; i < n; i++) {
    char c = tag->value[i];
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
      out[o++] = c;
  }
  out[o] = '\0';
  return out;
}

gboolean
bimi_taglist_has_version(const char *text, gsize len, const char *version, guint flags)
{
  BimiCursor c = bimi_cursor_init(text, len);
  gsize vlen;
  guchar ch;

  g_return_val_if_fail((text != NULL || len == 0) && version != NULL, FALSE);
  vlen = strlen(version);
  while (!bimi_cursor_at_end(&c) && (bimi_char_is_wsp(bimi_cursor_peek(&c)) ||
                                     ((flags & BIMI_TAGLIST_VERSION_SKIP_LINES) &&
                                      (bimi_cursor_peek(&c) == '\r' || bimi_cursor_peek(&c) == '\n'))))
    c.pos++;
  ch = bimi_cursor_peek(&c);
  if (bimi_cursor_at_end(&c) || !(ch == 'v' || (ch == 'V' && (flags & BIMI_TAGLIST_VERSION_V_ANY_CASE))))
    return FALSE;
  c.pos++;
  while (bimi_char_is_wsp(bimi_cursor_peek(&c)) && !bimi_cursor_at_end(&c))
    c.pos++;
  if (bimi_cursor_at_end(&c) || bimi_cursor_peek(&c) != '=')
    return FALSE;
  c.pos++;
  while (bimi_char_is_wsp(bimi_cursor_peek(&c)) && !bimi_cursor_at_end(&c))
    c.pos++;
  if (bimi_cursor_left(&c) < vlen || memcmp(text + c.pos, version, vlen) != 0)
    return FALSE;
  c.pos += vlen;
  ch = bimi_cursor_peek(&c);
  if (flags & BIMI_TAGLIST_VERSION_END_STRICT) {
    while (bimi_char_is_wsp(bimi_cursor_peek(&c)) && !bimi_cursor_at_end(&c))
      c.pos++;
    return bimi_cursor_at_end(&c) || bimi_cursor_peek(&c) == ';';
  }
  return bimi_cursor_at_end(&c) || bimi_char_is_wsp(ch) || ch == ';' || ch == '\r' || ch == '\n';
}
