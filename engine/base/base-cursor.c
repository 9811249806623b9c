/* engine/base/base-cursor.c — the bounded cursor (STYLE.md §5).
 * Folding: RFC 5322 §3.2.2 (FWS); the bare-LF leniency is RFC 8601 practice. */
#include "engine/base/base-cursor.h"

gsize
bimi_cursor_fold_len(const BimiCursor *c, gsize pos, guint flags)
{
  if (pos + 2 < c->len && c->p[pos] == '\r' && c->p[pos + 1] == '\n' && bimi_char_is_wsp((guchar) c->p[pos + 2]))
    return 2;
  if ((flags & BIMI_FOLD_BARE_LF) && pos + 1 < c->len && c->p[pos] == '\n' &&
      bimi_char_is_wsp((guchar) c->p[pos + 1]))
    return 1;
  return 0;
}

gsize
bimi_cursor_skip_fws(BimiCursor *c, guint flags)
{
  gsize start = c->pos;
  for (;;) {
    gsize fl;
    if (bimi_char_is_wsp(bimi_cursor_peek(c)) && !bimi_cursor_at_end(c))
      c->pos++;
    else if ((fl = bimi_cursor_fold_len(c, c->pos, flags)) > 0)
      c->pos += fl + 1;
    else
      return c->pos - start;
  }
}

gboolean
bimi_cursor_span(BimiCursor *c, gboolean (*in_class)(guchar), gsize max, gsize *out_len)
{
  gsize start = c->pos;
  while (!bimi_cursor_at_end(c) && in_class(bimi_cursor_peek(c))) {
    if (c->pos - start == max) {
      *out_len = max;
      return FALSE;
    }
    c->pos++;
  }
  *out_len = c->pos - start;
  return TRUE;
}
