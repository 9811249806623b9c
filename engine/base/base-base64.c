/* engine/base/base-base64.c — strict, bounded base64 (RFC 4648 §4).
 * Unlike GLib's decoder it refuses bytes outside the alphabet, decodes an
 * unpadded tail, bounds the output before allocating, and can decode into the
 * caller's buffer with folding white space skipped (RFC 6376 §3.5 b=, bh=). */
#include "engine/base/base-base64.h"

#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Each character of the alphabet's value + 1 (0: not in the alphabet): a
 * table, not three tests, as every byte of a DKIM b= goes through it (issue 21). */
static const guint8 alphabet[256] = {
  ['A'] = 1,  ['B'] = 2,  ['C'] = 3,  ['D'] = 4,  ['E'] = 5,  ['F'] = 6,  ['G'] = 7,  ['H'] = 8,  ['I'] = 9,
  ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16, ['Q'] = 17, ['R'] = 18,
  ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26, ['a'] = 27,
  ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36,
  ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42, ['q'] = 43, ['r'] = 44, ['s'] = 45,
  ['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54,
  ['2'] = 55, ['3'] = 56, ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63,
  ['/'] = 64,
};

gboolean
bimi_base64_is_alphabet(guchar c)
{
  return alphabet[c] != 0;
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
 * BIMI_BASE64_SKIP_FWS) into @out; the bits of an incomplete last byte are
 * dropped (RFC 4648 §3.5 lets decoders ignore them). */
static gboolean
decode_symbols(const char *text, gsize len, guint flags, gsize n, guint8 *out, BimiBase64Error *err)
{
  const guchar *t = (const guchar *) text;
  gboolean fws = (flags & BIMI_BASE64_SKIP_FWS) != 0;
  guint32 acc = 0;
  guint bits = 0;
  gsize o = 0;

  for (gsize i = 0, k = 0; k < n;) {
    /* a whole quantum of four symbols at a time; anything else (FWS, a bad
     * byte, the tail) one symbol at a time below */
    if (bits == 0 && n - k >= 4 && len - i >= 4) {
      guint32 a = alphabet[t[i]], b = alphabet[t[i + 1]], c = alphabet[t[i + 2]], d = alphabet[t[i + 3]];
      if ((((a - 1) | (b - 1) | (c - 1) | (d - 1)) & ~63u) == 0) {
        guint32 q = (a - 1) << 18 | (b - 1) << 12 | (c - 1) << 6 | (d - 1);
        out[o] = (guint8) (q >> 16);
        out[o + 1] = (guint8) (q >> 8);
        out[o + 2] = (guint8) q;
        o += 3;
        i += 4;
        k += 4;
        continue;
      }
    }
    guchar c = t[i++];
    if (fws && is_fws(c))
      continue;
    guint v = alphabet[c];
    if (v == 0)
      return b64_fail(err, BIMI_BASE64_BAD_CHAR, k, 0);
    acc = (acc << 6) | (v - 1);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (guint8) (acc >> bits);
      acc &= (1u << bits) - 1;
    }
    k++;
  }
  return TRUE;
}

gboolean
bimi_base64_decode_to(const char *text, gsize len, guint flags, guint8 *out, gsize out_size, gsize *out_len,
                      BimiBase64Error *err)
{
  gsize n, size;

  g_return_val_if_fail((text != NULL || len == 0) && (out != NULL || out_size == 0) && out_len != NULL && err != NULL,
                       FALSE);
  if (!measure(text, len, out_size, flags, &n, &size, err) || !decode_symbols(text, len, flags, n, out, err))
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
  if (!decode_symbols(text, len, flags, n, out, err)) {
    g_free(out);
    return NULL;
  }
  return g_bytes_new_take(out, size);
}
