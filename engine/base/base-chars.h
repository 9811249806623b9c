/* engine/base/base-chars.h — ASCII character classes of the mail RFCs.
 *
 * One definition of each class the parsers use, locale-independent, for bytes
 * of hostile text (never assume NUL termination: each takes one byte).
 *   RFC 5234 Appendix B.1  WSP, CTL, VCHAR, ALPHA, DIGIT
 *   RFC 5322 §3.2.3        atext
 *   RFC 2045 §5.1          token
 *   RFC 6376 §3.2          tag-name (ALPHA *ALNUMPUNC), tval (VALCHAR)
 *   RFC 5321 §4.1.2        Let-dig / Ldh-str
 */
#pragma once

#include <glib.h>
#include <string.h>

/** RFC 5234 WSP: space or horizontal tab. */
static inline gboolean
bimi_char_is_wsp(guchar c)
{
  return c == ' ' || c == '\t';
}

/** WSP or a bare CR or LF: the white space between Received tokens. */
static inline gboolean
bimi_char_is_lwsp(guchar c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/** RFC 5234 DIGIT. */
static inline gboolean
bimi_char_is_digit(guchar c)
{
  return c >= '0' && c <= '9';
}

/** RFC 5234 ALPHA (ASCII letters only). */
static inline gboolean
bimi_char_is_alpha(guchar c)
{
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/** ALPHA / DIGIT. */
static inline gboolean
bimi_char_is_alnum(guchar c)
{
  return bimi_char_is_alpha(c) || bimi_char_is_digit(c);
}

/** RFC 5321 Ldh-str byte: ALPHA / DIGIT / "-". */
static inline gboolean
bimi_char_is_ldh(guchar c)
{
  return bimi_char_is_alnum(c) || c == '-';
}

/** RFC 5234 CTL: %x00-1F / %x7F. */
static inline gboolean
bimi_char_is_ctl(guchar c)
{
  return c < 0x20 || c == 0x7f;
}

/** RFC 5234 VCHAR: %x21-7E. */
static inline gboolean
bimi_char_is_vchar(guchar c)
{
  return c >= 0x21 && c <= 0x7e;
}

/** RFC 5322 §3.2.3 atext (ASCII; RFC 6532 adds UTF8-non-ascii, which the
 *  caller allows where it applies). */
static inline gboolean
bimi_char_is_atext(guchar c)
{
  if (bimi_char_is_alnum(c))
    return TRUE;
  switch (c) {
  case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
  case '/': case '=': case '?': case '^': case '_': case '`': case '{': case '|': case '}': case '~':
    return TRUE;
  default:
    return FALSE;
  }
}

/** RFC 2045 §5.1 token byte: any CHAR except SPACE, CTLs and tspecials. */
static inline gboolean
bimi_char_is_token(guchar c)
{
  if (c <= 0x20 || c >= 0x7f)
    return FALSE;
  switch (c) {
  case '(': case ')': case '<': case '>': case '@': case ',': case ';': case ':': case '\\':
  case '"': case '/': case '[': case ']': case '?': case '=':
    return FALSE;
  default:
    return TRUE;
  }
}

/** RFC 9110 §5.6.2 tchar, a byte of an HTTP token: ALPHA / DIGIT and
 *  "!#$%&'*+-.^_`|~" (no '{' or '}', which an RFC 2045 token allows). */
static inline gboolean
bimi_char_is_tchar(guchar c)
{
  return bimi_char_is_alnum(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/** RFC 6376 §3.2 ALNUMPUNC: ALPHA / DIGIT / "_". */
static inline gboolean
bimi_char_is_alnumpunc(guchar c)
{
  return bimi_char_is_alnum(c) || c == '_';
}

/** RFC 6376 §3.2 VALCHAR: %x21-3A / %x3C-7E (VCHAR without ";"). */
static inline gboolean
bimi_char_is_valchar(guchar c)
{
  return bimi_char_is_vchar(c) && c != ';';
}
