/* tests/test-dkim-canon.c — the vector-scan body canonicalizer of
 * engine/dkim-canon.c (RFC 6376 §3.4.3, §3.4.4, §3.4.5) against the
 * byte-wise reference of tests/lib/dkim-canon-ref.h, on bodies built to hit
 * every special byte at every position of a 16-byte block and at chunk edges.
 * tests/test-dkim-canon-portable.c runs the same tests on the word-at-a-time
 * scan. Named cases of the canonical forms themselves are in test-dkim.c.
 */
#include "engine/dkim-private.h"
#include "tests/lib/dkim-hash-chunks.h"

#include <string.h>

/* Asserts the fast canonicalizer agrees with the reference on @body. */
static void
check_body(BimiDkimCanon canon, guint64 limit, const guint8 *body, gsize n, guint32 seed)
{
  guint8 want_digest[32];
  g_autoptr(GByteArray) want = bimi_test_dkim_ref_digest(canon, limit, body, n, want_digest);

  const gsize chunks[] = { n ? n : 1, 1, 7, 16, 17, 0 };
  for (gsize k = 0; k < G_N_ELEMENTS(chunks); k++) {
    guint8 got[32];
    guint64 clen;
    /* chunk 0: pseudo-random sizes 1..40 */
    g_assert_cmpuint(bimi_test_dkim_hash_in_chunks(canon, limit, body, n, chunks[k], seed, 40, got, &clen), ==, 32);
    if (memcmp(got, want_digest, 32) != 0 || clen != want->len) {
      g_test_message("canon %s, l=%" G_GUINT64_FORMAT ", chunk %" G_GSIZE_FORMAT ", %" G_GSIZE_FORMAT
                     " bytes: canonical length %" G_GUINT64_FORMAT ", reference %u",
                     canon == BIMI_DKIM_CANON_RELAXED ? "relaxed" : "simple", limit, chunks[k], n, clen, want->len);
      g_assert_cmpmem(got, 32, want_digest, 32);
      g_assert_cmpuint(clen, ==, want->len);
    }
  }
}

/* Random bodies over an alphabet that is mostly the bytes that matter. */
static void
test_random_bodies(void)
{
  static const guint8 alphabet[] = { ' ', ' ', '\t', '\r', '\r', '\n', '\n', 'a', 'b', 'c', 0x80, 0 };
  g_autoptr(GRand) rand = g_rand_new_with_seed(21);
  guint8 body[400];
  for (guint iter = 0; iter < 6000; iter++) {
    gsize n = (gsize) g_rand_int_range(rand, 0, (gint32) sizeof body + 1);
    /* some bodies are ordinary text with sparse specials, to reach the
     * long verbatim spans; the others are dense */
    gboolean sparse = iter % 3 == 0;
    for (gsize i = 0; i < n; i++) {
      if (sparse && g_rand_int_range(rand, 0, 12) != 0)
        body[i] = (guint8) g_rand_int_range(rand, 'd', 'z' + 1);
      else
        body[i] = alphabet[g_rand_int_range(rand, 0, G_N_ELEMENTS(alphabet))];
    }
    BimiDkimCanon canon = iter & 1 ? BIMI_DKIM_CANON_RELAXED : BIMI_DKIM_CANON_SIMPLE;
    guint64 limit = iter % 5 == 0 ? (guint64) g_rand_int_range(rand, 0, 450) : G_MAXUINT64;
    check_body(canon, limit, body, n, iter);
  }
}

/* Each special sequence at each offset of a block, in text long enough for
 * the vector loop, under both canonicalizations. */
static void
test_specials_at_every_offset(void)
{
  static const char *const specials[] = {
    " ", "  ", "\t", " \t", "\r\n", " \r\n", "\t\r\n", "\r\n\r\n", "\r\n \r\n", "\r", "\n", "\r\r\n", "\n\r\n",
    "\r\n\r\n\r\n", " \n", "\r \n",
  };
  for (gsize s = 0; s < G_N_ELEMENTS(specials); s++) {
    for (gsize off = 0; off < 40; off++) {
      GString *b = g_string_new(NULL);
      for (gsize i = 0; i < off; i++)
        g_string_append_c(b, (char) ('a' + i % 26));
      g_string_append(b, specials[s]);
      g_string_append(b, "abcdefghijklmnopqrstuvwxyz0123456789\r\n");
      for (int tail = 0; tail < 3; tail++) {
        check_body(BIMI_DKIM_CANON_SIMPLE, G_MAXUINT64, (const guint8 *) b->str, b->len, (guint32) off);
        check_body(BIMI_DKIM_CANON_RELAXED, G_MAXUINT64, (const guint8 *) b->str, b->len, (guint32) off);
        check_body(BIMI_DKIM_CANON_RELAXED, off + 3, (const guint8 *) b->str, b->len, (guint32) off);
        g_string_append(b, tail == 0 ? specials[s] : "\r\n\r\n");
      }
      g_string_free(b, TRUE);
    }
  }
}

/* A large body of ordinary lines hashes in long spans and still agrees. */
static void
test_large_text(void)
{
  GString *b = g_string_new(NULL);
  while (b->len < 200000)
    g_string_append(b, "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.\r\n"
                       "Lorem ipsum dolor sit amet,  consectetur\tadipiscing elit, sed do eiusmod tempor. \r\n");
  g_string_append(b, "\r\n\r\n");
  check_body(BIMI_DKIM_CANON_RELAXED, G_MAXUINT64, (const guint8 *) b->str, b->len, 1);
  check_body(BIMI_DKIM_CANON_SIMPLE, G_MAXUINT64, (const guint8 *) b->str, b->len, 2);
  check_body(BIMI_DKIM_CANON_RELAXED, 100001, (const guint8 *) b->str, b->len, 3);
  g_string_free(b, TRUE);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/dkim/canon/fast/random-bodies", test_random_bodies);
  g_test_add_func("/dkim/canon/fast/specials-at-every-offset", test_specials_at_every_offset);
  g_test_add_func("/dkim/canon/fast/large-text", test_large_text);
  return g_test_run();
}
