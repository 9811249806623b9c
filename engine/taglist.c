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

G_DEFINE_QUARK(bimi-taglist-error-quark, bimi_taglist_error)

struct _BimiTagList {
  GArray *tags;         /* of BimiTag */
  GStringChunk *strings; /* owns every tag's name and value */
};

void
bimi_taglist_free(BimiTagList *list)
{
  if (list == NULL)
    return;
  g_array_unref(list->tags);
  g_string_chunk_free(list->strings);
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

  g_autoptr(BimiTagList) list = g_new0(BimiTagList, 1);
  list->tags = g_array_sized_new(FALSE, TRUE, sizeof(BimiTag), 16); /* a DKIM-Signature has ~12 */
  list->strings = g_string_chunk_new(MIN(n + 2 * BIMI_MAX_TAGS, 4096));
  GArray *tags = list->tags;

  gsize pos = 0;
  gboolean after_semicolon = FALSE;
  for (;;) {
    pos = skip_fws(s, n, pos);
    if (pos == n) {
      if (after_semicolon)
        break; /* tag-list = ... [ ";" ] */
      if (tags->len == 0 && !(flags & BIMI_TAGLIST_FLAG_ALLOW_EMPTY)) {
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
        pos++;
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

    if (tags->len >= BIMI_MAX_TAGS) {
      g_set_error(error, BIMI_TAGLIST_ERROR, BIMI_TAGLIST_ERROR_LIMIT,
                  "more than %u tags: tag at byte %" G_GSIZE_FORMAT " is one too many",
                  (unsigned) BIMI_MAX_TAGS, name_start);
      return NULL;
    }
    for (guint i = 0; i < tags->len; i++) {
      const BimiTag *t = &g_array_index(tags, BimiTag, i);
      if (strlen(t->name) == name_len && memcmp(t->name, s + name_start, name_len) == 0) {
        g_set_error(error, BIMI_TAGLIST_ERROR, BIMI_TAGLIST_ERROR_DUPLICATE,
                    "duplicate tag '%s' at byte %" G_GSIZE_FORMAT
                    " (first at byte %" G_GSIZE_FORMAT ")",
                    t->name, name_start, t->name_offset);
        return NULL;
      }
    }

    BimiTag tag = {
      .name = g_string_chunk_insert_len(list->strings, s + name_start, (gssize) name_len),
      .value = g_string_chunk_insert_len(list->strings, s + value_start,
                                         (gssize) (value_end - value_start)),
      .name_offset = name_start,
      .value_offset = value_start,
      .value_len = value_end - value_start,
      .raw_value_offset = raw_start,
      .raw_value_len = raw_end - raw_start,
    };
    g_array_append_val(tags, tag);

    if (pos == n)
      break;
    pos++; /* the ';' */
    after_semicolon = TRUE;
  }

  return g_steal_pointer(&list);
}

guint
bimi_taglist_get_n_tags(const BimiTagList *list)
{
  g_return_val_if_fail(list != NULL, 0);
  return list->tags->len;
}

const BimiTag *
bimi_taglist_get(const BimiTagList *list, guint index)
{
  g_return_val_if_fail(list != NULL, NULL);
  g_return_val_if_fail(index < list->tags->len, NULL);
  return &g_array_index(list->tags, BimiTag, index);
}

const BimiTag *
bimi_taglist_lookup(const BimiTagList *list, const char *name)
{
  g_return_val_if_fail(list != NULL, NULL);
  g_return_val_if_fail(name != NULL, NULL);
  for (guint i = 0; i < list->tags->len; i++) {
    const BimiTag *t = &g_array_index(list->tags, BimiTag, i);
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
