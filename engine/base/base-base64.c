/* engine/base/base-base64.c — strict, bounded base64 (RFC 4648 §4) over GLib's decoder.
 * GLib skips bytes outside the alphabet and drops an unpadded tail; this wrapper
 * refuses the first and pads the second, and bounds the output before writing.
 * It decodes into a new GBytes, or into the caller's buffer with folding
 * white space skipped (RFC 6376 §3.5 b=, bh=: no copy, no allocation). */
#include "engine/base/base-base64.h"

#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

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

static gboolean
b64_fail(BimiBase64Error *err, BimiBase64Status status, gsize offset, gsize out_len)
{
  err->status = status;
  err->offset = offset;
  err->out_len = out_len;
  return FALSE;
}

/* 1 for SP, HTAB, CR, LF (a table: measure() counts them over every byte). */
static const guint8 fws_byte[256] = { [' '] = 1, ['\t'] = 1, ['\r'] = 1, ['\n'] = 1 };

static inline gboolean
is_fws(guchar c)
{
  return fws_byte[c];
}

/* The checks of bimi_base64_decode_to() that need no output: the number of
 * symbols (padding excluded) in @n_out and the decoded size in @size_out. */
static gboolean
measure(const char *text, gsize len, gsize max_out, guint flags, gsize *n_out, gsize *size_out, BimiBase64Error *err)
{
  gsize kept = len, pad = 0, n, size;

  if (flags & BIMI_BASE64_SKIP_FWS) {
    gsize i = len, j = 0;
#ifdef __SSE2__
    /* 16 bytes a step: a DKIM b= is counted on every verification (issue 21) */
    const __m128i sp = _mm_set1_epi8(' '), ht = _mm_set1_epi8('\t'), cr = _mm_set1_epi8('\r'),
                  lf = _mm_set1_epi8('\n');
    for (; len - j >= 16; j += 16) {
      __m128i x = _mm_loadu_si128((const __m128i *) (const void *) (text + j));
      __m128i w = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, sp), _mm_cmpeq_epi8(x, ht)),
                               _mm_or_si128(_mm_cmpeq_epi8(x, cr), _mm_cmpeq_epi8(x, lf)));
      kept -= (gsize) __builtin_popcount((unsigned) _mm_movemask_epi8(w));
    }
#endif
    for (; j < len; j++) /* no branch per byte */
      kept -= fws_byte[(guchar) text[j]];
    while (i > 0 && pad < 2) { /* the last two symbols, FWS between them skipped */
      guchar c = (guchar) text[--i];
      if (is_fws(c))
        continue;
      if (c != '=')
        break;
      pad++;
    }
  } else {
    while (pad < 2 && len > pad && text[len - 1 - pad] == '=')
      pad++;
  }
  n = kept - pad;
  if (n % 4 == 1 || (!(flags & BIMI_BASE64_LOOSE_PADDING) && pad > 0 && (n + pad) % 4 != 0))
    return b64_fail(err, BIMI_BASE64_BAD_LENGTH, kept, 0);
  size = n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1);
  if (size > max_out)
    return b64_fail(err, BIMI_BASE64_TOO_LONG, 0, size);
  *n_out = n;
  *size_out = size;
  return TRUE;
}

/* Decodes the first @n symbols of @text (WSP/CR/LF skipped with
 * BIMI_BASE64_SKIP_FWS) into @out after checking they are in the alphabet.
 * GLib's decoder does the decoding (it skips bytes outside the alphabet,
 * FWS among them, by itself); a last quantum of 2 or 3 symbols, which it
 * would keep in its state, is completed with '=' as padding would. */
static gboolean
decode_symbols(const char *text, guint flags, gsize n, guint8 *out, BimiBase64Error *err)
{
  gboolean fws = (flags & BIMI_BASE64_SKIP_FWS) != 0;
  gsize end = 0; /* just past the n-th symbol */
  gint state = 0;
  guint save = 0;
  gsize o;

  for (gsize k = 0; k < n; end++) {
    guchar c = (guchar) text[end];
    if (fws && is_fws(c))
      continue;
    if (!alphabet[c])
      return b64_fail(err, BIMI_BASE64_BAD_CHAR, k, 0);
    k++;
  }
  o = g_base64_decode_step(text, end, out, &state, &save);
  if (n % 4 != 0)
    o += g_base64_decode_step("==", 4 - n % 4, out + o, &state, &save);
  (void) o; /* == the size measure() gave */
  return TRUE;
}

gboolean
bimi_base64_decode_to(const char *text, gsize len, guint flags, guint8 *out, gsize out_size, gsize *out_len,
                      BimiBase64Error *err)
{
  gsize n, size;

  g_return_val_if_fail((text != NULL || len == 0) && (out != NULL || out_size == 0) && out_len != NULL && err != NULL,
                       FALSE);
  if (!measure(text, len, out_size, flags, &n, &size, err) || !decode_symbols(text, flags, n, out, err))
    return FALSE;
  *out_len = size;
  return TRUE;
}

GBytes *
bimi_base64_decode(const char *text, gsize len, gsize max_out, guint flags, BimiBase64Error *err)
{
  gsize n, size;

  g_return_val_if_fail((text != NULL || len == 0) && err != NULL, NULL);
  if (!measure(text, len, max_out, flags, &n, &size, err))
    return NULL;
  guint8 *out = g_malloc(size > 0 ? size : 1);
  if (!decode_symbols(text, flags, n, out, err)) {
    g_free(out);
    return NULL;
  }
  return g_bytes_new_take(out, size);
}
