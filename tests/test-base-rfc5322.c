/* tests/test-base-rfc5322.c — engine/base: character classes, the bounded
 * cursor and the RFC 5322 lexer (§3.2.2 comments / CFWS, §3.2.4 quoted-string). */
#include "engine/base/base-chars.h"
#include "engine/base/base-cursor.h"
#include "engine/base/base-rfc5322.h"

#include <string.h>

static BimiCursor
cur(const char *s)
{
  return bimi_cursor_init(s, strlen(s));
}

static void
test_chars(void)
{
  g_assert_true(bimi_char_is_wsp(' ') && bimi_char_is_wsp('\t'));
  g_assert_false(bimi_char_is_wsp('\r') || bimi_char_is_wsp('\n') || bimi_char_is_wsp(0xa0));
  g_assert_true(bimi_char_is_lwsp('\r') && bimi_char_is_lwsp('\n'));
  g_assert_true(bimi_char_is_ctl(0x00) && bimi_char_is_ctl(0x1f) && bimi_char_is_ctl(0x7f));
  g_assert_false(bimi_char_is_ctl(' ') || bimi_char_is_ctl(0x80));
  g_assert_true(bimi_char_is_atext('~') && bimi_char_is_atext('{') && bimi_char_is_atext('9'));
  g_assert_false(bimi_char_is_atext('@') || bimi_char_is_atext('.') || bimi_char_is_atext(0) ||
                 bimi_char_is_atext(0xc3));
  g_assert_true(bimi_char_is_token('/') == FALSE && bimi_char_is_token('.') && bimi_char_is_token('~'));
  g_assert_false(bimi_char_is_token(' ') || bimi_char_is_token('=') || bimi_char_is_token(0x7f));
  g_assert_true(bimi_char_is_tchar('!') && bimi_char_is_tchar('~') && bimi_char_is_tchar('Z') && bimi_char_is_tchar('7'));
  g_assert_false(bimi_char_is_tchar('{') || bimi_char_is_tchar('/') || bimi_char_is_tchar('"') ||
                 bimi_char_is_tchar(' ') || bimi_char_is_tchar(0) || bimi_char_is_tchar(0x80));
  g_assert_true(bimi_char_is_valchar('=') && !bimi_char_is_valchar(';') && !bimi_char_is_valchar(' '));
  g_assert_true(bimi_char_is_alnumpunc('_') && !bimi_char_is_alnumpunc('-'));
  g_assert_true(bimi_char_is_ldh('-') && !bimi_char_is_ldh('_'));
  for (guint c = 0; c < 256; c++)
    g_assert_cmpint(bimi_char_is_alnum((guchar) c), ==, g_ascii_isalnum((gchar) c) ? TRUE : FALSE);
}

static gboolean
is_x(guchar c)
{
  return c == 'x';
}

static void
test_cursor(void)
{
  /* No NUL termination assumed: the cursor sees 3 of the 6 bytes. */
  BimiCursor c = bimi_cursor_init("xxxyyy", 3);
  gsize n = 99;
  g_assert_true(bimi_cursor_span(&c, is_x, 3, &n));
  g_assert_cmpuint(n, ==, 3);
  g_assert_true(bimi_cursor_at_end(&c));
  g_assert_cmpuint(bimi_cursor_peek(&c), ==, 0);
  g_assert_cmpuint(bimi_cursor_left(&c), ==, 0);

  /* The maximum: the run stops on the first byte past it. */
  c = cur("xxxxx;");
  g_assert_false(bimi_cursor_span(&c, is_x, 4, &n));
  g_assert_cmpuint(n, ==, 4);
  g_assert_cmpuint(c.pos, ==, 4);
  g_assert_cmpuint(bimi_cursor_peek_at(&c, 1), ==, ';');
  g_assert_cmpuint(bimi_cursor_peek_at(&c, 2), ==, 0);

  /* Folds: CRLF WSP always, LF WSP only when asked; a bare CRLF is no fold. */
  c = cur(" \t\r\n x\n y\r\nz");
  g_assert_cmpuint(bimi_cursor_skip_fws(&c, BIMI_FOLD_CRLF), ==, 5);
  g_assert_cmpuint(bimi_cursor_peek(&c), ==, 'x');
  g_assert_cmpuint(bimi_cursor_fold_len(&c, 6, BIMI_FOLD_CRLF), ==, 0);
  g_assert_cmpuint(bimi_cursor_fold_len(&c, 6, BIMI_FOLD_BARE_LF), ==, 1);
  g_assert_cmpuint(bimi_cursor_fold_len(&c, 9, BIMI_FOLD_BARE_LF), ==, 0);
}

static void
expect_comment(const char *s, guint flags, gboolean ok, BimiLexStatus status, gsize offset_or_end)
{
  BimiCursor c = cur(s);
  BimiLexError lex = { BIMI_LEX_OK, 0 };
  gboolean r = bimi_rfc5322_skip_comment(&c, BIMI_BASE_MAX_COMMENT_DEPTH, flags, &lex);
  if (r != ok)
    g_error("skip_comment(\"%s\", 0x%x) returned %d, status %d at %" G_GSIZE_FORMAT, s, flags, r, lex.status,
            lex.offset);
  if (ok) {
    g_assert_cmpuint(c.pos, ==, offset_or_end);
  } else {
    g_assert_cmpint(lex.status, ==, status);
    g_assert_cmpuint(lex.offset, ==, offset_or_end);
    g_assert_cmpuint(c.pos, ==, 0);
  }
}

static void
test_comment(void)
{
  expect_comment("(a (b) \\) c) rest", BIMI_LEX_LAX, TRUE, 0, 12);
  expect_comment("(a (b) \\) c) rest", BIMI_LEX_STRICT, TRUE, 0, 12);
  expect_comment("(a (b)", BIMI_LEX_LAX, FALSE, BIMI_LEX_UNTERMINATED, 0);
  expect_comment("(a\\", BIMI_LEX_LAX, FALSE, BIMI_LEX_UNTERMINATED, 0);
  expect_comment("(a\\", BIMI_LEX_STRICT, FALSE, BIMI_LEX_BAD_QUOTED_PAIR, 3);
  /* A control byte: passes LAX, is refused by STRICT and NO_CTL. */
  expect_comment("(a\x01)", BIMI_LEX_LAX, TRUE, 0, 4);
  expect_comment("(a\x01)", BIMI_LEX_STRICT, FALSE, BIMI_LEX_BAD_BYTE, 2);
  expect_comment("(a\\\x01)", BIMI_LEX_NO_CTL, FALSE, BIMI_LEX_BAD_BYTE, 3);
  expect_comment("(a\\\x01)", BIMI_LEX_STRICT, FALSE, BIMI_LEX_BAD_QUOTED_PAIR, 3);
  /* Line breaks: NO_CTL lets bare CR/LF through; STRICT wants a fold. */
  expect_comment("(a\r\nb)", BIMI_LEX_NO_CTL, TRUE, 0, 6);
  expect_comment("(a\r\nb)", BIMI_LEX_STRICT, FALSE, BIMI_LEX_BAD_BYTE, 2);
  expect_comment("(a\r\n b)", BIMI_LEX_STRICT, TRUE, 0, 7);
  expect_comment("(a\n b)", BIMI_LEX_STRICT, FALSE, BIMI_LEX_BAD_BYTE, 2);
  expect_comment("(a\n b)", BIMI_LEX_STRICT | BIMI_LEX_BARE_LF, TRUE, 0, 6);
  /* UTF-8 bytes are ctext (RFC 6532). */
  expect_comment("(caf\xc3\xa9)", BIMI_LEX_STRICT, TRUE, 0, 7);
}

/* The one depth limit: BIMI_BASE_MAX_COMMENT_DEPTH levels pass, one more fails
 * at the '(' that goes too deep, whatever the flags. */
static void
test_comment_depth(void)
{
  static const guint all_flags[] = { BIMI_LEX_LAX, BIMI_LEX_STRICT, BIMI_LEX_NO_CTL };
  for (guint f = 0; f < G_N_ELEMENTS(all_flags); f++) {
    for (guint extra = 0; extra <= 1; extra++) {
      guint depth = BIMI_BASE_MAX_COMMENT_DEPTH + extra;
      g_autoptr(GString) s = g_string_new(NULL);
      for (guint i = 0; i < depth; i++)
        g_string_append(s, "(x");
      for (guint i = 0; i < depth; i++)
        g_string_append_c(s, ')');
      expect_comment(s->str, all_flags[f], extra == 0, BIMI_LEX_TOO_DEEP,
                     extra == 0 ? s->len : 2 * BIMI_BASE_MAX_COMMENT_DEPTH);
    }
  }
  /* A caller may ask for less. */
  BimiCursor c = cur("((x))");
  BimiLexError lex;
  g_assert_false(bimi_rfc5322_skip_comment(&c, 1, BIMI_LEX_LAX, &lex));
  g_assert_cmpint(lex.status, ==, BIMI_LEX_TOO_DEEP);
  g_assert_cmpuint(lex.offset, ==, 1);
}

static void
test_cfws(void)
{
  BimiCursor c = cur(" (one)\r\n (two (2))\tword");
  BimiLexError lex;
  g_assert_true(bimi_rfc5322_skip_cfws(&c, BIMI_BASE_MAX_COMMENT_DEPTH, BIMI_LEX_STRICT, &lex));
  g_assert_cmpstr(c.p + c.pos, ==, "word");
  g_assert_true(bimi_rfc5322_skip_cfws(&c, BIMI_BASE_MAX_COMMENT_DEPTH, BIMI_LEX_STRICT, &lex));
  g_assert_cmpuint(c.pos, ==, 19);

  c = cur("  (open");
  g_assert_false(bimi_rfc5322_skip_cfws(&c, BIMI_BASE_MAX_COMMENT_DEPTH, BIMI_LEX_STRICT, &lex));
  g_assert_cmpint(lex.status, ==, BIMI_LEX_UNTERMINATED);
  g_assert_cmpuint(lex.offset, ==, 2);
}

static void
test_quoted(void)
{
  BimiCursor c = cur("\"a \\\"b\\\\\r\n c\" tail");
  BimiLexError lex;
  g_autofree char *v = bimi_rfc5322_read_quoted(&c, 64, BIMI_LEX_STRICT, &lex);
  g_assert_cmpstr(v, ==, "a \"b\\ c");
  g_assert_cmpstr(c.p + c.pos, ==, " tail");

  static const struct {
    const char *in;
    gsize max;
    BimiLexStatus status;
    gsize offset;
  } bad[] = {
    { "\"abc", 64, BIMI_LEX_UNTERMINATED, 0 },
    { "\"a\\", 64, BIMI_LEX_BAD_QUOTED_PAIR, 3 },
    { "\"a\\\x01\"", 64, BIMI_LEX_BAD_QUOTED_PAIR, 3 },
    { "\"a\x01\"", 64, BIMI_LEX_BAD_BYTE, 2 },
    { "\"a\r\nb\"", 64, BIMI_LEX_BAD_BYTE, 2 },
    { "\"a\n b\"", 64, BIMI_LEX_BAD_BYTE, 2 },
    { "\"abcd\"", 3, BIMI_LEX_TOO_LONG, 4 },
  };
  for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
    c = cur(bad[i].in);
    g_autofree char *r = bimi_rfc5322_read_quoted(&c, bad[i].max, BIMI_LEX_STRICT, &lex);
    g_assert_null(r);
    g_assert_cmpint(lex.status, ==, bad[i].status);
    g_assert_cmpuint(lex.offset, ==, bad[i].offset);
    g_assert_cmpuint(c.pos, ==, 0);
  }
  /* Exactly the maximum passes; a bare-LF fold passes when asked. */
  c = cur("\"abc\"");
  g_autofree char *three = bimi_rfc5322_read_quoted(&c, 3, BIMI_LEX_STRICT, &lex);
  g_assert_cmpstr(three, ==, "abc");
  c = cur("\"a\n b\"");
  g_autofree char *lf = bimi_rfc5322_read_quoted(&c, 64, BIMI_LEX_BARE_LF, &lex);
  g_assert_cmpstr(lf, ==, "a b");
}

static void
test_atom(void)
{
  BimiCursor c = cur("J.Doe+tag@example");
  BimiLexError lex;
  gsize n = 99;
  g_assert_true(bimi_rfc5322_read_atom(&c, 64, BIMI_LEX_LAX, &n, &lex));
  g_assert_cmpuint(n, ==, 1);
  g_assert_cmpuint(bimi_cursor_peek(&c), ==, '.');
  c.pos = 2;
  g_assert_true(bimi_rfc5322_read_atom(&c, 64, BIMI_LEX_LAX, &n, &lex));
  g_assert_cmpuint(n, ==, 7);
  g_assert_cmpuint(bimi_cursor_peek(&c), ==, '@');
  /* 8-bit bytes only with BIMI_LEX_UTF8 (RFC 6532). */
  c = cur("caf\xc3\xa9 x");
  g_assert_true(bimi_rfc5322_read_atom(&c, 64, BIMI_LEX_LAX, &n, &lex));
  g_assert_cmpuint(n, ==, 3);
  c.pos = 0;
  g_assert_true(bimi_rfc5322_read_atom(&c, 64, BIMI_LEX_UTF8, &n, &lex));
  g_assert_cmpuint(n, ==, 5);
  /* The maximum: 4 bytes pass at 4, fail at 3 on the fourth byte. */
  c = cur("abcd;");
  g_assert_true(bimi_rfc5322_read_atom(&c, 4, BIMI_LEX_LAX, &n, &lex));
  g_assert_cmpuint(n, ==, 4);
  c.pos = 0;
  g_assert_false(bimi_rfc5322_read_atom(&c, 3, BIMI_LEX_LAX, &n, &lex));
  g_assert_cmpint(lex.status, ==, BIMI_LEX_TOO_LONG);
  g_assert_cmpuint(lex.offset, ==, 3);
  /* Not on atext: an empty atom. */
  c = cur("(x)");
  g_assert_true(bimi_rfc5322_read_atom(&c, 4, BIMI_LEX_LAX, &n, &lex));
  g_assert_cmpuint(n, ==, 0);
  g_assert_cmpuint(c.pos, ==, 0);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/base/chars", test_chars);
  g_test_add_func("/base/cursor/span-fold", test_cursor);
  g_test_add_func("/base/rfc5322/comment", test_comment);
  g_test_add_func("/base/rfc5322/comment-depth-limit", test_comment_depth);
  g_test_add_func("/base/rfc5322/cfws", test_cfws);
  g_test_add_func("/base/rfc5322/quoted-string", test_quoted);
  g_test_add_func("/base/rfc5322/atom", test_atom);
  return g_test_run();
}
