/* fuzz/fuzz-dkim-canon.c — libFuzzer target for DKIM canonicalization
 * (RFC 6376 §3.4), a differential oracle. Byte 0 picks simple/relaxed, byte 1
 * the chunk size and seeds the random splits, byte 2 an l= limit (255 =
 * none); the rest is a body.
 *  - The streaming body hash (engine/dkim-canon.c, vector scans) must equal
 *    SHA-256 of the reference canonical body (tests/lib/dkim-canon-ref.h, the
 *    old byte-wise canonicalizer) cut at l=, and report its length, whether
 *    the body comes whole, in chunks of the fuzzed size, byte by byte, or in
 *    pseudo-random chunks (1..80 bytes, the seed from byte 1 and the body);
 *    through the SSE2 (or word) path and, where the CPU has it, AVX-512.
 *  - A simple body's canonical form is never empty (at least CRLF).
 *  - The relaxed form of the rest as a header value has no HTAB, no double
 *    SP, no SP at either end of the value, and ends in CRLF. (Bare CR and LF
 *    are data there: engine/message never lets a bare LF into a field.)
 */
#include "engine/dkim-private.h"
#include "fuzz/fuzz.h"
#include "tests/lib/dkim-hash-chunks.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The field "X-Fuzz:" @b CRLF with @hole_len bytes of its value at @at
 * deleted: in place and through a copy. */
static void
check_hole(const guint8 *b, gsize n, gsize at, gsize hole_len)
{
  hole_len = MIN(hole_len, n - at);
  if (at > 0 && b[at - 1] == '\r')
    return; /* outside the contract: a tag value follows its '=' */
  g_autoptr(GByteArray) field = g_byte_array_new();
  g_byte_array_append(field, (const guint8 *) "X-Fuzz:", 7);
  g_byte_array_append(field, b, (guint) n);
  g_byte_array_append(field, (const guint8 *) "\r\n", 2);
  g_autoptr(GByteArray) copy = g_byte_array_new();
  g_byte_array_append(copy, field->data, (guint) (7 + at));
  g_byte_array_append(copy, field->data + 7 + at + hole_len, (guint) (field->len - 7 - at - hole_len));
  BimiHeaderField f = {
    .field = (const char *) field->data, .field_length = field->len, .name = (const char *) field->data,
    .name_length = 6, .value = (const char *) field->data + 7, .value_length = n,
  };
  for (int c = 0; c < 2; c++) {
    BimiDkimCanon canon = c ? BIMI_DKIM_CANON_RELAXED : BIMI_DKIM_CANON_SIMPLE;
    g_autoptr(GByteArray) got = g_byte_array_new();
    g_autoptr(GByteArray) want = g_byte_array_new();
    g_byte_array_append(got, (const guint8 *) "prefix", 6); /* appends, never overwrites */
    g_byte_array_append(want, (const guint8 *) "prefix", 6);
    bimi_dkim__canon_header_hole(got, canon, &f, at, hole_len);
    bimi_dkim__canon_header(want, canon, "X-Fuzz", 6, (const char *) copy->data, copy->len,
                            (const char *) copy->data + 7, n - hole_len);
    if (got->len != want->len || memcmp(got->data, want->data, got->len) != 0)
      abort();
  }
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
  guint32 seed = data[1];
  for (gsize i = 0; i < n; i++)
    seed = seed * 31u + b[i];

  /* the oracle */
  guint8 want[32];
  g_autoptr(GByteArray) canonical = bimi_test_dkim_ref_digest(c, limit, b, n, want);

  const gsize chunks[] = { n ? n : 1, chunk, 1, 0 };
  for (int vector = 0; vector < 2; vector++) {
    /* the SSE2 path, then AVX-512 where the CPU has it */
    if (!bimi_dkim__canon_set_vector(vector) && vector)
      break;
    for (gsize k = 0; k < G_N_ELEMENTS(chunks); k++) {
      guint8 d[EVP_MAX_MD_SIZE];
      guint64 l;
      if (bimi_test_dkim_hash_in_chunks(c, limit, b, n, chunks[k], seed, 80, d, &l) != 32 ||
          memcmp(d, want, 32) != 0 || l != canonical->len)
        abort();
    }
  }
  if (c == BIMI_DKIM_CANON_SIMPLE && canonical->len < 2)
    abort();
  if (canonical->len > 3 * (guint64) n + 2)
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
  check_hole(b, n, seed % (n + 1), data[2]);
  return 0;
}
