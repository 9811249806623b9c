/* tests/lib/dkim-canon-ref.h — the reference DKIM body canonicalizer
 * (RFC 6376 §3.4.3 simple, §3.4.4 relaxed, §3.4.5 l=), test-only.
 *
 * The byte-at-a-time state machine engine/dkim-canon.c used before it scanned
 * with vectors (issue 21), kept as the oracle that fuzz/fuzz-dkim-canon.c and
 * tests/test-dkim.c compare the fast canonicalizer against. It is deliberately
 * simple: one byte in, at most a few bytes out, no runs, no buffering. It
 * produces the canonical body itself (not its hash), all of it, whatever l=
 * says; the caller cuts it at l= and hashes it.
 *
 * Same input conventions as engine/dkim-canon.c: lines end in CRLF, a CR not
 * followed by LF and a bare LF are ordinary data bytes; an empty body is one
 * CRLF under simple and nothing under relaxed (erratum 1384).
 *
 * Header-only (static inline) so that the fuzz targets, which link only
 * libbimi, can use it as well as the unit tests.
 */
#ifndef BIMI_TESTS_LIB_DKIM_CANON_REF_H
#define BIMI_TESTS_LIB_DKIM_CANON_REF_H

#include <glib.h>
#include <string.h>

typedef struct {
  gboolean relaxed;
  GByteArray *out;      /* the canonical body so far */
  guint64 pending_crlf; /* empty lines withheld: dropped if the body ends here */
  gboolean pending_cr;  /* a CR whose LF may come in the next chunk */
  gboolean pending_wsp; /* relaxed: a WSP run withheld */
  gboolean line_has_content;
} BimiDkimRefCanon;

static inline void
bimi_dkim_ref_canon_init(BimiDkimRefCanon *r, gboolean relaxed)
{
  memset(r, 0, sizeof *r);
  r->relaxed = relaxed;
  r->out = g_byte_array_new();
}

static inline void
bimi_dkim_ref__emit(BimiDkimRefCanon *r, const char *bytes, guint n)
{
  g_byte_array_append(r->out, (const guint8 *) bytes, n);
}

static inline void
bimi_dkim_ref__content(BimiDkimRefCanon *r, guint8 c)
{
  if (r->relaxed && (c == ' ' || c == '\t')) {
    r->pending_wsp = TRUE;
    return;
  }
  for (; r->pending_crlf > 0; r->pending_crlf--)
    bimi_dkim_ref__emit(r, "\r\n", 2);
  if (r->pending_wsp) {
    bimi_dkim_ref__emit(r, " ", 1);
    r->pending_wsp = FALSE;
  }
  g_byte_array_append(r->out, &c, 1);
  r->line_has_content = TRUE;
}

static inline void
bimi_dkim_ref_canon_update(BimiDkimRefCanon *r, const guint8 *data, gsize len)
{
  for (gsize i = 0; i < len; i++) {
    guint8 c = data[i];
    if (r->pending_cr) {
      r->pending_cr = FALSE;
      if (c == '\n') {
        r->pending_wsp = FALSE; /* relaxed: WSP at the end of a line is ignored */
        if (r->line_has_content)
          bimi_dkim_ref__emit(r, "\r\n", 2);
        else
          r->pending_crlf++;
        r->line_has_content = FALSE;
        continue;
      }
      bimi_dkim_ref__content(r, '\r');
    }
    if (c == '\r')
      r->pending_cr = TRUE;
    else
      bimi_dkim_ref__content(r, c);
  }
}

/* Returns (transfer full) the whole canonical body; @r is spent. */
static inline GByteArray *
bimi_dkim_ref_canon_finish(BimiDkimRefCanon *r)
{
  if (r->pending_cr) {
    r->pending_cr = FALSE;
    bimi_dkim_ref__content(r, '\r');
  }
  if (r->line_has_content)
    bimi_dkim_ref__emit(r, "\r\n", 2);
  if (!r->relaxed && r->out->len == 0)
    bimi_dkim_ref__emit(r, "\r\n", 2);
  return g_steal_pointer(&r->out);
}

#endif
