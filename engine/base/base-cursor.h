/* engine/base/base-cursor.h — a bounded cursor over hostile text (STYLE.md §5).
 *
 * A cursor is a pointer, a length and a position. It never assumes NUL
 * termination and never reads past len; every reader that consumes a run takes
 * an explicit maximum and, when it stops on bad input, leaves the position on
 * the offending byte so that the caller can report its offset.
 * Folding is RFC 5322 §3.2.2 (CRLF followed by WSP); RFC 8601 parsers also
 * accept a bare LF before WSP (BIMI_FOLD_BARE_LF).
 */
#pragma once

#include <glib.h>

#include "engine/base/base-chars.h"

typedef struct {
  const char *p; /* the text (transfer none), not NUL-terminated */
  gsize len;     /* bytes in p */
  gsize pos;     /* next byte to read, 0 <= pos <= len */
} BimiCursor;

/** Flags of bimi_cursor_fold_len() and the readers that unfold. */
typedef enum {
  BIMI_FOLD_CRLF = 0,          /* CRLF WSP only (RFC 5322 §3.2.2) */
  BIMI_FOLD_BARE_LF = 1u << 0, /* also LF WSP (lenient, RFC 8601 headers as MTAs hand them over) */
} BimiFoldFlags;

/** A cursor at the start of @len bytes at @p (transfer none; @p may be NULL when @len is 0). */
static inline BimiCursor
bimi_cursor_init(const char *p, gsize len)
{
  BimiCursor c = { p, len, 0 };
  return c;
}

/** TRUE when every byte has been read. */
static inline gboolean
bimi_cursor_at_end(const BimiCursor *c)
{
  return c->pos >= c->len;
}

/** The byte at the position, or 0 at the end (check bimi_cursor_at_end() for a real NUL). */
static inline guchar
bimi_cursor_peek(const BimiCursor *c)
{
  return c->pos < c->len ? (guchar) c->p[c->pos] : 0;
}

/** The byte @ahead bytes after the position, or 0 past the end. */
static inline guchar
bimi_cursor_peek_at(const BimiCursor *c, gsize ahead)
{
  return ahead < c->len - MIN(c->pos, c->len) ? (guchar) c->p[c->pos + ahead] : 0;
}

/** Bytes left to read. */
static inline gsize
bimi_cursor_left(const BimiCursor *c)
{
  return c->len - MIN(c->pos, c->len);
}

/**
 * bimi_cursor_fold_len:
 * @c: the cursor
 * @pos: an offset into the cursor's text
 * @flags: #BimiFoldFlags
 *
 * Length of the line break of a fold at @pos without its WSP: 2 for CRLF WSP,
 * 1 for LF WSP (with %BIMI_FOLD_BARE_LF), 0 if there is no fold at @pos.
 */
gsize bimi_cursor_fold_len(const BimiCursor *c, gsize pos, guint flags);

/**
 * bimi_cursor_skip_fws:
 * @c: the cursor
 * @flags: #BimiFoldFlags
 *
 * Skips [FWS] (RFC 5322 §3.2.2): WSP, and line breaks only where WSP follows.
 * Returns: the number of bytes skipped.
 */
gsize bimi_cursor_skip_fws(BimiCursor *c, guint flags);

/**
 * bimi_cursor_span:
 * @c: the cursor
 * @in_class: the byte class of the run
 * @max: most bytes the run may have
 * @out_len: (out): the length of the run read
 *
 * Reads the run of bytes in @in_class at the position, at most @max of them.
 * Returns: FALSE when the run is longer than @max; the position is then on
 * the first byte past the maximum (its offset is the error's offset).
 */
gboolean bimi_cursor_span(BimiCursor *c, gboolean (*in_class)(guchar), gsize max, gsize *out_len);
