/* tests/lib/dkim-hash-chunks.h — feeds a body to the streaming DKIM body hasher
 * of engine/dkim-canon.c (RFC 6376 §3.7) in chunks, so that a test or a fuzz
 * target can compare the hash of every split of a body with the reference of
 * tests/lib/dkim-canon-ref.h: the scans must not depend on where chunks end.
 * bimi_test_dkim_ref_digest() is that reference's side.
 *
 * Header-only (static inline): the fuzz targets link only libbimi.
 */
#ifndef BIMI_TESTS_LIB_DKIM_HASH_CHUNKS_H
#define BIMI_TESTS_LIB_DKIM_HASH_CHUNKS_H

#include "engine/dkim-private.h"
#include "tests/lib/dkim-canon-ref.h"

/* SHA-256 of the canonical form of @body (@n bytes) under @canon, cut at
 * @limit bytes (l=; G_MAXUINT64: none), through the streaming hasher, given
 * @chunk bytes at a time; @chunk 0: pseudo-random sizes 1..@max_random_chunk
 * drawn from @seed. Writes the digest to @out (32 bytes) and the canonical
 * length to @clen; returns the digest length (32). */
static inline guint
bimi_test_dkim_hash_in_chunks(BimiDkimCanon canon, guint64 limit, const guint8 *body, gsize n, gsize chunk,
                              guint32 seed, guint max_random_chunk, guint8 out[32], guint64 *clen)
{
  g_autoptr(BimiDkimBodyHasher) h = bimi_dkim__body_hasher_new(canon, EVP_sha256(), limit);
  for (gsize off = 0; off < n;) {
    gsize step = chunk;
    if (step == 0) {
      seed = seed * 1103515245u + 12345u;
      step = 1 + (seed >> 16) % max_random_chunk;
    }
    step = MIN(step, n - off);
    bimi_dkim__body_hasher_update(h, body + off, step);
    off += step;
  }
  return bimi_dkim__body_hasher_finish(h, out, clen);
}

/* The reference's side: the canonical form of @body (@n bytes) under @canon by
 * tests/lib/dkim-canon-ref.h, all of it (transfer full), and in @digest (32
 * bytes) its SHA-256 cut at @limit bytes (l=; G_MAXUINT64: none). */
static inline GByteArray *
bimi_test_dkim_ref_digest(BimiDkimCanon canon, guint64 limit, const guint8 *body, gsize n, guint8 digest[32])
{
  BimiDkimRefCanon ref;
  bimi_dkim_ref_canon_init(&ref, canon == BIMI_DKIM_CANON_RELAXED);
  bimi_dkim_ref_canon_update(&ref, body, n);
  GByteArray *canonical = bimi_dkim_ref_canon_finish(&ref);
  EVP_Digest(canonical->data, (gsize) MIN((guint64) canonical->len, limit), digest, NULL, EVP_sha256(), NULL);
  return canonical;
}

#endif
