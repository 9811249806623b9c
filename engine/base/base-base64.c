/* engine/base/base-base64.c — strict, bounded base64 (RFC 4648 §4) over GLib's decoder.
 * GLib skips bytes outside the alphabet and drops an unpadded tail; this wrapper
 * refuses the first and pads the second, and bounds the output before allocating. */
#include "engine/base/base-base64.h"

#include <string.h>

/* 1 for the 64 characters of the alphabet: a table, not three tests, as
 * every byte of a DKIM b= goes through it (issue 21). */
static const guint8 alphabet[256] = {
  ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1,
  ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1,
  ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1,
  ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1,
  ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
  ['y'] = 1, ['z'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
  ['8'] = 1, ['9'] = 1, ['+'] = 1, ['/'] = 1,
};

gboolean
bimi_base64_is_alphabet(guchar c)
{
  return alphabet[c];
}

static GBytes *
b64_fail(BimiBase64Error *err, BimiBase64Status status, gsize offset, gsize out_len)
{
  err->status = status;
  err->offset = offset;
  err->out_len = out_len;
  return NULL;
}

GBytes *
bimi_base64_decode(const char *text, gsize len, gsize max_out, guint flags, BimiBase64Error *err)
{
  gsize pad = 0, n, out_len, whole, o;
  gint state = 0;
  guint save = 0;
  guint8 *out;

  g_return_val_if_fail((text != NULL || len == 0) && err != NULL, NULL);
  while (pad < 2 && len > pad && text[len - 1 - pad] == '=')
    pad++;
  n = len - pad;
  if (n % 4 == 1 || (!(flags & BIMI_BASE64_LOOSE_PADDING) && pad > 0 && (n + pad) % 4 != 0))
    return b64_fail(err, BIMI_BASE64_BAD_LENGTH, len, 0);
  out_len = n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1);
  if (out_len > max_out)
    return b64_fail(err, BIMI_BASE64_TOO_LONG, 0, out_len);
  for (gsize i = 0; i < n; i++) {
    if (!alphabet[(guchar) text[i]])
      return b64_fail(err, BIMI_BASE64_BAD_CHAR, i, 0);
  }
  /* GLib writes whole quanta (3 bytes each, padding subtracted) and keeps a
   * partial one in its state: decode the whole quanta, then the tail padded. */
  out = g_malloc(out_len + 3);
  whole = n - n % 4;
  o = g_base64_decode_step(text, whole, out, &state, &save);
  if (n % 4 != 0) {
    char tail[4] = { '=', '=', '=', '=' };
    memcpy(tail, text + whole, n % 4);
    o += g_base64_decode_step(tail, sizeof tail, out + o, &state, &save);
  }
  g_assert(o == out_len);
  return g_bytes_new_take(out, out_len);
}
