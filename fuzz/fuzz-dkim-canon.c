/* fuzz/fuzz-dkim-canon.c — libFuzzer target for DKIM canonicalization
 * (RFC 6376 §3.4). Byte 0 picks simple/relaxed, byte 1 the chunk size and
 * byte 2 an l= limit (255 = none); the rest is a body.
 *  - The streaming body hash must not depend on how the body is chunked
 *    (whole vs. the fuzzed chunk size vs. byte by byte).
 *  - The canonical length reported must be the same each time, and a simple
 *    body's canonical form is never empty (at least CRLF).
 *  - The relaxed form of the rest as a header value has no HTAB, no double
 *    SP, no SP at either end of the value, and ends in CRLF. (Bare CR and LF
 *    are data there: engine/message never lets a bare LF into a field.)
 */
#include "engine/dkim-private.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static guint
hash(BimiDkimCanon c, guint64 limit, const guint8 *b, gsize n, gsize chunk, guint8 *out, guint64 *clen)
{
  g_autoptr(BimiDkimBodyHasher) h = bimi_dkim__body_hasher_new(c, EVP_sha256(), limit);
  for (gsize off = 0; off < n; off += chunk)
    bimi_dkim__body_hasher_update(h, b + off, MIN(chunk, n - off));
  return bimi_dkim__body_hasher_finish(h, out, clen);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 3)
    return 0;
  BimiDkimCanon c = (data[0] & 1) ? BIMI_DKIM_CANON_RELAXED : BIMI_DKIM_CANON_SIMPLE;
  gsize chunk = (gsize) data[1] + 1;
  guint64 limit = data[2] == 255 ? G_MAXUINT64 : data[2];
  const guint8 *b = data + 3;
  gsize n = size - 3;

  guint8 d1[EVP_MAX_MD_SIZE], d2[EVP_MAX_MD_SIZE], d3[EVP_MAX_MD_SIZE];
  guint64 l1, l2, l3;
  guint n1 = hash(c, limit, b, n, n ? n : 1, d1, &l1);
  guint n2 = hash(c, limit, b, n, chunk, d2, &l2);
  guint n3 = hash(c, limit, b, n, 1, d3, &l3);
  if (n1 != 32 || n2 != 32 || n3 != 32 || memcmp(d1, d2, 32) != 0 || memcmp(d1, d3, 32) != 0 || l1 != l2 ||
      l1 != l3)
    abort();
  if (c == BIMI_DKIM_CANON_SIMPLE && l1 < 2)
    abort();
  if (l1 > 3 * (guint64) n + 2)
    abort();

  g_autoptr(GByteArray) out = g_byte_array_new();
  bimi_dkim__canon_header(out, BIMI_DKIM_CANON_RELAXED, "X-Fuzz", 6, (const char *) b, n, (const char *) b, n);
  const guint8 *o = out->data;
  gsize len = out->len;
  if (len < 9 || memcmp(o, "x-fuzz:", 7) != 0 || o[len - 2] != '\r' || o[len - 1] != '\n')
    abort();
  for (gsize i = 7; i < len - 2; i++) {
    if (o[i] == '\t' || (o[i] == ' ' && (i == 7 || i == len - 3 || o[i + 1] == ' ')))
      abort();
  }
  return 0;
}
