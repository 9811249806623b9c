/* engine/base/base-rfc5322.h — the one RFC 5322 lexer of hostile header text.
 *
 * RFC 5322 §3.2.2 (FWS, CFWS, nested comments, quoted-pair), §3.2.4
 * (quoted-string), §3.2.3 (atom). Every header parser (address lists,
 * Authentication-Results, Received) scans comments and quoted strings here,
 * with the one nesting limit BIMI_BASE_MAX_COMMENT_DEPTH (passed as max_depth).
 *
 * The readers do not set a GError: a lexical error is a #BimiLexError (what and
 * the byte offset in the cursor's text), which each parser words in its own
 * error domain. The flags say how strict the grammar is:
 *   - %BIMI_LEX_LAX: a comment is anything up to its balancing ')', with
 *     quoted-pairs of any byte (obs-qp), as the address parser has always read
 *     comments whose content it drops;
 *   - %BIMI_LEX_STRICT: ctext / quoted-pair (VCHAR / WSP) / FWS / UTF-8 only
 *     (RFC 8601 §2.2 via RFC 5322 §3.2.2-3.2.4), every other byte an error;
 *   - %BIMI_LEX_NO_CTL: control bytes other than WSP, CR and LF are errors
 *     (the Received parser's rule, RFC 5321 §4.4 trace fields);
 *   - %BIMI_LEX_BARE_LF: LF WSP is a fold as well as CRLF WSP.
 */
#pragma once

#include <glib.h>

#include "engine/base/base-cursor.h"
#include "engine/base/base-limits.h"

typedef enum {
  BIMI_LEX_LAX = 0,
  BIMI_LEX_BARE_LF = BIMI_FOLD_BARE_LF, /* 1 << 0 */
  BIMI_LEX_STRICT = 1u << 1,
  BIMI_LEX_NO_CTL = 1u << 2,
  BIMI_LEX_UTF8 = 1u << 3, /* atoms: bytes >= 0x80 are atext too (RFC 6532 §3.2 UTF8-non-ascii) */
} BimiLexFlags;

typedef enum {
  BIMI_LEX_OK = 0,
  BIMI_LEX_UNTERMINATED,   /* offset: the opening '(' or '"' */
  BIMI_LEX_TOO_DEEP,       /* offset: the '(' one level too deep */
  BIMI_LEX_BAD_QUOTED_PAIR, /* offset: the byte after the backslash (== len at the end) */
  BIMI_LEX_BAD_BYTE,       /* offset: the byte */
  BIMI_LEX_TOO_LONG,       /* offset: the first byte past the maximum */
} BimiLexStatus;

typedef struct {
  BimiLexStatus status;
  gsize offset; /* in the cursor's text */
} BimiLexError;

/**
 * bimi_rfc5322_skip_comment:
 * @c: a cursor on a '('
 * @max_depth: the deepest nesting accepted (BIMI_BASE_MAX_COMMENT_DEPTH)
 * @flags: #BimiLexFlags
 * @err: (out): what stopped the scan and where, when FALSE is returned
 *
 * Skips one comment, nested comments included (RFC 5322 §3.2.2). On success the
 * cursor is past the balancing ')'; on failure it is unchanged.
 * Returns: TRUE, or FALSE with @err set (UNTERMINATED, TOO_DEEP, BAD_QUOTED_PAIR, BAD_BYTE).
 */
gboolean bimi_rfc5322_skip_comment(BimiCursor *c, guint max_depth, guint flags, BimiLexError *err);

/**
 * bimi_rfc5322_skip_comment_at:
 * @s: the text (transfer none), not NUL-terminated
 * @len: bytes in @s
 * @pos: (inout): the offset of a '('; past the balancing ')' on success
 * @max_depth: as bimi_rfc5322_skip_comment()
 * @flags: #BimiLexFlags
 * @err: (out): set when FALSE is returned
 *
 * bimi_rfc5322_skip_comment() for parsers that keep an offset, not a cursor.
 */
static inline gboolean
bimi_rfc5322_skip_comment_at(const char *s, gsize len, gsize *pos, guint max_depth, guint flags, BimiLexError *err)
{
  BimiCursor c = bimi_cursor_init(s, len);
  c.pos = *pos;
  if (!bimi_rfc5322_skip_comment(&c, max_depth, flags, err))
    return FALSE;
  *pos = c.pos;
  return TRUE;
}

/**
 * bimi_rfc5322_skip_cfws:
 * @c: the cursor
 * @max_depth: the deepest comment nesting accepted
 * @flags: #BimiLexFlags
 * @err: (out): set when FALSE is returned
 *
 * Skips [CFWS]: WSP, folds and comments (RFC 5322 §3.2.2).
 * Returns: TRUE, or FALSE with @err set by bimi_rfc5322_skip_comment().
 */
gboolean bimi_rfc5322_skip_cfws(BimiCursor *c, guint max_depth, guint flags, BimiLexError *err);

/**
 * bimi_rfc5322_read_atom:
 * @c: the cursor
 * @max: the longest atom accepted, in bytes
 * @flags: #BimiLexFlags (%BIMI_LEX_UTF8 honoured)
 * @out_len: (out): the atom's length (0 when the cursor is not on atext)
 * @err: (out): set when FALSE is returned
 *
 * Reads the atext run of an atom (RFC 5322 §3.2.3, without its CFWS) and
 * moves the cursor past it.
 * Returns: TRUE, or FALSE with @err TOO_LONG (the cursor on the first byte past @max).
 */
gboolean bimi_rfc5322_read_atom(BimiCursor *c, gsize max, guint flags, gsize *out_len, BimiLexError *err);

/**
 * bimi_rfc5322_read_quoted:
 * @c: a cursor on a '"'
 * @max: the most content bytes accepted
 * @flags: #BimiLexFlags (%BIMI_LEX_BARE_LF is honoured; the content is always
 *   checked strictly: qtext, quoted-pair of VCHAR / WSP, FWS, UTF-8 bytes)
 * @err: (out): set when NULL is returned
 *
 * Reads a quoted-string (RFC 5322 §3.2.4) and returns its content unescaped and
 * unfolded (the line break of a fold dropped, its WSP kept).
 * Returns: (transfer full): the content, or NULL with @err set (UNTERMINATED,
 * BAD_QUOTED_PAIR, BAD_BYTE, TOO_LONG); on failure the cursor is unchanged.
 */
char *bimi_rfc5322_read_quoted(BimiCursor *c, gsize max, guint flags, BimiLexError *err);
