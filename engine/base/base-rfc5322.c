/* engine/base/base-rfc5322.c — the RFC 5322 lexer: comments, CFWS, quoted-string.
 *
 * RFC 5322 §3.2.2 (FWS, comment, CFWS, quoted-pair), §3.2.4 (quoted-string),
 * §4.1 obs-qp (LAX comments); RFC 6532 §3.2 (UTF-8 in ctext and qtext: bytes
 * >= 0x80 pass here, the callers validate UTF-8 once for the whole value).
 */
#include "engine/base/base-rfc5322.h"

static gboolean
lex_fail(BimiLexError *err, BimiLexStatus status, gsize offset)
{
  err->status = status;
  err->offset = offset;
  return FALSE;
}

/* ctext / qtext / WSP / UTF-8 bytes of the strict grammar. */
static gboolean
is_strict_text(guchar ch)
{
  return bimi_char_is_wsp(ch) || (ch > 0x20 && ch != 0x7f);
}

static gboolean
is_bad_ctl(guchar ch)
{
  return bimi_char_is_ctl(ch) && !bimi_char_is_lwsp(ch);
}

gboolean
bimi_rfc5322_skip_comment(BimiCursor *c, guint max_depth, guint flags, BimiLexError *err)
{
  gsize start = c->pos;
  gsize i = c->pos;
  guint depth = 0;

  g_return_val_if_fail(c != NULL && err != NULL, FALSE);
  for (;;) {
    if (i >= c->len)
      return lex_fail(err, BIMI_LEX_UNTERMINATED, start);
    guchar ch = (guchar) c->p[i];
    gsize fl;
    if ((flags & BIMI_LEX_NO_CTL) && is_bad_ctl(ch))
      return lex_fail(err, BIMI_LEX_BAD_BYTE, i);
    if (ch == '(') {
      if (++depth > max_depth)
        return lex_fail(err, BIMI_LEX_TOO_DEEP, i);
      i++;
    } else if (ch == ')') {
      i++;
      if (--depth == 0) {
        c->pos = i;
        return TRUE;
      }
    } else if (ch == '\\') {
      if (i + 1 >= c->len)
        return lex_fail(err, (flags & BIMI_LEX_STRICT) ? BIMI_LEX_BAD_QUOTED_PAIR : BIMI_LEX_UNTERMINATED,
                        (flags & BIMI_LEX_STRICT) ? i + 1 : start);
      guchar q = (guchar) c->p[i + 1];
      if ((flags & BIMI_LEX_STRICT) && !is_strict_text(q))
        return lex_fail(err, BIMI_LEX_BAD_QUOTED_PAIR, i + 1);
      if ((flags & BIMI_LEX_NO_CTL) && is_bad_ctl(q))
        return lex_fail(err, BIMI_LEX_BAD_BYTE, i + 1);
      i += 2;
    } else if (!(flags & BIMI_LEX_STRICT) || is_strict_text(ch)) {
      i++;
    } else if ((fl = bimi_cursor_fold_len(c, i, flags & BIMI_LEX_BARE_LF)) > 0) {
      i += fl;
    } else {
      return lex_fail(err, BIMI_LEX_BAD_BYTE, i);
    }
  }
}

gboolean
bimi_rfc5322_skip_cfws(BimiCursor *c, guint max_depth, guint flags, BimiLexError *err)
{
  g_return_val_if_fail(c != NULL && err != NULL, FALSE);
  for (;;) {
    gsize fl;
    if (bimi_cursor_at_end(c))
      return TRUE;
    guchar ch = bimi_cursor_peek(c);
    if (bimi_char_is_wsp(ch)) {
      c->pos++;
    } else if ((fl = bimi_cursor_fold_len(c, c->pos, flags & BIMI_LEX_BARE_LF)) > 0) {
      c->pos += fl;
    } else if (ch == '(') {
      if (!bimi_rfc5322_skip_comment(c, max_depth, flags, err))
        return FALSE;
    } else {
      return TRUE;
    }
  }
}

gboolean
bimi_rfc5322_read_atom(BimiCursor *c, gsize max, guint flags, gsize *out_len, BimiLexError *err)
{
  gsize start = c->pos;

  g_return_val_if_fail(c != NULL && out_len != NULL && err != NULL, FALSE);
  while (!bimi_cursor_at_end(c)) {
    guchar ch = bimi_cursor_peek(c);
    if (!bimi_char_is_atext(ch) && !(ch >= 0x80 && (flags & BIMI_LEX_UTF8)))
      break;
    if (c->pos - start == max) {
      *out_len = max;
      return lex_fail(err, BIMI_LEX_TOO_LONG, c->pos);
    }
    c->pos++;
  }
  *out_len = c->pos - start;
  return TRUE;
}

char *
bimi_rfc5322_read_quoted(BimiCursor *c, gsize max, guint flags, BimiLexError *err)
{
  gsize start = c->pos;
  gsize i = c->pos + 1;
  g_autoptr(GString) out = NULL;

  g_return_val_if_fail(c != NULL && err != NULL && bimi_cursor_peek(c) == '"', NULL);
  out = g_string_new(NULL);
  for (;;) {
    if (i >= c->len)
      return lex_fail(err, BIMI_LEX_UNTERMINATED, start), NULL;
    guchar ch = (guchar) c->p[i];
    gsize fl;
    if (ch == '"') {
      c->pos = i + 1;
      return g_string_free(g_steal_pointer(&out), FALSE);
    }
    if (out->len == max)
      return lex_fail(err, BIMI_LEX_TOO_LONG, i), NULL;
    if (ch == '\\') {
      if (i + 1 >= c->len || !is_strict_text((guchar) c->p[i + 1]))
        return lex_fail(err, BIMI_LEX_BAD_QUOTED_PAIR, i + 1), NULL;
      g_string_append_c(out, c->p[i + 1]);
      i += 2;
    } else if (is_strict_text(ch)) {
      g_string_append_c(out, (char) ch);
      i++;
    } else if ((fl = bimi_cursor_fold_len(c, i, flags & BIMI_LEX_BARE_LF)) > 0) {
      i += fl; /* unfold: drop the line break, keep the WSP */
    } else {
      return lex_fail(err, BIMI_LEX_BAD_BYTE, i), NULL;
    }
  }
}
